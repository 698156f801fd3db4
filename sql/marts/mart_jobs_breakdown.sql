-- kind: period
-- grain: community_id, grain, period_start, employment_type, role
-- published: yes
-- one row per community × grain × period × employment type × role with placements started
SELECT community_id, g.grain, period_start(g.grain, started_on) AS period_start,
       coalesce(employment_type, 'unknown') AS employment_type, coalesce(role, 'unknown') AS role,
       count(*) AS started, count(*) FILTER (WHERE via_training) AS via_training,
       median(monthly_income_yuan) AS median_monthly_income_yuan
FROM stg_jobs CROSS JOIN (VALUES ('week'), ('month')) g(grain)
GROUP BY ALL
