-- kind: since month
-- grain: community_id, month, seller_id
-- published: yes
-- one row per community × month × seller active that month (a non-cancelled order, the rule of
-- orders.active_sellers) or with parcel-point rent booked: the rent booked (0 when none) and which of the two
-- holds, so that a page lists the active sellers who paid no rent. Rent booked with no seller is seller_id ''.
WITH active AS (
    SELECT DISTINCT community_id, date_trunc('month', ordered_at)::DATE AS month, seller_id
    FROM stg_orders WHERE status <> 'cancelled'
),
rent AS (
    SELECT community_id, date_trunc('month', booked_on)::DATE AS month, coalesce(seller_id, '') AS seller_id,
           sum(amount_yuan) AS rent
    FROM stg_coop WHERE kind = 'rent' GROUP BY ALL
),
final AS (
    SELECT community_id, month, seller_id, coalesce(r.rent, 0)::DOUBLE AS rent_yuan,
           r.rent IS NOT NULL AS has_rent, a.seller_id IS NOT NULL AS active
    FROM active a FULL OUTER JOIN rent r USING (community_id, month, seller_id)
)
SELECT * FROM final
