-- kind: full
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period, from the community's first to last period with any event time
WITH times AS (
    -- every time of SPEC §5's list, from the feed registry (pipelines/feeds.py period_times)
    {{ event_times }}
),
bounds AS (
    SELECT community_id, min(t) AS first_t, max(t) AS last_t FROM times GROUP BY community_id
),
weeks AS (
    SELECT community_id, 'week' AS grain, unnest(generate_series(
        date_trunc('week', first_t), date_trunc('week', last_t), INTERVAL 7 DAY))::DATE AS period_start
    FROM bounds
),
months AS (
    SELECT community_id, 'month' AS grain, unnest(generate_series(
        date_trunc('month', first_t), date_trunc('month', last_t), INTERVAL 1 MONTH))::DATE AS period_start
    FROM bounds
),
final AS (
    -- data_end: the community's latest event time, which decides whether a period is complete (SPEC §6)
    SELECT p.community_id, p.grain, p.period_start, period_next(p.grain, p.period_start) AS period_next,
           b.last_t AS data_end
    FROM (SELECT * FROM weeks UNION ALL SELECT * FROM months) p JOIN bounds b USING (community_id)
)
SELECT * FROM final
