-- kind: since arrived_at
-- grain: community_id, parcel_id
-- published: yes
-- one row per overdue parcel (the list the parcel point works through)
SELECT community_id, point_id, parcel_id, building_id, carrier, arrived_at, picked_up_at,
       round(waited_hours, 1) AS waited_hours, still_waiting
FROM int_parcels
WHERE is_overdue
