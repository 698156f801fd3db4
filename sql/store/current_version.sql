-- template: the store's view cur_<feed>, one per feed of pipelines/feeds.py (pipelines/ingest/store.py fills the names)
-- grain: the feed's key
-- The current version of each key: the latest applied import's (an undone import's rows no longer count,
-- so undo brings back exactly what it replaced), the row furthest down the file (highest _row) winning
-- within one import.
SELECT r.* FROM {{ raw_rows }} r
WHERE r._import_id IN (SELECT import_id FROM imports WHERE status = 'applied')
QUALIFY row_number() OVER (PARTITION BY {{ feed_key }} ORDER BY r._import_id DESC, r._row DESC) = 1
