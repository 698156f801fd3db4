-- kind: period
-- grain: community_id, grain, period_start, course_type
-- published: yes
-- one row per community × grain × period × course type with sessions
SELECT community_id, g.grain, period_start(g.grain, session_date) AS period_start, course_type,
       count(DISTINCT session_id) AS sessions, count(*) AS registrations,
       count(*) FILTER (WHERE attended) AS attended,
       count(DISTINCT participant_id) FILTER (WHERE attended) AS participants,
       count(DISTINCT participant_id) FILTER (WHERE attended AND is_elderly) AS elderly_participants
FROM stg_training CROSS JOIN (VALUES ('week'), ('month')) g(grain)
GROUP BY ALL
