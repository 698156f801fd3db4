-- kind: staging communities
-- grain: community_id
-- published: yes
-- one row per community (current version)
SELECT community_id, coalesce(name, community_id) AS name, street, households, lat, lon
FROM cur_communities
