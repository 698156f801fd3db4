-- kind: period
-- grain: community_id, grain, period_start, bin
-- published: yes
-- one row per community × grain × period × dwell-time bin (parcels picked up in the period)
-- counted per pickup day first (a week and a month are whole days): the week × month fan-out is over days
WITH binned AS (
    SELECT community_id, picked_up_at::DATE AS day,
           CASE WHEN dwell_hours < 2 THEN 1 WHEN dwell_hours < 6 THEN 2 WHEN dwell_hours < 12 THEN 3
                WHEN dwell_hours < 24 THEN 4 WHEN dwell_hours < 48 THEN 5 WHEN dwell_hours <= 72 THEN 6
                ELSE 7 END AS bin,
           count(*) AS parcels
    FROM int_parcels
    WHERE picked_up_at IS NOT NULL
    GROUP BY ALL
)
SELECT community_id, g.grain, period_start(g.grain, day) AS period_start, bin, sum(parcels)::BIGINT AS parcels
FROM binned CROSS JOIN (VALUES ('week'), ('month')) g(grain)
GROUP BY ALL
