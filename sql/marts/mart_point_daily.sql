-- kind: since day
-- grain: community_id, point_id, day
-- published: yes
-- one row per parcel point with a capacity × day: the day's peak stock at full hours
SELECT community_id, point_id, hour::DATE AS day, any_value(capacity) AS capacity,
       max(in_stock) AS peak_in_stock, max(in_stock) / any_value(capacity) AS peak_ratio
FROM int_point_hourly
GROUP BY ALL
