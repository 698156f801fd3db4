-- kind: staging coop
-- grain: community_id, entry_id
-- published: no
-- one row per booking of the cooperative's books (current version): a sale, a cost, a fund payment or rent
-- Money as DECIMAL, as in stg_orders: sums exact and the same on every build. A sale's member_id is a person
-- id (a keyed hash where the file gave a phone or ID number); purpose is free text, masked at import.
SELECT entry_id, community_id, booked_on, kind, amount_yuan::DECIMAL(18, 4) AS amount_yuan, member_id, seller_id,
       purpose
FROM cur_coop
