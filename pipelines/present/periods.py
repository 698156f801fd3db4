"""A period in words, for the pages and the briefs: its name, and for a partial period the day its data
runs to (SPEC §6). The arithmetic (a period's start, end, completeness) is pipelines/periods.py.
"""
from __future__ import annotations

import datetime as dt

from pipelines.periods import is_complete
from pipelines.present import format as fmt
from pipelines.present.i18n import t


def period_label(grain: str, start: dt.date, data_end: dt.datetime | None, lang: str) -> str:
    """The period's name, and for a partial period the day its data runs to."""
    name = fmt.period(grain, start, lang)
    if is_complete(grain, start, data_end) or data_end is None:
        return name
    return t("period.partial", lang, period=name, end=data_end_text(data_end, lang, short=True))


def data_end_text(data_end: dt.datetime, lang: str, short: bool = False) -> str:
    """The day a partial period's data runs to (always before its last day: data on that day completes it)."""
    return fmt.day_short(data_end, lang) if short else fmt.date(data_end, lang)
