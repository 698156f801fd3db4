-- template: the current version of each key of a feed (pipelines/ingest/store.py fills the names)
-- grain: the feed's key
-- The rule that decides which stored version of a key is current: the latest applied import that brought
-- the key (an undone import's rows no longer count, so undo brings back exactly what it replaced), the row
-- furthest down the file (highest _row) winning within one import. An import that brought a row unchanged
-- stored only that it saw it (seen_<feed>: key, import, row, and the stored row holding the values).
-- The store keeps the result in cur_<feed>, a table: an import writes what it changed, an undo runs this
-- rule over the keys it touched alone, so reading the current rows never ranks every version.
WITH versions AS (
    SELECT {{ feed_key }}, _import_id, _row, _import_id AS _src_import FROM {{ raw_rows }} WHERE {{ versions_where }}
    UNION ALL
    SELECT {{ feed_key }}, _import_id, _row, _src_import FROM {{ seen_rows }} WHERE {{ versions_where }}
),
winners AS (
    SELECT * FROM versions
    WHERE _import_id IN (SELECT import_id FROM imports WHERE status = 'applied')
    QUALIFY row_number() OVER (PARTITION BY {{ feed_key }} ORDER BY _import_id DESC, _row DESC) = 1
)
SELECT r.* FROM winners w JOIN {{ raw_rows }} r ON {{ key_match }} AND r._import_id = w._src_import
