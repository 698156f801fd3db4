-- kind: community
-- grain: community_id
-- published: no
-- one row per community with parcels: how far its parcel data runs, its latest arrival or pickup. A parcel
-- not picked up has waited until then (int_parcels); an incremental build compares the ends the last build
-- stored here with the new ones to see whether a community's data end moved (pipelines/build/increment.py).
-- A table of a row per community: int_parcels, a view, joins it in every mart that reads it.
-- The latest of the parcels' times of SPEC §5's list (arrival or pickup) is the feed's latest event, which
-- int_feed_times keeps from the feed registry: the rule is written once, there.
SELECT community_id, latest_event AS data_end
FROM int_feed_times
WHERE feed = 'parcels'
