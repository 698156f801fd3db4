-- grain: one row per order (current version)
SELECT order_id, community_id, seller_id, channel, ordered_at, amount_yuan, item_count, status
FROM cur_orders
