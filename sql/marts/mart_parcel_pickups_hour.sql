-- kind: period
-- grain: community_id, grain, period_start, weekday, hour
-- published: yes
-- one row per community × grain × period × weekday (1=Monday) × hour of day with pickups
SELECT community_id, g.grain, CASE g.grain WHEN 'week' THEN picked_up_week ELSE picked_up_month END AS period_start,
       isodow(picked_up_at) AS weekday, hour(picked_up_at) AS hour, count(*) AS pickups
FROM int_parcels CROSS JOIN (VALUES ('week'), ('month')) g(grain)
WHERE picked_up_at IS NOT NULL
GROUP BY ALL
