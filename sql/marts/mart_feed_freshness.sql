-- grain: one row per community × event feed: how recent its data is (SPEC §6 "every page says how recent")
-- incremental: full (small; recomputed on every build)
WITH times AS (
    -- the feed's latest anchor time (SPEC §5's list), the one a check page needs to trust a quiet period
    SELECT community_id, 'orders' AS feed, max(ordered_at) AS latest_event, count(*) AS rows FROM stg_orders GROUP BY 1
    UNION ALL
    SELECT community_id, 'parcels', max(greatest(arrived_at, coalesce(picked_up_at, arrived_at))), count(*)
    FROM stg_parcels GROUP BY 1
    UNION ALL
    SELECT community_id, 'complaints', max(greatest(received_at, coalesce(resolved_at, received_at))), count(*)
    FROM stg_complaints GROUP BY 1
    UNION ALL
    SELECT community_id, 'training', max(session_date)::TIMESTAMP, count(*) FROM stg_training GROUP BY 1
    UNION ALL
    SELECT community_id, 'jobs', max(started_on)::TIMESTAMP, count(*) FROM stg_jobs GROUP BY 1
    UNION ALL
    SELECT community_id, 'feedback', max(surveyed_on)::TIMESTAMP, count(*) FROM stg_feedback GROUP BY 1
),
final AS (
    SELECT community_id, feed, latest_event::TIMESTAMP AS latest_event, rows FROM times
)
SELECT * FROM final
