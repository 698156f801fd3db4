-- kind: view
-- grain: community_id, complaint_id as in stg_complaints
-- published: no
-- one row per complaint, flagged outside the community's livestream window
WITH final AS (
    SELECT c.*,
           c.category = 'livestream_noise' AS is_noise,
           CASE WHEN r.window_start <= r.window_end
                THEN NOT (c.time_of_day >= r.window_start AND c.time_of_day < r.window_end)
                ELSE NOT (c.time_of_day >= r.window_start OR c.time_of_day < r.window_end)
           END AS outside_hours
    FROM stg_complaints c JOIN community_rules_effective r USING (community_id)
)
SELECT * FROM final
