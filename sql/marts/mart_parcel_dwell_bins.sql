-- kind: period
-- grain: community_id, grain, period_start, bin
-- published: yes
-- one row per community × grain × period × dwell-time bin (parcels picked up in the period)
WITH binned AS (
    SELECT community_id, g.grain,
           CASE g.grain WHEN 'week' THEN picked_up_week ELSE picked_up_month END AS period_start,
           CASE WHEN dwell_hours < 2 THEN 1 WHEN dwell_hours < 6 THEN 2 WHEN dwell_hours < 12 THEN 3
                WHEN dwell_hours < 24 THEN 4 WHEN dwell_hours < 48 THEN 5 WHEN dwell_hours <= 72 THEN 6
                ELSE 7 END AS bin
    FROM int_parcels CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    WHERE picked_up_at IS NOT NULL
)
SELECT community_id, grain, period_start, bin, count(*) AS parcels FROM binned GROUP BY ALL
