-- kind: community
-- grain: community_id, feed
-- published: no
-- one row per community × event feed with rows: the earliest and the latest of its times of SPEC §5's list
-- (from the feed registry, pipelines/feeds.py period_times) and its rows. The spine's range, each feed's
-- freshness and its coverage read these bounds, so every event row is read once a build, not three times.
WITH final AS (
    SELECT community_id, feed, first_event::TIMESTAMP AS first_event, latest_event::TIMESTAMP AS latest_event, rows
    FROM (
    {{ feed_time_bounds }}
    )
)
SELECT * FROM final
