-- kind: staging points
-- grain: community_id, point_id
-- published: yes
-- one row per community × parcel point (current version)
SELECT community_id, point_id, coalesce(name, point_id) AS name, kind,
       CASE WHEN capacity > 0 THEN capacity END AS capacity, lat, lon
FROM cur_points
