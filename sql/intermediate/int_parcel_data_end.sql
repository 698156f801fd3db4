-- kind: view
-- grain: community_id
-- published: no
-- one row per community with parcels: how far its parcel data runs, its latest arrival or pickup. A parcel
-- not picked up has waited until then (int_parcels); an incremental build reads the same view to
-- see whether a community's data end moved (pipelines/build/increment.py).
SELECT community_id, max(coalesce(greatest(arrived_at, picked_up_at), arrived_at)) AS data_end
FROM stg_parcels
GROUP BY community_id
