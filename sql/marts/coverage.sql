-- kind: community
-- grain: community_id, feed, grain, period_start
-- published: yes
-- one row per community × event feed × grain × period of the spine: whether that feed is complete for the
-- period (SPEC §6 "Completeness is per feed"). kpi is unchanged (SPEC §5); pages and briefs overlay this, so a
-- feed not yet brought up to a period shows 未导入 rather than the 0 kpi counts for it.
--
-- A period is complete for a feed when the feed's data reaches the period's last day (an event on or after
-- it: a week's Sunday), or when a file of that feed bringing rows of this community was imported after the
-- period ended (a register with no event on the last day is still brought up to it). `in_use`: the community
-- has imported the feed at all; a period is complete when every feed in use is (snapshot_reader.coverage).
-- A feed never imported is complete for no period, and in use for none, so it never holds a period back.
-- Small (communities × 6 feeds × periods) and it reads the imports history, so it is rebuilt whole for each
-- community an increment touched (an undone import's communities among them).
WITH feeds AS (
    SELECT * FROM (VALUES {{ event_feeds }}) f(feed)
),
latest AS (
    -- the feed's latest time of SPEC §5's list per community (as mart_feed_freshness)
    SELECT community_id, feed, latest_event FROM int_feed_times
),
brought AS (
    {{ feed_import_rows }}
),
imported AS (
    -- the latest applied (not undone) file of the feed that brought rows of the community
    SELECT b.community_id, b.feed, max(i.imported_at)::TIMESTAMP AS last_import
    FROM brought b JOIN imports i ON i.import_id = b.import_id AND i.status = 'applied'
    GROUP BY b.community_id, b.feed
),
final AS (
    SELECT s.community_id, f.feed, s.grain, s.period_start, s.period_next,
           (l.latest_event IS NOT NULL OR m.last_import IS NOT NULL) AS in_use,
           l.latest_event::TIMESTAMP AS data_end,
           m.last_import,
           coalesce(l.latest_event::TIMESTAMP >= (s.period_next - INTERVAL 1 DAY)::TIMESTAMP, false)
               OR coalesce(m.last_import >= s.period_next::TIMESTAMP, false) AS complete
    FROM period_spine s
    CROSS JOIN feeds f
    LEFT JOIN latest l ON l.community_id = s.community_id AND l.feed = f.feed
    LEFT JOIN imported m ON m.community_id = s.community_id AND m.feed = f.feed
)
SELECT * FROM final
