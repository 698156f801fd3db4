-- kind: period
-- grain: community_id, grain, period_start, point_id
-- published: yes
-- one row per community × grain × period × parcel point with a capacity
WITH hours AS (
    SELECT h.*, g.grain, period_start(g.grain, h.hour) AS period_start
    FROM int_point_hourly h CROSS JOIN (VALUES ('week'), ('month')) g(grain)
),
peaks AS (
    SELECT community_id, grain, period_start, point_id, any_value(capacity) AS capacity,
           max(in_stock) AS peak_in_stock, avg(in_stock) AS mean_in_stock
    FROM hours
    -- the hours span the community's months, which may start before its first week: keep the spine's periods
    SEMI JOIN period_spine USING (community_id, grain, period_start)
    GROUP BY ALL
),
final AS (
    -- the peak hour is the first full hour the peak was reached
    SELECT p.community_id, p.grain, p.period_start, p.point_id, p.capacity, p.peak_in_stock,
           p.peak_in_stock / p.capacity AS peak_ratio, min(h.hour) AS peak_hour, p.mean_in_stock
    FROM peaks p JOIN hours h USING (community_id, grain, period_start, point_id)
    WHERE h.in_stock = p.peak_in_stock
    GROUP BY ALL
)
SELECT * FROM final
