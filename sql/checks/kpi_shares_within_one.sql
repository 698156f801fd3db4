-- grain: one row per kpi share (a fraction of a whole) outside [0, 1] (must be none)
SELECT community_id, grain, period_start, metric, value
FROM kpi
WHERE metric IN ({{ share_metrics }}) AND (value < 0 OR value > 1)
