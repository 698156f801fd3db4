-- kind: period
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period (spine): the cooperative's booked sales against its shop's paid
-- orders (channel coop_store, ordered_at in the period). difference = books − orders; its share of the
-- orders is NULL where there were none, and over the threshold of pipelines/rule_defaults.py (5 %) the two
-- do not agree.
WITH orders AS (
    SELECT community_id, g.grain, period_start(g.grain, ordered_at) AS period_start, sum(amount_yuan) AS paid
    FROM stg_orders CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    WHERE channel = 'coop_store' AND status = 'paid'
    GROUP BY ALL
),
both_sides AS (
    SELECT s.community_id, s.grain, s.period_start, c.sales_yuan::DECIMAL(38, 4) AS sales,
           coalesce(o.paid, 0)::DECIMAL(38, 4) AS paid
    FROM period_spine s
    JOIN mart_coop_period c USING (community_id, grain, period_start)
    LEFT JOIN orders o USING (community_id, grain, period_start)
),
final AS (
    SELECT community_id, grain, period_start, sales::DOUBLE AS coop_sales_yuan, paid::DOUBLE AS coop_store_orders_yuan,
           (sales - paid)::DOUBLE AS difference_yuan,
           abs(sales - paid)::DOUBLE / nullif(paid, 0)::DOUBLE AS difference_share,
           abs(sales - paid)::DOUBLE / nullif(paid, 0)::DOUBLE > {{ coop_reconcile_share }} AS over_threshold
    FROM both_sides
)
SELECT * FROM final
