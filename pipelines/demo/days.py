"""The demo's calendar: where its data ends and the days its stories happen, counted from the data's first
Monday (pipelines/demo/generate.py writes the data, pipelines/demo/stories.py the records, both from these)."""
from __future__ import annotations

import datetime as dt

# The story's days count from the data's first Monday, so they move with `end` (SPEC §2: the data ends on
# the last Sunday before the demo is run): the 09:00–20:00 livestream rule in week 14, the parcel point at the
# community gate in week 26. Seasons (618, 双11) stay on the calendar.
RULE_WEEK, GATE_WEEK = 14, 26


def today() -> dt.date:
    """The day the demo is run (tests put their own day here)."""
    return dt.date.today()


def last_sunday_before(today: dt.date) -> dt.date:
    """The demo's default last day: the newest whole week before today (a Sunday gives the one before)."""
    return today - dt.timedelta(days=today.weekday() + 1)


def first_day(end: dt.date, weeks: int) -> dt.date:
    """The Monday `weeks` whole weeks before the day after `end`."""
    return end + dt.timedelta(days=1) - dt.timedelta(weeks=weeks)


def rule_adopted(start: dt.date) -> dt.date:
    return start + dt.timedelta(weeks=RULE_WEEK)


def gate_point_opens(start: dt.date) -> dt.date:
    return start + dt.timedelta(weeks=GATE_WEEK)
