-- kind: community
-- grain: community_id, feed
-- published: yes
-- one row per community × event feed: how recent its data is (SPEC §6 "every page says how recent")
WITH final AS (
    -- the feed's latest time of SPEC §5's list (greatest ignores an empty picked_up_at / resolved_at),
    -- from the feed registry (pipelines/feeds.py period_times), kept by int_feed_times
    SELECT community_id, feed, latest_event, rows FROM int_feed_times
)
SELECT * FROM final
