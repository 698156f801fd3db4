"""The cooperative's profit split (SPEC §5): members / cooperative / community fund, per community, with
the day each split was adopted.

The split is money, not a yardstick: a period's shares use the split in force on the period's first
day, so a change from July leaves the books of June as they were paid out. Each adoption is one row of
`coop_split` (created by pipelines/ingest/store.ensure_schema, because a build reads it), a kept record
(records/kept.py): no build, import, undo or demo run changes it; the rows are its own history. A change
takes a number from the store's one sequence (changed_seq), as a change of the community's rules does,
so the next incremental build recomputes that community from its first period
(pipelines/build/increment.changed_since). Who may change it: pipelines/records/access.py ("coop_split").
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from pipelines.database import connect, has_table, transaction
from pipelines.errors import UserError
from pipelines.records import access, audit
from pipelines.records.users import Account
from pipelines.rule_defaults import COOP_SPLIT

TABLE = "coop_split"
# No row: members 70, cooperative 20, fund 10 (SPEC §5; written once in rule_defaults.py).
DEFAULT = tuple(Decimal(p) for p in COOP_SPLIT)
PARTS = ("members_pct", "coop_pct", "fund_pct")
_PART_WORDS = {"members_pct": ("社员", "members"), "coop_pct": ("合作社", "cooperative"), "fund_pct": ("公共基金", "fund")}


def _percent(value, part: str) -> Decimal:
    zh, en = _PART_WORDS[part]
    try:
        d = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise UserError(f"{zh}比例“{value}”不是数字：请写 0 到 100 之间的数，例如 70。",
                        f"the {en} percent '{value}' is not a number: give one from 0 to 100, e.g. 70.") from None
    if not d.is_finite() or d < 0 or d > 100:
        raise UserError(f"{zh}比例 {value} 不在 0 到 100 之间：每一份都要在 0 到 100 之间，三份加起来等于 100。",
                        f"the {en} percent {value} is not between 0 and 100: each part is 0–100 and the three "
                        "sum to 100.")
    if d != d.quantize(Decimal("0.01")):
        raise UserError(f"{zh}比例 {value} 的小数超过两位：最多写到 0.01，例如 72.5。",
                        f"the {en} percent {value} has more than two decimals: write it to 0.01 at most, e.g. 72.5.")
    return d


def check_split(members, coop, fund) -> tuple[Decimal, Decimal, Decimal]:
    """The three percents as exact decimals, or UserError (each 0–100, summing to exactly 100)."""
    parts = tuple(_percent(v, p) for v, p in zip((members, coop, fund), PARTS))
    total = sum(parts)
    if total != 100:
        raise UserError(f"三份比例加起来是 {total:g}，不是 100：社员 {parts[0]:g} + 合作社 {parts[1]:g} + 公共基金 "
                        f"{parts[2]:g}。请改成加起来正好等于 100，例如 70、20、10。",
                        f"the three parts sum to {total:g}, not 100: members {parts[0]:g} + cooperative "
                        f"{parts[1]:g} + fund {parts[2]:g}. Make them sum to exactly 100, e.g. 70, 20, 10.")
    return parts


def set_split(db_path: str | Path, community_id: str, members, coop, fund, effective_from: dt.date | None = None,
              user: str | None = None, *, account: Account | None = None) -> dict:
    """Adopt a split for the community from `effective_from` (None: today, the day it was decided). Refused
    (access.NotAllowed, nothing written) unless the policy lets `account` change this community's split;
    None is the command line or the open demo. Returns the row as stored."""
    community_id = (community_id or "").strip()
    if not community_id:
        raise UserError("请给出社区编号，例如 A。", "give a community id, e.g. A.")
    access.require(account, "coop_split", community_id)
    # the account, else the writer named, else whoever the command line or the open demo runs as (audit.ACTOR)
    user = account.name if account is not None else (user if user is not None else audit.ACTOR.get())
    parts = check_split(members, coop, fund)
    day = effective_from or dt.date.today()
    if not Path(db_path).exists():
        raise UserError(f"数据库《{db_path}》不存在：请先导入数据，或用 `linli coop split` 设置。",
                        f"there is no database '{db_path}': import data first, or use `linli coop split`.")
    con = connect(db_path)
    try:
        if not has_table(con, TABLE):   # the store's schema makes it (ingest/store.ensure_schema), with import_seq
            raise UserError(f"数据库《{db_path}》还没有合作社分配比例表：请用 `linli coop split` 设置，它会先把数据库升级。",
                            f"the database '{db_path}' has no split table yet: use `linli coop split`, which "
                            "upgrades the database first.")
        with transaction(con):
            row = con.execute(f"""INSERT INTO {TABLE} (community_id, effective_from, members_pct, coop_pct, fund_pct,
                                                       changed_seq, changed_by, changed_at)
                                  VALUES (?, ?, ?, ?, ?, nextval('import_seq'), ?, localtimestamp)
                                  RETURNING community_id, effective_from, members_pct, coop_pct, fund_pct,
                                            changed_seq, changed_by, changed_at""",
                              [community_id, day, *parts, user]).fetchone()
            audit.record(con, "coop_split", user=user, community_id=community_id, effective_from=day,
                         members_pct=str(parts[0]), coop_pct=str(parts[1]), fund_pct=str(parts[2]))
    finally:
        con.close()
    return dict(zip(_COLUMNS, row))


_COLUMNS = ("community_id", "effective_from", "members_pct", "coop_pct", "fund_pct", "changed_seq", "changed_by",
            "changed_at")


def splits(db_path_or_con, community_id: str) -> list[dict]:
    """Every adoption of the community, newest first (by adoption day, then by when it was recorded); []
    when none was set (the default applies) or the store has no such table yet."""
    own = not isinstance(db_path_or_con, duckdb.DuckDBPyConnection)
    if own and not Path(db_path_or_con).exists():
        return []
    con = connect(db_path_or_con, read_only=True) if own else db_path_or_con
    try:
        if not has_table(con, TABLE):
            return []
        cur = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE community_id = ? "
                          "ORDER BY effective_from DESC, changed_seq DESC", [community_id])
        return [dict(zip(_COLUMNS, r)) for r in cur.fetchall()]
    finally:
        if own:
            con.close()


def in_force(history: list[dict], day: dt.date) -> tuple[Decimal, Decimal, Decimal]:
    """The split in force on `day` from a history as `splits` gives it: the latest adoption on or before
    it (of two on one day, the one recorded last), else the default. The rule sql/marts/mart_coop_period.sql
    applies per period."""
    for s in history:
        if s["effective_from"] <= day:
            return (Decimal(s["members_pct"]), Decimal(s["coop_pct"]), Decimal(s["fund_pct"]))
    return DEFAULT
