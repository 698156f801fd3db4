-- kind: staging parcels
-- grain: community_id, parcel_id
-- published: no
-- one row per parcel (current version), dwell in hours where picked up
SELECT parcel_id, community_id, point_id, carrier, arrived_at, picked_up_at, building_id,
       hours_between(arrived_at, picked_up_at) AS dwell_hours
FROM cur_parcels
