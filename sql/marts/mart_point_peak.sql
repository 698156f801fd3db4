-- grain: one row per community × grain × period × parcel point with a capacity
WITH final AS (
    SELECT h.community_id, g.grain, period_start(g.grain, h.hour) AS period_start, h.point_id,
           any_value(h.capacity) AS capacity,
           max(h.in_stock) AS peak_in_stock,
           max(h.in_stock) / any_value(h.capacity) AS peak_ratio,
           arg_max(h.hour, h.in_stock) AS peak_hour,
           avg(h.in_stock) AS mean_in_stock
    FROM int_point_hourly h CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    GROUP BY ALL
)
SELECT * FROM final
