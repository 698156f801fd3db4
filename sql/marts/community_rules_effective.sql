-- grain: one row per community; the rules in force (SPEC defaults where the community set none)
-- incremental: full (small; recomputed on every build)
WITH communities AS (
    SELECT community_id FROM stg_communities
    UNION SELECT community_id FROM stg_orders
    UNION SELECT community_id FROM stg_parcels
    UNION SELECT community_id FROM stg_complaints
    UNION SELECT community_id FROM stg_training
    UNION SELECT community_id FROM stg_jobs
),
final AS (
    SELECT c.community_id,
           coalesce(r.window_start, TIME '09:00') AS window_start,
           coalesce(r.window_end, TIME '20:00') AS window_end,
           coalesce(r.overdue_hours, 72) AS overdue_hours
    FROM communities c LEFT JOIN community_rules r USING (community_id)
)
SELECT * FROM final
