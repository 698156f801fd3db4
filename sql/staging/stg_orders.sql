-- kind: staging orders
-- grain: community_id, order_id
-- published: no
-- one row per order (current version)
-- Money as DECIMAL: sums are exact and the same on every build, whatever order
-- parallel threads add them in (DOUBLE sums differed in the 15th digit between two builds).
SELECT order_id, community_id, seller_id, channel, ordered_at, amount_yuan::DECIMAL(18, 4) AS amount_yuan,
       item_count, status
FROM cur_orders
