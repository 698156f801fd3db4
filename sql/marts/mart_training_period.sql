-- kind: period
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period (spine), training metrics of SPEC §5
WITH rows_in_period AS (
    SELECT t.*, g.grain, period_start(g.grain, session_date) AS period_start
    FROM stg_training t CROSS JOIN (VALUES ('week'), ('month')) g(grain)
),
agg AS (
    SELECT community_id, grain, period_start,
           count(DISTINCT session_id) AS sessions, count(*) AS registrations,
           count(*) FILTER (WHERE attended) AS attended,
           count(DISTINCT participant_id) FILTER (WHERE attended) AS participants,
           count(DISTINCT participant_id) FILTER (WHERE attended AND is_elderly) AS elderly_participants
    FROM rows_in_period GROUP BY ALL
),
final AS (
    SELECT s.community_id, s.grain, s.period_start,
           coalesce(a.sessions, 0) AS sessions,
           coalesce(a.registrations, 0) AS registrations,
           coalesce(a.attended, 0) AS attended,
           a.attended / nullif(a.registrations, 0) AS attendance_rate,
           coalesce(a.participants, 0) AS participants,
           coalesce(a.elderly_participants, 0) AS elderly_participants
    FROM period_spine s LEFT JOIN agg a USING (community_id, grain, period_start)
)
SELECT * FROM final
