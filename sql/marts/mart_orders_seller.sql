-- kind: period
-- grain: community_id, grain, period_start, seller_id
-- published: yes
-- one row per community × grain × period × seller with a non-cancelled order
WITH orders AS (
    SELECT o.*, g.grain, period_start(g.grain, o.ordered_at) AS period_start
    FROM stg_orders o CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    WHERE o.status <> 'cancelled'
),
first_order AS (
    -- a seller is new in the community in the period of its first non-cancelled order there
    SELECT community_id, seller_id, min(ordered_at) AS first_at FROM stg_orders
    WHERE status <> 'cancelled' GROUP BY ALL
),
final AS (
    SELECT o.community_id, o.grain, o.period_start, o.seller_id,
           any_value(o.channel ORDER BY o.ordered_at DESC) AS channel,
           count(*) AS orders,
           coalesce(sum(o.amount_yuan) FILTER (WHERE o.status = 'paid'), 0) AS gmv_yuan,
           bool_or(period_start(o.grain, f.first_at) = o.period_start) AS is_new
    FROM orders o JOIN first_order f USING (community_id, seller_id)
    GROUP BY o.community_id, o.grain, o.period_start, o.seller_id
)
SELECT * FROM final
