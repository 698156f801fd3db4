"""The audit trail (SPEC §9): every import, undo, rule change, governance change and login.

One append-only table in the store. Writers call `record` inside their own transaction,
so an action and its audit row are stored together or not at all.
"""
from __future__ import annotations

import json

import duckdb

TABLE = "audit_log"


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SEQUENCE IF NOT EXISTS audit_seq START 1")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
        recorded_at TIMESTAMP NOT NULL DEFAULT localtimestamp,
        user_name VARCHAR,          -- NULL: the command line or the open demo, no login
        action VARCHAR NOT NULL,    -- e.g. import, undo, rules, action.add, case.step, login.ok, login.failed
        community_id VARCHAR,
        detail VARCHAR              -- JSON: ids, counts, old/new values; never personal data
    )""")


def record(con: duckdb.DuckDBPyConnection, action: str, *, user: str | None = None,
           community_id: str | None = None, **detail) -> None:
    ensure(con)
    con.execute(f"INSERT INTO {TABLE} (user_name, action, community_id, detail) VALUES (?, ?, ?, ?)",
                [user, action, community_id, json.dumps(detail, ensure_ascii=False, default=str) if detail else None])
