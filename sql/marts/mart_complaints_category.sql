-- kind: period
-- grain: community_id, grain, period_start, category
-- published: yes
-- one row per community × grain × period × category with complaints received
SELECT community_id, g.grain, period_start(g.grain, received_at) AS period_start, category,
       count(*) AS complaints, count(*) FILTER (WHERE outside_hours) AS outside_hours
FROM int_complaints_flagged CROSS JOIN (VALUES ('week'), ('month')) g(grain)
GROUP BY ALL
