-- kind: period
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period (spine), parcel metrics of SPEC §5
WITH arrivals AS (
    SELECT community_id, g.grain, CASE g.grain WHEN 'week' THEN arrived_week ELSE arrived_month END AS period_start,
           count(*) AS arrived, count(*) FILTER (WHERE is_overdue) AS overdue
    FROM int_parcels CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    GROUP BY ALL
),
pickups AS (
    SELECT community_id, g.grain, CASE g.grain WHEN 'week' THEN picked_up_week ELSE picked_up_month END AS period_start,
           count(*) AS picked_up, median(dwell_hours) AS median_dwell_hours
    FROM int_parcels CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    WHERE picked_up_at IS NOT NULL
    GROUP BY ALL
),
occupancy AS (
    SELECT community_id, grain, period_start, max(peak_ratio) AS peak_occupancy_ratio
    FROM mart_point_peak GROUP BY ALL
),
final AS (
    SELECT s.community_id, s.grain, s.period_start,
           coalesce(a.arrived, 0) AS arrived,
           coalesce(p.picked_up, 0) AS picked_up,
           p.median_dwell_hours,
           coalesce(a.overdue, 0) AS overdue,
           a.overdue / nullif(a.arrived, 0) AS overdue_rate,
           o.peak_occupancy_ratio
    FROM period_spine s
    LEFT JOIN arrivals a USING (community_id, grain, period_start)
    LEFT JOIN pickups p USING (community_id, grain, period_start)
    LEFT JOIN occupancy o USING (community_id, grain, period_start)
)
SELECT * FROM final
