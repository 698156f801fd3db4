-- kind: community
-- grain: community_id
-- published: yes
-- one row per community; the rules in force (the defaults of pipelines/rule_defaults.py where the community set none)
WITH communities AS (
    {{ event_communities }}
),
final AS (
    SELECT c.community_id,
           coalesce(r.window_start, {{ rules.window_start }}) AS window_start,
           coalesce(r.window_end, {{ rules.window_end }}) AS window_end,
           coalesce(r.overdue_hours, {{ rules.overdue_hours }}) AS overdue_hours
    FROM communities c LEFT JOIN community_rules r USING (community_id)
)
SELECT * FROM final
