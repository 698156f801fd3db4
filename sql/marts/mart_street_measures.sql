-- kind: full
-- grain: community_id, grain, period_start, measure
-- published: yes
-- one row per community × grain × period × measure that 街道对比 compares: every kpi metric, and the counts
-- per 1,000 households (NULL where the community's households are unknown or 0: no household, no rate),
-- with the community's rank on the measure among all communities that period (1 = highest, no value last)
WITH per_1k(measure, metric) AS (
    VALUES {{ per_1k_measures }}   -- pipelines/metrics.py PER_1K_HOUSEHOLDS
),
measures AS (
    SELECT community_id, grain, period_start, metric AS measure, value FROM kpi
    UNION ALL
    SELECT k.community_id, k.grain, k.period_start, p.measure,
           CASE WHEN c.households > 0 THEN k.value * 1000 / c.households END AS value
    FROM kpi k JOIN per_1k p USING (metric) LEFT JOIN stg_communities c USING (community_id)
)
SELECT community_id, grain, period_start, measure, value,
       rank() OVER (PARTITION BY grain, period_start, measure ORDER BY value DESC NULLS LAST) AS street_rank
FROM measures
