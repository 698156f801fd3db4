-- kind: since month
-- grain: community_id, month, member_id
-- published: yes
-- one row per community × month × member with a sale that month: the member's sales and share of the month's
-- members' part (mart_coop_period's members_share_yuan) in proportion to sales, in whole fen, so that the
-- members' rows add up to that part exactly: each gets the fen below their exact part, and the fen left over go
-- one each to the largest remainders (ties: the smaller member_id). Sales booked with no member are one row
-- whose member_id is '' (未注明社员), so the shares still add up.
WITH sales AS (
    SELECT community_id, date_trunc('month', booked_on)::DATE AS month, coalesce(member_id, '') AS member_id,
           sum(amount_yuan) AS sales
    FROM stg_coop WHERE kind = 'sale' GROUP BY ALL
),
pot AS (
    -- the month's members' part in fen (exact: the mart rounded it to the fen)
    SELECT community_id, period_start AS month, round(members_share_yuan * 100)::HUGEINT AS pot_fen
    FROM mart_coop_period WHERE grain = 'month'
),
parts AS (
    -- sales in units of 0.0001 yuan (stg_coop's scale): integer arithmetic, no rounding before the split
    SELECT s.*, p.pot_fen, (s.sales * 10000)::HUGEINT AS units,
           sum((s.sales * 10000)::HUGEINT) OVER (PARTITION BY s.community_id, s.month) AS total_units
    FROM sales s JOIN pot p USING (community_id, month)
),
floors AS (
    SELECT *, coalesce((pot_fen * units) // nullif(total_units, 0), 0) AS floor_fen,
           coalesce((pot_fen * units) % nullif(total_units, 0), 0) AS remainder
    FROM parts
),
ranked AS (
    SELECT *, pot_fen - sum(floor_fen) OVER (PARTITION BY community_id, month) AS left_fen,
           row_number() OVER (PARTITION BY community_id, month ORDER BY remainder DESC, member_id) AS place
    FROM floors
),
final AS (
    SELECT community_id, month, member_id, sales::DOUBLE AS sales_yuan,
           ((floor_fen + CASE WHEN place <= left_fen THEN 1 ELSE 0 END)::DECIMAL(38, 0) * 0.01)::DOUBLE AS share_yuan
    FROM ranked
)
SELECT * FROM final
