-- kind: period
-- grain: community_id, grain, period_start, channel
-- published: yes
-- one row per community × grain × period × channel with any order
-- counted per day first (a week and a month are whole days): the week × month fan-out is over days, not 1 M orders
WITH days AS (
    SELECT community_id, ordered_at::DATE AS day, channel,
           count(*) FILTER (WHERE status <> 'cancelled') AS orders,
           sum(amount_yuan) FILTER (WHERE status = 'paid') AS gmv_yuan,
           count(*) FILTER (WHERE status = 'paid') AS paid,
           count(*) FILTER (WHERE status = 'refunded') AS refunded,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           sum(item_count) FILTER (WHERE status <> 'cancelled') AS items
    FROM stg_orders
    GROUP BY ALL
),
final AS (
    SELECT community_id, g.grain, period_start(g.grain, day) AS period_start, channel,
           sum(orders)::BIGINT AS orders,
           coalesce(sum(gmv_yuan), 0) AS gmv_yuan,
           sum(paid)::BIGINT AS paid,
           sum(refunded)::BIGINT AS refunded,
           sum(cancelled)::BIGINT AS cancelled,
           coalesce(sum(items), 0) AS items
    FROM days CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    GROUP BY ALL
)
SELECT * FROM final
