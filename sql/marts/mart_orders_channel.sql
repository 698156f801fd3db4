-- kind: period
-- grain: community_id, grain, period_start, channel
-- published: yes
-- one row per community × grain × period × channel with any order
WITH orders AS (
    SELECT o.*, g.grain, period_start(g.grain, o.ordered_at) AS period_start
    FROM stg_orders o CROSS JOIN (VALUES ('week'), ('month')) g(grain)
),
final AS (
    SELECT community_id, grain, period_start, channel,
           count(*) FILTER (WHERE status <> 'cancelled') AS orders,
           coalesce(sum(amount_yuan) FILTER (WHERE status = 'paid'), 0) AS gmv_yuan,
           count(*) FILTER (WHERE status = 'paid') AS paid,
           count(*) FILTER (WHERE status = 'refunded') AS refunded,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           coalesce(sum(item_count) FILTER (WHERE status <> 'cancelled'), 0) AS items
    FROM orders
    GROUP BY ALL
)
SELECT * FROM final
