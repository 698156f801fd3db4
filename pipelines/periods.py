"""Period arithmetic in Python (SPEC §5, §6), for the pages, the briefs, the effect of a case and whatever
else counts periods: written here once.

A week is an ISO week from Monday 00:00, a month a calendar month; a period is named by its first day
and ends where the next one begins. The SQL side of the same rule is sql/macros.sql `period_start` and
`period_next`; tests/pipelines/test_period_arithmetic.py runs both on the same days. A period is complete
when the community's data runs to its end (SPEC §6).

Nothing here imports the rest of the project, so the build, the kept records and what is shown can all
use it. How a period is named in words: pipelines/present/format.py and pipelines/present/periods.py.
"""
from __future__ import annotations

import datetime as dt

GRAINS = ("week", "month")
_WEEK = dt.timedelta(days=7)


def _check(grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, not {grain!r}")


def period_start(grain: str, day: dt.date | dt.datetime) -> dt.date:
    """The first day of the period holding `day` (a date or a time): its ISO week's Monday or its month's 1st."""
    _check(grain)
    d = day.date() if isinstance(day, dt.datetime) else day
    return d - dt.timedelta(days=d.weekday()) if grain == "week" else d.replace(day=1)


def period_shift(grain: str, start: dt.date, n: int) -> dt.date:
    """The first day of the period `n` periods after the one starting on `start` (before it for n < 0)."""
    _check(grain)
    if grain == "week":
        return start + n * _WEEK
    years, month0 = divmod(start.month - 1 + n, 12)
    return dt.date(start.year + years, month0 + 1, 1)


def period_next(grain: str, start: dt.date) -> dt.date:
    """The first day after the period (its end, as SPEC §5 counts it)."""
    return period_shift(grain, start, 1)


def period_last_day(grain: str, start: dt.date) -> dt.date:
    """The period's last whole day (a week's Sunday, a month's last day)."""
    return period_next(grain, start) - dt.timedelta(days=1)


def is_complete(grain: str, start: dt.date, data_end: dt.datetime | None) -> bool:
    """The community's data reaches the period's last day: its latest event is on or after it (SPEC §6, as
    sql/marts/coverage.sql has it per feed). Data that ends on a Sunday evening completes its week: asking
    for an event on the Monday after called every Monday's report partial."""
    return data_end is not None and data_end >= dt.datetime.combine(period_last_day(grain, start), dt.time())


def latest_complete(grain: str, periods: list[dt.date], data_end: dt.datetime | None) -> dt.date | None:
    done = [p for p in periods if is_complete(grain, p, data_end)]
    return done[-1] if done else None
