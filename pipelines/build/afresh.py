"""A store emptied of everything imported and derived, keeping what people recorded (records/kept.py KEPT_TABLES).

`linli demo` starts the imported data afresh. It used to delete the database file, and with it
every action item, case, account and audit row. Now, when the store holds any record, everything
else is dropped inside one transaction instead: the records never leave the file, so a demo that
fails halfway (a full disk, an interrupt) still has them. A store without records is deleted as
before, which also gives back its space at once.
"""
from __future__ import annotations

import re
from pathlib import Path

from pipelines.database import connect, transaction
from pipelines.ingest.store import ensure_schema
from pipelines.records.kept import KEPT_TABLES


def _catalog(con, sql: str) -> list:
    return [r[0] if len(r) == 1 else r for r in con.execute(sql).fetchall()]


def _holds_records(con) -> bool:
    kept = _catalog(con, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                         "AND database_name = current_database()")
    return any(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in kept if t in KEPT_TABLES)


def start_afresh(db_path: str | Path) -> bool:
    """Leave only the kept tables (and the sequences their defaults draw on). Returns True when records
    were kept, False when the store had none and its file was deleted (or there was none)."""
    path = Path(db_path)
    wal = path.with_name(path.name + ".wal")
    if not path.exists():
        wal.unlink(missing_ok=True)
        return False
    con = connect(path)      # refuses a file that is not a Linli database, as every command does
    try:
        if not _holds_records(con):
            con.close()
            for old in (path, wal):
                old.unlink(missing_ok=True)
            return False
        here = "database_name = current_database() AND schema_name = 'main'"
        tables = _catalog(con, f"SELECT table_name, sql FROM duckdb_tables() WHERE {here} AND NOT temporary")
        kept_sql = " ".join(sql or "" for name, sql in tables if name in KEPT_TABLES)
        needed = set(re.findall(r"nextval\('([^']+)'\)", kept_sql))
        with transaction(con):
            for view in _catalog(con, f"SELECT view_name FROM duckdb_views() WHERE {here} AND NOT internal"):
                con.execute(f'DROP VIEW IF EXISTS "{view}"')
            for name, _ in tables:
                if name not in KEPT_TABLES:
                    con.execute(f'DROP TABLE IF EXISTS "{name}"')
            for seq in _catalog(con, f"SELECT sequence_name FROM duckdb_sequences() WHERE {here}"):
                if seq not in needed:
                    con.execute(f'DROP SEQUENCE IF EXISTS "{seq}"')
            # an empty Linli schema at once: a store of records alone would look like another program's file
            ensure_schema(con)
        con.execute("CHECKPOINT")
        return True
    finally:
        try:
            con.close()
        except Exception:   # closed above when the file was deleted
            pass
