-- kind: community
-- grain: community_id, entry_key
-- published: yes
-- one row per movement of the community fund: each month's accrual (dated the month's last day, its
-- fund_accrued_yuan from mart_coop_period; none for a month that accrued nothing) and each fund_spend booking
-- with its purpose, and the balance after it, in order of day, an accrual before a payment of the same day.
-- The balance after a month's last entry is that month's coop.fund_balance_yuan. `community`: a running balance
-- reads every earlier entry; the fund's movements are few.
WITH accrued AS (
    SELECT community_id, 'accrued:' || strftime(period_start, '%Y-%m') AS entry_key, last_day(period_start) AS day,
           'accrued' AS kind, fund_accrued_yuan::DECIMAL(38, 4) AS amount, NULL::VARCHAR AS purpose,
           NULL::VARCHAR AS entry_id, 0 AS sort
    FROM mart_coop_period WHERE grain = 'month' AND fund_accrued_yuan > 0
),
spent AS (
    SELECT community_id, 'spent:' || entry_id AS entry_key, booked_on AS day, 'spent' AS kind,
           amount_yuan::DECIMAL(38, 4) AS amount, purpose, entry_id, 1 AS sort
    FROM stg_coop WHERE kind = 'fund_spend'
),
entries AS (
    SELECT * FROM accrued UNION ALL SELECT * FROM spent
),
final AS (
    SELECT community_id, entry_key, day, kind, amount::DOUBLE AS amount_yuan, purpose, entry_id,
           sum(CASE kind WHEN 'accrued' THEN amount ELSE -amount END)
               OVER (PARTITION BY community_id ORDER BY day, sort, entry_key ROWS UNBOUNDED PRECEDING)::DOUBLE
               AS balance_yuan
    FROM entries
)
SELECT * FROM final
