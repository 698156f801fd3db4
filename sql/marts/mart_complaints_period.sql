-- kind: period
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period (spine), complaint metrics of SPEC §5
WITH received AS (
    SELECT community_id, grain, period_start, sum(complaints) AS complaints,
           sum(complaints) FILTER (WHERE category = 'livestream_noise') AS noise,
           sum(outside_hours) FILTER (WHERE category = 'livestream_noise') AS noise_outside_hours,
           sum(complaints) FILTER (WHERE category = 'parcel_pileup') AS parcel_pileup
    FROM mart_complaints_category GROUP BY ALL
),
resolved AS (
    SELECT community_id, g.grain, period_start(g.grain, resolved_at) AS period_start,
           median(resolution_hours) AS median_resolution_hours
    FROM stg_complaints CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    WHERE resolved_at IS NOT NULL GROUP BY ALL
),
open_at_end AS (
    SELECT s.community_id, s.grain, s.period_start, count(c.complaint_id) AS open_at_end
    FROM period_spine s JOIN stg_complaints c
      ON c.community_id = s.community_id AND open_at(c.received_at, c.resolved_at, s.period_next)
    GROUP BY ALL
),
repeats AS (
    SELECT community_id, grain, period_start, count(*) AS repeat_buildings
    -- a repeat building: REPEAT_COMPLAINTS noise complaints or more (pipelines/rule_defaults.py)
    FROM mart_noise_buildings WHERE complaints >= {{ repeat_complaints }} GROUP BY ALL
),
final AS (
    SELECT s.community_id, s.grain, s.period_start,
           coalesce(r.complaints, 0) AS complaints,
           coalesce(r.noise, 0) AS noise,
           coalesce(r.noise_outside_hours, 0) AS noise_outside_hours,
           coalesce(r.noise, 0) * 1000.0 / nullif(c.households, 0) AS noise_per_1k_households,
           coalesce(r.parcel_pileup, 0) AS parcel_pileup,
           v.median_resolution_hours,
           coalesce(o.open_at_end, 0) AS open_at_end,
           coalesce(b.repeat_buildings, 0) AS repeat_buildings
    FROM period_spine s
    LEFT JOIN received r USING (community_id, grain, period_start)
    LEFT JOIN resolved v USING (community_id, grain, period_start)
    LEFT JOIN open_at_end o USING (community_id, grain, period_start)
    LEFT JOIN repeats b USING (community_id, grain, period_start)
    LEFT JOIN stg_communities c USING (community_id)
)
SELECT * FROM final
