-- grain: one row per kpi value that is NaN or infinite (must be none: an empty denominator is NULL)
SELECT community_id, grain, period_start, metric, value
FROM kpi
WHERE isnan(value) OR isinf(value)
