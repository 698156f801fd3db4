-- kind: period
-- grain: community_id, grain, period_start, metric
-- published: yes
-- one row per community × grain × period × metric (SPEC §5), long format
WITH wide AS (
    -- one column per metric of the registry (pipelines/metrics.py), from the mart that computes it
    SELECT s.community_id, s.grain, s.period_start,
           {{ kpi_metric_columns }}
    FROM period_spine s
    {{ kpi_mart_joins }}
),
doubles AS (
    SELECT community_id, grain, period_start, COLUMNS(* EXCLUDE (community_id, grain, period_start))::DOUBLE
    FROM wide
),
final AS (
    SELECT * FROM doubles
    UNPIVOT INCLUDE NULLS (value FOR metric IN (COLUMNS(* EXCLUDE (community_id, grain, period_start))))
)
SELECT community_id::VARCHAR AS community_id, grain::VARCHAR AS grain, period_start::DATE AS period_start,
       metric::VARCHAR AS metric, value::DOUBLE AS value
FROM final
ORDER BY community_id, grain, period_start, metric
