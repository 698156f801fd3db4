"""The audit trail (SPEC §9): every import, undo, rule change, governance change and login.

One append-only table in the store. Writers call `record` inside their own transaction,
so an action and its audit row are stored together or not at all.
"""
from __future__ import annotations

import contextlib
import contextvars
import json

import duckdb

from pipelines.database import IMPORT_COMMUNITIES, has_table

TABLE = "audit_log"
# Who acts when a writer is given no user: the command line sets its OS account here ("os:root") for the
# length of one command, so every change it makes is audited under it; the dashboard sets BROWSER while
# it runs open (no account to name), so a change made in the open demo is never taken for the command line's.
ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("linli_audit_actor", default=None)
OS_PREFIX = "os:"
WEB_PREFIX = "web:"
BROWSER = WEB_PREFIX + "demo"
# a login name that is no account, kept as this prefix and a keyed hash (records/users.py): never as typed
UNKNOWN_PREFIX = "?"


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SEQUENCE IF NOT EXISTS audit_seq START 1")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
        recorded_at TIMESTAMP NOT NULL DEFAULT localtimestamp,
        user_name VARCHAR,          -- an account; os:<account> the command line; web:demo the open demo's browser; NULL unnamed
        action VARCHAR NOT NULL,    -- e.g. import, undo, rules, action.add, case.step, login.ok, login.failed
        community_id VARCHAR,
        detail VARCHAR              -- JSON: ids, counts, old/new values; never personal data
    )""")


def record(con: duckdb.DuckDBPyConnection, action: str, *, user: str | None = None,
           community_id: str | None = None, **detail) -> None:
    ensure(con)
    con.execute(f"INSERT INTO {TABLE} (user_name, action, community_id, detail) VALUES (?, ?, ?, ?)",
                [user if user is not None else ACTOR.get(), action, community_id,
                 json.dumps(detail, ensure_ascii=False, default=str) if detail else None])


@contextlib.contextmanager
def acting(actor: str | None):
    """Changes made inside are audited under `actor` where their writer names no user."""
    token = ACTOR.set(actor)
    try:
        yield
    finally:
        ACTOR.reset(token)


def who(user_name: str | None, nobody: str, lang: str) -> str:
    """A row's user in words: an account's name, the command line with its OS account ("命令行（root）"),
    a browser in the open demo ("浏览器（演示）"), or `nobody` (the command line before it was named,
    and the open demo's rows written before the browser was named)."""
    if not isinstance(user_name, str):     # NULL, or NaN from a frame
        return nobody
    if user_name.startswith(OS_PREFIX):
        account = user_name[len(OS_PREFIX):]
        return f"{nobody}（{account}）" if lang == "zh" else f"{nobody} ({account})"
    if user_name.startswith(WEB_PREFIX):
        return "浏览器（演示）" if lang == "zh" else "browser (demo)"
    if user_name.startswith(UNKNOWN_PREFIX):
        # the hash's first digits tell repeated tries of one typed name apart, and nothing more
        tag = user_name[len(UNKNOWN_PREFIX):][:6]
        if lang == "zh":
            return f"未知用户名（{tag}）" if tag else "未知用户名"
        return f"unknown name ({tag})" if tag else "unknown name"
    return user_name


def import_communities(con: duckdb.DuckDBPyConnection, kind: str, import_id: int) -> list[str]:
    """The communities an import's rows belong to, stored, seen unchanged or quarantined: whose trail it is part of.
    The stored and seen ones as the import noted them (store.note_communities): the versions of a feed hold every
    export ever imported, which each import and undo would otherwise scan."""
    rows = con.execute(f"""SELECT community_id FROM {IMPORT_COMMUNITIES}
                           WHERE import_id = ? AND kind = ? AND community_id IS NOT NULL
                           UNION SELECT json_extract_string(raw, '$.community_id') FROM quarantine
                           WHERE import_id = ? AND json_extract_string(raw, '$.community_id') IS NOT NULL
                           ORDER BY 1""", [import_id, kind, import_id]).fetchall()
    return [r[0] for r in rows]


def record_import(con: duckdb.DuckDBPyConnection, action: str, kind: str, import_id: int, *,
                  user: str | None, **detail) -> None:
    """An import or undo, under its one community when it has one, listing all it touched."""
    touched = import_communities(con, kind, import_id)
    record(con, action, user=user, community_id=touched[0] if len(touched) == 1 else None,
           import_id=import_id, kind=kind, communities=touched, **detail)


def _has_log(con) -> bool:
    return has_table(con, TABLE)


def trail(con: duckdb.DuckDBPyConnection, communities: list[str] | None, limit: int = 1000) -> list[tuple]:
    """Newest first: (seq, recorded_at, user_name, action, community_id, detail). `communities` None: all
    of it (admins); else the rows of those communities, and imports and undo whose rows were all theirs
    (a file of several communities carries their counts, so it stays with those who see them all)."""
    if not _has_log(con):
        return []
    where = "" if communities is None else """WHERE list_contains(?::VARCHAR[], community_id)
        OR coalesce(list_has_all(?::VARCHAR[], from_json(json_extract(detail, '$.communities'), '["VARCHAR"]'))
                    AND len(from_json(json_extract(detail, '$.communities'), '["VARCHAR"]')) > 0, false)"""
    params = [] if communities is None else [communities, communities]
    return con.execute(f"SELECT seq, recorded_at, user_name, action, community_id, detail FROM {TABLE} {where} "
                       "ORDER BY seq DESC LIMIT ?", [*params, limit]).fetchall()


def imports_of(con: duckdb.DuckDBPyConnection, communities: list[str]) -> set[int]:
    """The imports whose rows all belong to these communities (a director may see and undo them)."""
    if not _has_log(con):
        return set()
    rows = con.execute(f"""SELECT DISTINCT CAST(json_extract(detail, '$.import_id') AS INTEGER),
                                  from_json(json_extract(detail, '$.communities'), '["VARCHAR"]') AS touched
                           FROM {TABLE} WHERE action = 'import'""").fetchall()
    return {i for i, touched in rows if touched and set(touched) <= set(communities)}
