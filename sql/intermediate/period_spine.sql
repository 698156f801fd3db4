-- kind: community
-- grain: community_id, grain, period_start
-- published: yes
-- one row per community × grain × period, from the community's first to last period with any event time
WITH RECURSIVE bounds AS (
    -- every time of SPEC §5's list, from the feed registry (pipelines/feeds.py period_times): each feed's
    -- earliest and latest, kept by int_feed_times
    SELECT community_id, min(first_event) AS first_t, max(latest_event) AS last_t
    FROM int_feed_times WHERE latest_event IS NOT NULL GROUP BY community_id
),
periods AS (
    -- the period holding the first time, then each next one up to the period holding the last, by the
    -- macros of sql/macros.sql (within 2 ms of generate_series over date_trunc, even for 26,000 periods)
    SELECT community_id, g.grain, period_start(g.grain, first_t) AS period_start,
           period_start(g.grain, last_t) AS last_start
    FROM bounds CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    UNION ALL
    SELECT community_id, grain, period_next(grain, period_start)::DATE, last_start
    FROM periods WHERE period_start < last_start
),
final AS (
    -- data_end: the community's latest event time, which decides whether a period is complete (SPEC §6)
    SELECT p.community_id, p.grain, p.period_start, period_next(p.grain, p.period_start) AS period_next,
           b.last_t AS data_end
    FROM periods p JOIN bounds b USING (community_id)
)
SELECT * FROM final
