-- kind: period
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period (spine), feedback metrics of SPEC §5
WITH rows_in_period AS (
    SELECT f.*, g.grain, period_start(g.grain, surveyed_on) AS period_start
    FROM stg_feedback f CROSS JOIN (VALUES ('week'), ('month')) g(grain)
),
agg AS (
    SELECT community_id, grain, period_start,
           count(*) AS responses,
           count(*) FILTER (WHERE rating = 'dissatisfied') AS dissatisfied,
           count(late_noise) AS late_noise_asked,
           count(*) FILTER (WHERE late_noise) AS late_noise_yes
    FROM rows_in_period GROUP BY ALL
),
final AS (
    SELECT s.community_id, s.grain, s.period_start,
           coalesce(a.responses, 0) AS responses,
           a.dissatisfied / nullif(a.responses, 0) AS dissatisfied_share,
           a.late_noise_yes / nullif(a.late_noise_asked, 0) AS late_noise_share
    FROM period_spine s LEFT JOIN agg a USING (community_id, grain, period_start)
)
SELECT * FROM final
