-- kind: period
-- grain: community_id, grain, period_start, building_id
-- published: yes
-- one row per community × grain × period × building with noise complaints
SELECT community_id, g.grain, period_start(g.grain, received_at) AS period_start, building_id,
       count(*) AS complaints, count(*) FILTER (WHERE outside_hours) AS outside_hours
FROM int_complaints_flagged CROSS JOIN (VALUES ('week'), ('month')) g(grain)
WHERE is_noise AND building_id IS NOT NULL
GROUP BY ALL
