-- kind: view
-- grain: community_id, parcel_id
-- published: no
-- one row per parcel, flagged overdue by the community's limit (SPEC §5 parcels.overdue)
WITH final AS (
    SELECT p.*, r.overdue_hours,
           coalesce(p.dwell_hours, hours_between(p.arrived_at, e.data_end)) AS waited_hours,
           p.picked_up_at IS NULL AS still_waiting,
           coalesce(p.dwell_hours, hours_between(p.arrived_at, e.data_end)) > r.overdue_hours AS is_overdue
    FROM stg_parcels p
    JOIN community_rules_effective r USING (community_id)
    JOIN int_parcel_data_end e USING (community_id)
)
SELECT * FROM final
