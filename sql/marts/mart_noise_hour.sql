-- kind: period
-- grain: community_id, grain, period_start, hour
-- published: yes
-- one row per community × grain × period × hour of day with noise complaints (hour of occurrence)
SELECT community_id, g.grain, period_start(g.grain, received_at) AS period_start,
       hour(time_of_day) AS hour, count(*) AS complaints, count(*) FILTER (WHERE outside_hours) AS outside_hours
FROM int_complaints_flagged CROSS JOIN (VALUES ('week'), ('month')) g(grain)
WHERE is_noise
GROUP BY ALL
