-- grain: one row per quarantined source row still waiting for a fix (no later import supplied its id)
-- incremental: full (small; recomputed on every build)
WITH applied AS (
    SELECT q.* FROM quarantine q JOIN imports i USING (import_id) WHERE i.status = 'applied'
),
fixed AS (
    SELECT q.import_id, q.row_number, q.file_name FROM applied q
    WHERE (q.kind = 'orders' AND EXISTS (SELECT 1 FROM cur_orders c
              WHERE c.order_id = json_extract_string(q.raw, '$.order_id') AND c._import_id >= q.import_id))
       OR (q.kind = 'parcels' AND EXISTS (SELECT 1 FROM cur_parcels c
              WHERE c.parcel_id = json_extract_string(q.raw, '$.parcel_id') AND c._import_id >= q.import_id))
       OR (q.kind = 'complaints' AND EXISTS (SELECT 1 FROM cur_complaints c
              WHERE c.complaint_id = json_extract_string(q.raw, '$.complaint_id') AND c._import_id >= q.import_id))
       OR (q.kind = 'training' AND EXISTS (SELECT 1 FROM cur_training c
              WHERE c.session_id = json_extract_string(q.raw, '$.session_id')
                AND c.participant_id = json_extract_string(q.raw, '$.participant_id') AND c._import_id >= q.import_id))
       OR (q.kind = 'jobs' AND EXISTS (SELECT 1 FROM cur_jobs c
              WHERE c.placement_id = json_extract_string(q.raw, '$.placement_id') AND c._import_id >= q.import_id))
       OR (q.kind = 'communities' AND EXISTS (SELECT 1 FROM cur_communities c
              WHERE c.community_id = json_extract_string(q.raw, '$.community_id') AND c._import_id >= q.import_id))
       OR (q.kind = 'buildings' AND EXISTS (SELECT 1 FROM cur_buildings c
              WHERE c.building_id = json_extract_string(q.raw, '$.building_id')
                AND c.community_id = json_extract_string(q.raw, '$.community_id') AND c._import_id >= q.import_id))
       OR (q.kind = 'points' AND EXISTS (SELECT 1 FROM cur_points c
              WHERE c.point_id = json_extract_string(q.raw, '$.point_id')
                AND c.community_id = json_extract_string(q.raw, '$.community_id') AND c._import_id >= q.import_id))
       OR (q.kind = 'sellers' AND EXISTS (SELECT 1 FROM cur_sellers c
              WHERE c.seller_id = json_extract_string(q.raw, '$.seller_id') AND c._import_id >= q.import_id))
),
final AS (
    SELECT a.import_id, a.kind, a.file_name, a.row_number, a.columns, a.reason_zh, a.reason_en, a.raw,
           json_extract_string(a.raw, '$.community_id') AS community_id
    FROM applied a ANTI JOIN fixed f USING (import_id, row_number, file_name)
)
SELECT * FROM final
