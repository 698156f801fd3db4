-- grain: one row per community × grain × period of the spine × registry metric missing from kpi (must be none)
SELECT s.community_id, s.grain, s.period_start, m.metric
FROM period_spine s CROSS JOIN (VALUES {{ metric_keys }}) m(metric)
ANTI JOIN kpi k ON k.community_id = s.community_id AND k.grain = s.grain
                AND k.period_start = s.period_start AND k.metric = m.metric
UNION ALL
-- and no metric that the registry does not know
SELECT community_id, grain, period_start, metric FROM kpi
WHERE metric NOT IN (SELECT metric FROM (VALUES {{ metric_keys }}) m(metric))
