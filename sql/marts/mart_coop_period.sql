-- kind: community
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period (spine): the cooperative's books, the coop.* metrics of SPEC §5.
-- Exact inside (DECIMAL), yuan as DOUBLE out. The members' and the fund's parts of a profit are rounded half up
-- to the fen and the cooperative keeps the rest, so the three add up to the profit exactly; a loss gives the
-- members and the fund 0 and falls to the cooperative. A period takes the split in force on its first day.
-- `community`, not `period`: the fund's balance runs from the community's first period, which an incremental
-- build's window of recent events does not hold; the table is small and recomputed whole for each community
-- an increment touched.
WITH rows_in_period AS (
    SELECT c.*, g.grain, period_start(g.grain, c.booked_on) AS period_start
    FROM stg_coop c CROSS JOIN (VALUES ('week'), ('month')) g(grain)
),
sums AS (
    SELECT community_id, grain, period_start,
           sum(amount_yuan) FILTER (WHERE kind = 'sale') AS sales,
           sum(amount_yuan) FILTER (WHERE kind = 'cost') AS costs,
           sum(amount_yuan) FILTER (WHERE kind = 'fund_spend') AS fund_spent,
           sum(amount_yuan) FILTER (WHERE kind = 'rent') AS rent,
           count(DISTINCT member_id) FILTER (WHERE kind = 'sale') AS active_members
    FROM rows_in_period GROUP BY ALL
),
adoptions AS (
    -- the latest adoption on or before the period's first day (of two on one day, the later recorded),
    -- else the default of pipelines/rule_defaults.py
    SELECT s.community_id, s.grain, s.period_start,
           coalesce(c.members_pct, {{ coop_split.members_pct }}) AS members_pct,
           coalesce(c.coop_pct, {{ coop_split.coop_pct }}) AS coop_pct,
           coalesce(c.fund_pct, {{ coop_split.fund_pct }}) AS fund_pct,
           row_number() OVER (PARTITION BY s.community_id, s.grain, s.period_start
                              ORDER BY c.effective_from DESC NULLS LAST, c.changed_seq DESC NULLS LAST) AS newest
    FROM period_spine s
    LEFT JOIN coop_split c ON c.community_id = s.community_id AND c.effective_from <= s.period_start
),
split AS (
    SELECT community_id, grain, period_start, members_pct, coop_pct, fund_pct FROM adoptions WHERE newest = 1
),
books AS (
    SELECT p.*, coalesce(m.sales, 0)::DECIMAL(38, 4) AS sales, coalesce(m.costs, 0)::DECIMAL(38, 4) AS costs,
           coalesce(m.fund_spent, 0)::DECIMAL(38, 4) AS fund_spent, coalesce(m.rent, 0)::DECIMAL(38, 4) AS rent,
           coalesce(m.active_members, 0) AS active_members
    FROM split p LEFT JOIN sums m USING (community_id, grain, period_start)
),
shares AS (
    -- profit × percent is the part in fen (yuan × percent ÷ 100 × 100): rounded half up to a whole fen, exact in
    -- any engine's decimals (no scale beyond the product's six)
    SELECT *, sales - costs AS profit,
           CASE WHEN sales > costs THEN round((sales - costs) * members_pct, 0) * 0.01 ELSE 0 END AS members_share,
           CASE WHEN sales > costs THEN round((sales - costs) * fund_pct, 0) * 0.01 ELSE 0 END AS fund_accrued
    FROM books
),
final AS (
    SELECT community_id, grain, period_start,
           sales::DOUBLE AS sales_yuan, costs::DOUBLE AS costs_yuan, profit::DOUBLE AS profit_yuan,
           members_share::DOUBLE AS members_share_yuan,
           (profit - members_share - fund_accrued)::DOUBLE AS coop_share_yuan,
           fund_accrued::DOUBLE AS fund_accrued_yuan, fund_spent::DOUBLE AS fund_spent_yuan,
           sum(fund_accrued - fund_spent) OVER (PARTITION BY community_id, grain ORDER BY period_start
                                                ROWS UNBOUNDED PRECEDING)::DOUBLE AS fund_balance_yuan,
           active_members, rent::DOUBLE AS rent_yuan,
           members_pct::DOUBLE AS members_pct, coop_pct::DOUBLE AS coop_pct, fund_pct::DOUBLE AS fund_pct
    FROM shares
)
SELECT * FROM final
