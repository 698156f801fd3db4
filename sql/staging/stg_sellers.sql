-- kind: staging sellers
-- grain: community_id, seller_id
-- published: no
-- one row per seller (current version)
SELECT seller_id, community_id, building_id, kind, started_on
FROM cur_sellers
