-- kind: staging buildings
-- grain: community_id, building_id
-- published: yes
-- one row per community × building (current version)
SELECT community_id, building_id, coalesce(name, building_id) AS name, households, lat, lon
FROM cur_buildings
