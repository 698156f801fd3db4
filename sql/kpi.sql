-- grain: one row per community × grain × period × metric (SPEC §5), long format
WITH wide AS (
    SELECT s.community_id, s.grain, s.period_start,
           o.orders_count AS "orders.count", o.gmv_yuan AS "orders.gmv_yuan", o.refund_rate AS "orders.refund_rate",
           o.active_sellers AS "orders.active_sellers", o.new_sellers AS "orders.new_sellers",
           p.arrived AS "parcels.arrived", p.picked_up AS "parcels.picked_up",
           p.median_dwell_hours AS "parcels.median_dwell_hours", p.overdue AS "parcels.overdue",
           p.overdue_rate AS "parcels.overdue_rate", p.peak_occupancy_ratio AS "parcels.peak_occupancy_ratio",
           c.complaints AS "complaints.count", c.noise AS "complaints.noise",
           c.noise_outside_hours AS "complaints.noise_outside_hours",
           c.noise_per_1k_households AS "complaints.noise_per_1k_households",
           c.parcel_pileup AS "complaints.parcel_pileup",
           c.median_resolution_hours AS "complaints.median_resolution_hours",
           c.open_at_end AS "complaints.open_at_end", c.repeat_buildings AS "complaints.repeat_buildings",
           t.sessions AS "training.sessions", t.registrations AS "training.registrations",
           t.attended AS "training.attended", t.attendance_rate AS "training.attendance_rate",
           t.participants AS "training.participants", t.elderly_participants AS "training.elderly_participants",
           j.started AS "jobs.started", j.active_at_end AS "jobs.active_at_end",
           j.via_training_share AS "jobs.via_training_share",
           j.median_monthly_income_yuan AS "jobs.median_monthly_income_yuan"
    FROM period_spine s
    JOIN mart_orders_period o USING (community_id, grain, period_start)
    JOIN mart_parcels_period p USING (community_id, grain, period_start)
    JOIN mart_complaints_period c USING (community_id, grain, period_start)
    JOIN mart_training_period t USING (community_id, grain, period_start)
    JOIN mart_jobs_period j USING (community_id, grain, period_start)
),
doubles AS (
    SELECT community_id, grain, period_start, COLUMNS(* EXCLUDE (community_id, grain, period_start))::DOUBLE
    FROM wide
),
final AS (
    SELECT * FROM doubles
    UNPIVOT INCLUDE NULLS (value FOR metric IN (COLUMNS(* EXCLUDE (community_id, grain, period_start))))
)
SELECT community_id::VARCHAR AS community_id, grain::VARCHAR AS grain, period_start::DATE AS period_start,
       metric::VARCHAR AS metric, value::DOUBLE AS value
FROM final
ORDER BY community_id, grain, period_start, metric
