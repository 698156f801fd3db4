-- grain: one row per kpi key held more than once (must be none)
SELECT community_id, grain, period_start, metric, count(*) AS copies
FROM kpi GROUP BY ALL HAVING count(*) > 1
