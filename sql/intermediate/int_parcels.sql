-- kind: view
-- grain: community_id, parcel_id as in stg_parcels
-- published: no
-- one row per parcel with everything the parcel marts derive from it, written once: the week and month its
-- arrival and its pickup fall in, dwell and waited hours, the overdue flag (SPEC §5 parcels.overdue), and the
-- full hours it enters and leaves its point's stock (int_point_hourly). The marts read this, not stg_parcels.
-- A view: each mart reads the columns it needs in its own pass. As a table, writing its 4 M rows was the
-- largest cost of a street build (5.7 s of 17.9), more than every mart reading it computed.
-- A parcel still waiting has waited until the community's data end (int_parcel_data_end), which moves with
-- each import: mart_overdue_parcels replaces the row of every parcel it recomputed.
-- Each row is one of stg_parcels (joined to a row per community), so its grain audit compares
-- row counts rather than grouping every key (pipelines/build/models.py grain_audit).
WITH final AS (
    SELECT p.community_id, p.parcel_id, p.point_id, p.carrier, p.building_id, p.arrived_at, p.picked_up_at,
           p.dwell_hours,
           coalesce(p.dwell_hours, hours_between(p.arrived_at, c.data_end)) AS waited_hours,
           p.picked_up_at IS NULL AS still_waiting,
           coalesce(p.dwell_hours, hours_between(p.arrived_at, c.data_end)) > c.overdue_hours AS is_overdue,
           period_start('week', p.arrived_at) AS arrived_week,
           period_start('month', p.arrived_at) AS arrived_month,
           period_start('week', p.picked_up_at) AS picked_up_week,
           period_start('month', p.picked_up_at) AS picked_up_month,
           ceil_hour(p.arrived_at) AS in_hour,
           ceil_hour(p.picked_up_at) AS out_hour,
           -- the same two hours as numbers (sql/macros.sql), which int_point_hourly groups and joins by
           hour_number(p.arrived_at) AS in_hour_number,
           hour_number(p.picked_up_at) AS out_hour_number
    FROM stg_parcels p
    -- every community with parcels has its rules and its data end; grouped by community and left-joined, the
    -- join is known to keep each parcel once, so DuckDB drops it from the marts that read neither column
    -- (pickups, dwell, hourly stock): an inner join was probed by all 4 M parcels in each of them
    LEFT JOIN (
        SELECT community_id, any_value(r.overdue_hours) AS overdue_hours, any_value(e.data_end) AS data_end
        FROM community_rules_effective r JOIN int_parcel_data_end e USING (community_id)
        GROUP BY community_id
    ) c USING (community_id)
)
SELECT * FROM final
