-- kind: community
-- grain: community_id, complaint_id
-- published: yes
-- one row per complaint (no free text): the list a check page filters to those open at a period's end
WITH final AS (
    SELECT community_id, complaint_id, category, building_id, source, received_at, occurred_at, resolved_at,
           outside_hours
    FROM int_complaints_flagged
)
SELECT * FROM final
