"""The community's report to the street office (SPEC §10, issue 19 item 5): a kept record, one per community,
grain and period, with its text as edited and whether it was sent; every save is a history row and an audit
row in the same transaction.

Written only through the access policy (access.require(account, "reports", community)): a director or an
admin of the community saves and marks sent; the command line and the open demo are `account` None.
Read by whoever reads the community (the pages hold the read to the viewer's scope).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipelines.database import has_table
from pipelines.errors import UserError
from pipelines.records import access, audit
from pipelines.records.actions import _CONTROL, check_community
from pipelines.records.users import Account

TABLE = "reports"
HISTORY = "reports_history"
STATUSES = ("draft", "sent")
STATUS_ZH = {"draft": "草稿", "sent": "已发送"}
MAX_TEXT = 20000     # a weekly report runs to about a thousand characters; a month's with its cases a few more
GRAINS = ("week", "month")


@dataclass(frozen=True)
class Report:
    community_id: str
    grain: str
    period_start: dt.date
    text: str
    status: str
    updated_by: str | None
    updated_at: dt.datetime


def ensure(con) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        community_id VARCHAR NOT NULL, grain VARCHAR NOT NULL, period_start DATE NOT NULL,
        text VARCHAR NOT NULL, status VARCHAR NOT NULL,        -- draft | sent
        updated_by VARCHAR, updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (community_id, grain, period_start))""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {HISTORY} (
        community_id VARCHAR NOT NULL, grain VARCHAR NOT NULL, period_start DATE NOT NULL,
        text VARCHAR NOT NULL, status VARCHAR NOT NULL, changed_by VARCHAR, changed_at TIMESTAMP NOT NULL)""")


def _clean(text: str) -> str:
    # the report is the community's own words: control characters go, phone numbers stay as typed (it names
    # the people responsible to the street office, as a letter would), the length is bounded
    text = _CONTROL.sub("", str(text or "")).strip()
    if not text:
        raise UserError("报告不能为空。", "the report cannot be empty.")
    if len(text) > MAX_TEXT:
        raise UserError(f"报告太长：最多 {MAX_TEXT} 个字，现在有 {len(text)} 个。",
                        f"the report is too long: at most {MAX_TEXT} characters, it has {len(text)}.")
    return text


def save(con, community_id: str, grain: str, period_start: dt.date, text: str, status: str = "draft", *,
         account: Account | None = None, user: str | None = None, at: dt.datetime | None = None) -> Report:
    """Store the report's text and status (a new one, or a change to it); refused (access.NotAllowed, nothing
    written) unless the policy lets `account` write this community's report. Runs in the caller's transaction."""
    access.require(account, "reports", community_id)
    if grain not in GRAINS:
        raise ValueError(f"grain {grain!r}")
    if status not in STATUSES:
        raise UserError(f"状态“{status}”无法识别：可用 draft（草稿）或 sent（已发送）。",
                        f"unknown status '{status}': use draft or sent.")
    ensure(con)
    community_id = check_community(con, community_id)
    user = account.name if account is not None else (user if user is not None else audit.ACTOR.get())
    text = _clean(text)
    at = at or dt.datetime.now().replace(microsecond=0)
    old = get(con, community_id, grain, period_start)
    if old is not None and old.text == text and old.status == status:
        return old
    con.execute(f"""INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [community_id, grain, period_start, text, status, user, at])
    con.execute(f"INSERT INTO {HISTORY} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [community_id, grain, period_start, text, status, user, at])
    audit.record(con, "report.sent" if status == "sent" and (old is None or old.status != "sent") else "report.save",
                 user=user, community_id=community_id, grain=grain, period_start=period_start, status=status,
                 chars=len(text))
    return get(con, community_id, grain, period_start)


def get(con, community_id: str, grain: str, period_start: dt.date) -> Report | None:
    if con is None or not has_table(con, TABLE):
        return None
    row = con.execute(f"""SELECT community_id, grain, period_start, text, status, updated_by, updated_at FROM {TABLE}
                          WHERE community_id = ? AND grain = ? AND period_start = ?""",
                      [community_id, grain, period_start]).fetchone()
    return Report(*row) if row else None


def of_period(con, communities: list[str], grain: str, period_start: dt.date) -> dict[str, Report]:
    """community -> its stored report for the period (draft or sent), for the communities asked about."""
    if con is None or not has_table(con, TABLE):
        return {}
    rows = con.execute(f"""SELECT community_id, grain, period_start, text, status, updated_by, updated_at FROM {TABLE}
                           WHERE grain = ? AND period_start = ? AND list_contains(?::VARCHAR[], community_id)""",
                       [grain, period_start, list(communities)]).fetchall()
    return {r[0]: Report(*r) for r in rows}


def history(con, community_id: str, grain: str, period_start: dt.date) -> list[dict]:
    if con is None or not has_table(con, HISTORY):
        return []
    cur = con.execute(f"""SELECT status, changed_by, changed_at, text FROM {HISTORY}
                          WHERE community_id = ? AND grain = ? AND period_start = ? ORDER BY changed_at, rowid""",
                      [community_id, grain, period_start])
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
