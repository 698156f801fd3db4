-- kind: period
-- grain: community_id, grain, period_start, point_id
-- published: yes
-- one row per community × grain × period × parcel point with a capacity
-- One pass over the hours of both grains: the peak hour is the first full hour the peak was reached, the hour
-- whose key (stock first, then the earlier hour) is largest (hours below 10^7, until the year 3040: the key is
-- exact); looking it up again by a join on the peak read the 700 k hour × grain rows twice
WITH peaks AS (
    SELECT h.community_id, g.grain, period_start(g.grain, h.hour) AS period_start, h.point_id,
           any_value(h.capacity) AS capacity, max(h.in_stock) AS peak_in_stock,
           arg_max(h.hour, h.in_stock * 10000000 - hour_number(h.hour)) AS peak_hour, avg(h.in_stock) AS mean_in_stock
    FROM int_point_hourly h CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    GROUP BY ALL
),
final AS (
    SELECT p.community_id, p.grain, p.period_start, p.point_id, p.capacity, p.peak_in_stock,
           p.peak_in_stock / p.capacity AS peak_ratio, p.peak_hour, p.mean_in_stock
    FROM peaks p
    -- the hours span the community's months, which may start before its first week: keep the spine's periods
    SEMI JOIN period_spine USING (community_id, grain, period_start)
)
SELECT * FROM final
