"""Period arithmetic and period names in Python, for the pages, the briefs and the effect of a case.

A week is an ISO week from Monday, a month a calendar month (SPEC §5); the SQL side of the same rule is
sql/macros.sql `period_start`. A period is complete when the community's data runs to its end (SPEC §6).
"""
from __future__ import annotations

import datetime as dt

from pipelines.present import format as fmt
from pipelines.present.i18n import t

GRAINS = ("week", "month")


def period_next(grain: str, start: dt.date) -> dt.date:
    """The first day after the period (its end, as SPEC §5 counts it)."""
    if grain == "week":
        return start + dt.timedelta(days=7)
    y, m = start.year + start.month // 12, start.month % 12 + 1
    return dt.date(y, m, 1)


def is_complete(grain: str, start: dt.date, data_end: dt.datetime | None) -> bool:
    """The community's data runs to the period's end: its latest event is at or after it."""
    return data_end is not None and data_end >= dt.datetime.combine(period_next(grain, start), dt.time())


def latest_complete(grain: str, periods: list[dt.date], data_end: dt.datetime | None) -> dt.date | None:
    done = [p for p in periods if is_complete(grain, p, data_end)]
    return done[-1] if done else None


def period_label(grain: str, start: dt.date, data_end: dt.datetime | None, lang: str) -> str:
    """The period's name, and for a partial period the day its data runs to."""
    name = fmt.period(grain, start, lang)
    if is_complete(grain, start, data_end) or data_end is None:
        return name
    return t("period.partial", lang, period=name, end=data_end_text(grain, start, data_end, lang, short=True))


def data_end_text(grain: str, start: dt.date, data_end: dt.datetime, lang: str, short: bool = False) -> str:
    """The day a partial period's data runs to; with the time when that is the period's last day
    (data to Sunday 21:00 leaves the week incomplete, which "to Sunday" alone would not explain)."""
    day = fmt.day_short(data_end, lang) if short else fmt.date(data_end, lang)
    last_day = period_next(grain, start) - dt.timedelta(days=1)
    return f"{day} {data_end:%H:%M}" if data_end.date() == last_day else day
