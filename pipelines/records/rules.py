"""Every rule default in one place (SPEC §5, §8), and the history of each community's rules.

The community rules (livestream window, overdue limit) are written once in rule_defaults.py,
where the SQL templates read them too; this module adds the alert defaults and the dates on
which a community adopted its rules, so that a chart can mark "the 09:00–20:00 rule started here".
"""
from __future__ import annotations

import datetime as dt

import duckdb

from pipelines.database import has_table
from pipelines.rule_defaults import DEFAULT_RULES, FULL_CAPACITY

WINDOW_START: dt.time = DEFAULT_RULES["window_start"]
WINDOW_END: dt.time = DEFAULT_RULES["window_end"]
OVERDUE_HOURS: float = DEFAULT_RULES["overdue_hours"]

# Alert defaults (pipelines/records/alert_rules.py; applied by pipelines/present/alerts.py, which also gives
# a parcel point its state in the tables from the same rules). Chosen so that the cases the group
# missed would have fired: 116 overdue parcels in the 双11 week were 1.9 % of arrivals (a rate rule
# alone stayed quiet), and points at 168.8 %, 134.2 % and 113.3 % are each over capacity.
NOISE_OUTSIDE = 1           # a single noise complaint outside the allowed livestream hours
PILEUP = 1                  # a single complaint about parcels piled up
OVERDUE_COUNT = 20          # parcels past the limit in a period: about three a day is a list worth working through
OVERDUE_RATE = 0.02         # … or this share of the period's arrivals, whichever comes first
FULL = FULL_CAPACITY        # a point holding its capacity or more is full (the definition, rule_defaults.py)
NEAR_CAPACITY = 0.9         # within a tenth of it is close: one busy evening fills it
LOW_ATTENDANCE = 0.7        # fewer than seven in ten registered came
OPEN_RISING = 1             # open complaints one more than last period
REPEAT_BUILDINGS = 1        # a building with two noise complaints in one period
DISSATISFIED_SHARE = 0.3    # three in ten households asked in the monthly round dissatisfied (the demo: ≈0.46
                            # before the 09:00–20:00 rule, ≈0.16 after): the round says the rule is not holding
STALE_DAYS = 3              # a week whose parcels stop this many days before its end is not a quiet week

HISTORY = "community_rules_history"


def ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {HISTORY} (
        community_id VARCHAR NOT NULL,
        window_start TIME, window_end TIME, overdue_hours DOUBLE,   -- the rules as they were after this change
        effective_from DATE,        -- the day the community adopted them; NULL: not stated
        changed_at TIMESTAMP NOT NULL DEFAULT localtimestamp,
        changed_by VARCHAR          -- NULL: the command line or the open demo
    )""")


def record_change(con: duckdb.DuckDBPyConnection, community_id: str, effective_from: dt.date | None,
                  user: str | None = None) -> None:
    """Keep the rules now in force for the community, with their adoption date (call after the change)."""
    ensure_history(con)
    con.execute(f"""INSERT INTO {HISTORY} (community_id, window_start, window_end, overdue_hours, effective_from,
                                            changed_by)
                    SELECT community_id, window_start, window_end, overdue_hours, ?, ? FROM community_rules
                    WHERE community_id = ?""", [effective_from, user, community_id])


def history(con: duckdb.DuckDBPyConnection, community_id: str | None = None) -> list[dict]:
    """Every recorded change, oldest first (none before the table exists: a read-only reader cannot create it)."""
    if not has_table(con, HISTORY):
        return []
    cur = con.execute(f"""SELECT community_id, window_start, window_end, overdue_hours, effective_from, changed_at,
                                 changed_by FROM {HISTORY}
                          WHERE ? IS NULL OR community_id = ? ORDER BY changed_at, rowid""",
                      [community_id, community_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def adopted_on(changes: list[dict]) -> dict[str, dt.date | None]:
    """The day the window and the overdue limit now in force were adopted: the adoption date of the
    first change that set them to their present values (a later change that kept them keeps the date)."""
    out: dict[str, dt.date | None] = {"window": None, "overdue_hours": None}
    for rule, fields in (("window", ("window_start", "window_end")), ("overdue_hours", ("overdue_hours",))):
        current = None
        for c in changes:
            values = tuple(c[f] for f in fields)
            if values != current:
                current, out[rule] = values, c["effective_from"]
            elif out[rule] is None:
                out[rule] = c["effective_from"]
    return out
