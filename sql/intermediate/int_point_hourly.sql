-- kind: since hour
-- grain: community_id, point_id, hour
-- published: no
-- one row per parcel point with a capacity × full hour of its community's periods
-- A table, not a view: two marts read it, and its grain audit would compute it a third time.
WITH points AS (
    SELECT community_id, point_id, capacity FROM stg_points WHERE capacity IS NOT NULL
),
span AS (
    SELECT community_id, min(period_start)::TIMESTAMP AS first_hour, max(period_next) - INTERVAL 1 HOUR AS last_hour
    FROM period_spine GROUP BY community_id
),
hours AS (
    SELECT community_id, unnest(generate_series(first_hour, last_hour, INTERVAL 1 HOUR)) AS hour FROM span
),
moves AS (
    -- a parcel counts in stock at full hour t when arrived_at <= t and it is not picked up by t;
    -- counted per point and hour first (4 M parcels become a few hundred thousand hours), then
    -- moves before the first hour land on it (an incremental build starts mid-history with stock on hand).
    -- Hours by number (sql/macros.sql hour_number): grouping and joining by date_trunc's timestamps cost a third more
    SELECT community_id, point_id, in_hour_number AS hour_no, count(*) AS delta
    FROM int_parcels GROUP BY ALL
    UNION ALL
    SELECT community_id, point_id, out_hour_number, -count(*)
    FROM int_parcels WHERE picked_up_at IS NOT NULL GROUP BY ALL
),
moves_by_hour AS (
    SELECT m.community_id, m.point_id, greatest(m.hour_no, hour_number(s.first_hour)) AS hour_no, sum(m.delta) AS delta
    FROM moves m JOIN span s USING (community_id) GROUP BY ALL
),
grid AS (
    SELECT h.community_id, p.point_id, p.capacity, h.hour, hour_number(h.hour) AS hour_no
    FROM hours h JOIN points p USING (community_id)
),
final AS (
    SELECT g.community_id, g.point_id, g.hour, g.capacity,
           sum(coalesce(m.delta, 0)) OVER (PARTITION BY g.community_id, g.point_id ORDER BY g.hour) AS in_stock
    FROM grid g LEFT JOIN moves_by_hour m USING (community_id, point_id, hour_no)
)
SELECT * FROM final
