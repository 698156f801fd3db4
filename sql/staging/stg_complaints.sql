-- kind: staging complaints
-- grain: community_id, complaint_id
-- published: no
-- one row per complaint (current version)
SELECT complaint_id, community_id, received_at, occurred_at, category, building_id, seller_id, source, resolved_at,
       coalesce(occurred_at, received_at)::TIME AS time_of_day,
       hours_between(received_at, resolved_at) AS resolution_hours
FROM cur_complaints
