-- kind: period
-- grain: community_id, grain, period_start, seller_id
-- published: yes
-- one row per community × grain × period × seller with a non-cancelled order
-- counted per seller and day first (a week and a month are whole days): the week × month fan-out and the join
-- to each seller's first order are over seller-days, not 1 M orders
WITH days AS (
    SELECT community_id, seller_id, ordered_at::DATE AS day,
           -- the channel of the day's latest order, the period's that of its latest day (arg_max: any_value(… ORDER BY
           -- ordered_at DESC) built a sort key for every order)
           arg_max(channel, ordered_at) AS channel, max(ordered_at) AS last_at,
           count(*) AS orders,
           sum(amount_yuan) FILTER (WHERE status = 'paid') AS gmv_yuan
    FROM stg_orders
    WHERE status <> 'cancelled'
    GROUP BY ALL
),
first_order AS (
    -- a seller is new in the community in the period of its first non-cancelled order there
    SELECT community_id, seller_id, min(day) AS first_day FROM days GROUP BY ALL
),
final AS (
    SELECT d.community_id, g.grain, period_start(g.grain, d.day) AS period_start, d.seller_id,
           arg_max(d.channel, d.last_at) AS channel,
           sum(d.orders)::BIGINT AS orders,
           coalesce(sum(d.gmv_yuan), 0) AS gmv_yuan,
           bool_or(period_start(g.grain, f.first_day) = period_start(g.grain, d.day)) AS is_new
    FROM days d CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    JOIN first_order f USING (community_id, seller_id)
    GROUP BY d.community_id, g.grain, period_start(g.grain, d.day), d.seller_id
)
SELECT * FROM final
