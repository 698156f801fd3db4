-- kind: period
-- grain: community_id, grain, period_start, weekday, hour
-- published: yes
-- one row per community × grain × period × weekday (1=Monday) × hour of day with pickups
-- counted per clock hour first (weekday, hour of day, week and month are all whole hours): the week × month
-- fan-out is over hours, not 4 M rows
WITH hours AS (
    SELECT community_id, date_trunc('hour', picked_up_at) AS at_hour, count(*) AS pickups
    FROM int_parcels
    WHERE picked_up_at IS NOT NULL
    GROUP BY ALL
)
SELECT community_id, g.grain, period_start(g.grain, at_hour) AS period_start,
       isodow(at_hour) AS weekday, hour(at_hour) AS hour, sum(pickups)::BIGINT AS pickups
FROM hours CROSS JOIN (VALUES ('week'), ('month')) g(grain)
GROUP BY ALL
