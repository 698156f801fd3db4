"""A community's own events (a market day, a building's renovation) that the forecasts read beside the shipped
festival calendar (pipelines/forecast/festivals.csv, SPEC §10).

Table `community_events` (community_id, name, starts_on, ends_on, kind, added_by, added_at) — grain: one row per
event (event_id). A kept record (records/kept.py): no import, build, undo or demo run changes it. Each add and
remove is written to the audit trail. Who may change them: pipelines/records/access.py ("community_events").
The forecast learns an event's effect from earlier events of the same name, else of the same kind (an event's
`kind`, 'community' unless given), so a monthly market day teaches the next one.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pipelines.database import connect, has_table, transaction
from pipelines.errors import UserError
from pipelines.records import access, audit
from pipelines.records.users import Account

TABLE = "community_events"
COLUMNS = ("event_id", "community_id", "name", "starts_on", "ends_on", "kind", "added_by", "added_at")
KIND = "community"
# an event longer than this is not one event (a typo in a year); the festival calendar's longest is 18 days
MAX_DAYS = 62


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE SEQUENCE IF NOT EXISTS {TABLE}_seq""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        event_id BIGINT PRIMARY KEY DEFAULT nextval('{TABLE}_seq'), community_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL, starts_on DATE NOT NULL, ends_on DATE NOT NULL, kind VARCHAR NOT NULL,
        added_by VARCHAR, added_at TIMESTAMP NOT NULL)""")


def _checked(community_id: str, name: str, starts_on: dt.date, ends_on: dt.date) -> tuple[str, str]:
    community_id, name = (community_id or "").strip(), (name or "").strip()
    if not community_id:
        raise UserError("请给出社区编号，例如 A。", "give a community id, e.g. A.")
    if not name:
        raise UserError("请给活动起个名字，例如“周末集市”。", "give the event a name, e.g. 'weekend market'.")
    if ends_on < starts_on:
        raise UserError(f"结束日期 {ends_on:%Y-%m-%d} 早于开始日期 {starts_on:%Y-%m-%d}：请检查日期。",
                        f"the end {ends_on:%Y-%m-%d} is before the start {starts_on:%Y-%m-%d}: check the dates.")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise UserError(f"活动长达 {(ends_on - starts_on).days + 1} 天，超过 {MAX_DAYS} 天：请检查日期（年份是否写错）。",
                        f"the event lasts {(ends_on - starts_on).days + 1} days, more than {MAX_DAYS}: check the "
                        "dates (the year?).")
    return community_id, name


def add(db_path: str | Path, community_id: str, name: str, starts_on: dt.date, ends_on: dt.date,
        kind: str | None = None, user: str | None = None, *, account: Account | None = None) -> dict:
    """Record an event; refused (access.NotAllowed, nothing written) unless the policy lets `account` change this
    community's events (None: the command line or the open demo). Returns the row as stored."""
    _checked(community_id, name, starts_on, ends_on)
    access.require(account, "community_events", (community_id or "").strip())
    con = connect(db_path)
    try:
        with transaction(con):
            return add_in(con, community_id, name, starts_on, ends_on, kind, user, account=account)
    finally:
        con.close()


def add_in(con: duckdb.DuckDBPyConnection, community_id: str, name: str, starts_on: dt.date, ends_on: dt.date,
           kind: str | None = None, user: str | None = None, *, account: Account | None = None) -> dict:
    """`add` inside the caller's transaction (the dashboard's shared connection: dashboard/queries.py)."""
    community_id, name = _checked(community_id, name, starts_on, ends_on)
    access.require(account, "community_events", community_id)
    user = account.name if account is not None else (user if user is not None else audit.ACTOR.get())
    ensure_table(con)
    row = con.execute(f"""INSERT INTO {TABLE} (community_id, name, starts_on, ends_on, kind, added_by, added_at)
                          VALUES (?, ?, ?, ?, ?, ?, localtimestamp) RETURNING {', '.join(COLUMNS)}""",
                      [community_id, name, starts_on, ends_on, (kind or KIND).strip() or KIND, user]).fetchall()[0]
    audit.record(con, "community_event.add", user=user, community_id=community_id, name=name,
                 starts_on=starts_on, ends_on=ends_on)
    return dict(zip(COLUMNS, row))


def events(db_path_or_con, community_id: str | None = None) -> list[dict]:
    """The events recorded (of one community, or all), by start; [] before any was."""
    own = not isinstance(db_path_or_con, duckdb.DuckDBPyConnection)
    if own and not Path(db_path_or_con).exists():
        return []
    con = connect(db_path_or_con, read_only=True) if own else db_path_or_con
    try:
        if not has_table(con, TABLE):
            return []
        where, params = ("WHERE community_id = ?", [community_id]) if community_id else ("", [])
        rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} {where} "
                           "ORDER BY community_id, starts_on, event_id",
                           params).fetchall()
        return [dict(zip(COLUMNS, r)) for r in rows]
    finally:
        if own:
            con.close()


def remove(db_path: str | Path, event_id: int, user: str | None = None, *, account: Account | None = None) -> dict:
    """Remove one event by its number (as `linli events list` shows it); UserError when there is none."""
    con = connect(db_path)
    try:
        with transaction(con):
            ensure_table(con)
            found = con.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE event_id = ?", [event_id]).fetchall()
            if not found:
                raise UserError(f"没有编号为 {event_id} 的活动：用 `linli events list` 查看编号。",
                                f"there is no event number {event_id}: see `linli events list`.")
            row = dict(zip(COLUMNS, found[0]))
            access.require(account, "community_events", row["community_id"])
            user = account.name if account is not None else (user if user is not None else audit.ACTOR.get())
            con.execute(f"DELETE FROM {TABLE} WHERE event_id = ?", [event_id])
            audit.record(con, "community_event.remove", user=user, community_id=row["community_id"], name=row["name"],
                         starts_on=row["starts_on"], ends_on=row["ends_on"])
    finally:
        con.close()
    return row
