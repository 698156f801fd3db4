-- kind: full
-- grain: import_id, row_number
-- published: yes
-- one row per quarantined source row still waiting for a fix (no import since supplied its key)
WITH applied AS (
    SELECT q.* FROM quarantine q JOIN imports i USING (import_id) WHERE i.status = 'applied'
),
since AS (
    -- a row stays open unless an import at or after its own supplied the key, so the imports before the
    -- earliest quarantined row cannot close any: their rows are skipped (the stored rows lie in import order,
    -- so their keys are not even read; with every row's key this cost 0.9 CPU s a build at street scale)
    SELECT coalesce(min(import_id), 2147483647) AS first_import FROM applied
),
stored AS (
    -- every stored row's key, and the same without its community (which a quarantined row may lack)
    SELECT kind, row_key AS match_key, _import_id FROM raw_keys
    WHERE _import_id >= (SELECT first_import FROM since)
    UNION ALL
    SELECT kind, substr(row_key, strpos(row_key, chr(31))), _import_id FROM raw_keys
    WHERE _import_id >= (SELECT first_import FROM since) AND strpos(row_key, chr(31)) > 0
),
supplied AS (
    -- the keys of quarantined rows that applied imports stored, with the latest such import
    SELECT k.kind, k.match_key AS row_key, max(k._import_id) AS last_import
    FROM stored k JOIN imports i ON i.import_id = k._import_id
    WHERE i.status = 'applied' AND (k.kind, k.match_key) IN (SELECT (kind, row_key) FROM applied)
    GROUP BY k.kind, k.match_key
),
final AS (
    SELECT a.import_id, a.kind, a.file_name, a.row_number, a.columns, a.reason_zh, a.reason_en, a.raw,
           json_extract_string(a.raw, '$.community_id') AS community_id
    FROM applied a LEFT JOIN supplied s USING (kind, row_key)
    WHERE s.last_import IS NULL OR s.last_import < a.import_id
)
SELECT * FROM final
