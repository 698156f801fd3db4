-- kind: period
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period (spine), order metrics of SPEC §5
WITH channels AS (
    SELECT community_id, grain, period_start, sum(orders) AS orders, sum(gmv_yuan) AS gmv_yuan,
           sum(paid) AS paid, sum(refunded) AS refunded
    FROM mart_orders_channel GROUP BY ALL
),
sellers AS (
    SELECT community_id, grain, period_start, count(*) AS active_sellers,
           count(*) FILTER (WHERE is_new) AS new_sellers
    FROM mart_orders_seller GROUP BY ALL
),
final AS (
    SELECT s.community_id, s.grain, s.period_start,
           coalesce(c.orders, 0) AS orders_count,
           coalesce(c.gmv_yuan, 0) AS gmv_yuan,
           c.refunded / nullif(c.paid + c.refunded, 0) AS refund_rate,
           coalesce(v.active_sellers, 0) AS active_sellers,
           coalesce(v.new_sellers, 0) AS new_sellers
    FROM period_spine s
    LEFT JOIN channels c USING (community_id, grain, period_start)
    LEFT JOIN sellers v USING (community_id, grain, period_start)
)
SELECT * FROM final
