-- kind: period
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period (spine), job metrics of SPEC §5
WITH started AS (
    SELECT community_id, g.grain, period_start(g.grain, started_on) AS period_start,
           count(*) AS started,
           count(*) FILTER (WHERE via_training) / count(*) AS via_training_share,
           median(monthly_income_yuan) AS median_monthly_income_yuan
    FROM stg_jobs CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    GROUP BY ALL
),
active AS (
    SELECT s.community_id, s.grain, s.period_start, count(j.placement_id) AS active_at_end
    FROM period_spine s JOIN stg_jobs j
      ON j.community_id = s.community_id AND open_at(j.started_on, j.ended_on, s.period_next)
    GROUP BY ALL
),
final AS (
    SELECT s.community_id, s.grain, s.period_start,
           coalesce(t.started, 0) AS started,
           coalesce(a.active_at_end, 0) AS active_at_end,
           t.via_training_share,
           t.median_monthly_income_yuan
    FROM period_spine s
    LEFT JOIN started t USING (community_id, grain, period_start)
    LEFT JOIN active a USING (community_id, grain, period_start)
)
SELECT * FROM final
