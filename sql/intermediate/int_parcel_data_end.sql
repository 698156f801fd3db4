-- kind: full
-- grain: community_id
-- published: no
-- one row per community with parcels: how far its parcel data runs, its latest arrival or pickup. A parcel
-- not picked up has waited until then (int_parcels); an incremental build compares the ends the last build
-- stored here with the new ones to see whether a community's data end moved (pipelines/build/increment.py).
-- A table of a row per community: int_parcels, a view, joins it in every mart that reads it.
SELECT community_id, max(coalesce(greatest(arrived_at, picked_up_at), arrived_at)) AS data_end
FROM stg_parcels
GROUP BY community_id
