-- grain: one row per kpi count (or count-like value) below 0, or a count left NULL (must be none)
SELECT community_id, grain, period_start, metric, value
FROM kpi
WHERE metric IN ({{ count_metrics }}) AND (value < 0 OR value IS NULL OR value <> floor(value))
