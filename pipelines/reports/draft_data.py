"""What the drafted report reads beyond the brief: the community's action items and open cases as stored
now (with each case's effect as the brief words it), the street's name, and next week from the `forecast`
tables when the snapshot holds them. draft.py turns it into text without reading anything."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.database import reading
from pipelines.present.i18n import label
from pipelines.records import actions, cases
from pipelines.reports.brief import Brief
from pipelines.reports.draft import ActionLine, CaseLine, DraftInput, Outlook, draft


def _outlook(src, brief: Brief) -> Outlook | None:
    """The 7 days ahead, where the forecast starts within a week of the period's end (an old period's report
    has no "next week" to forecast); None when the snapshot has no forecast table."""
    from pipelines.forecast import read
    from pipelines.periods import period_next
    from pipelines.present import outlook as words
    if not read._has(src.snap, "forecast"):
        return None
    points = read.point_outlook(src.snap, src.scope, brief.community)
    noise = read.community_forecast(src.snap, src.scope, brief.community, "complaints.noise")
    days = sorted({pd.Timestamp(x).date() for x in list(points["day"]) + list(noise["day"])})
    end = period_next(brief.grain, brief.period)
    if not days or not (end <= days[0] <= end + dt.timedelta(days=7)):
        return None
    week = set(days[:7])
    near = points[[pd.Timestamp(x).date() in week for x in points["day"]]]
    rules = src.alert_rules(brief.community)
    breaches = tuple(a.text for a in words.breach_alerts(near, "zh", rules))
    busiest = None
    if not near.empty and near["expected_ratio"].notna().any():
        top = near.loc[near["expected_ratio"].idxmax()]
        busiest = (str(top["name"]), pd.Timestamp(top["day"]).date(), float(top["expected_ratio"]))
    v = list(noise["value"])[:7]
    noise_line = None if not v else (f"直播噪音投诉预计约{round(sum(v)):d}件。" if round(sum(v)) else "预计没有直播噪音投诉。")
    return Outlook(days[0], breaches, busiest, noise_line)


def _case_line(src, community: str, case, end: dt.date) -> CaseLine:
    """The case as the period's end saw it: an agreement made after it is not yet told, and its effect reads the
    weeks up to that end (the 协商议题 page's wording, pipelines/present/effect_text.py)."""
    from pipelines.reports.record_tables import _effects
    step = label("cases.step", case.step, "zh")
    if case.agreed_on is None or case.agreed_on >= end:
        return CaseLine(case.title, step, None, None, None)
    return CaseLine(case.title, step, case.agreed_on, case.solution, _effects(src, community, case, "zh", end, sep=""))


def _records(src, community: str) -> tuple[list, list] | None:
    """The community's action items and open cases as stored now; None while an import or build holds the store
    (database.reading), or before there is one."""
    with reading(src.db) as con:
        if con is None:
            return None
        return (actions.actions(con, [community]),
                [c for c in cases.cases(con, [community]) if c.step != "closed"])


def draft_input(src, brief: Brief, today: dt.date | None = None,
                records: tuple[list, list] | None = None) -> DraftInput:
    """`records`: the action items and open cases (_records) where the caller read them; else read here, and none
    while the store is busy."""
    from pipelines.periods import period_next
    today = today or dt.date.today()
    items, found = records or _records(src, brief.community) or ([], [])
    lines = tuple(ActionLine(a.title, a.owner, a.due_on, a.status,
                             a.updated_at.date() if a.status == "done" else None, a.created_at.date()) for a in items)
    end = period_next(brief.grain, brief.period)
    case_lines = tuple(_case_line(src, brief.community, c, end) for c in found if c.created_at.date() < end)
    comms = src("communities")
    row = comms[comms["community_id"] == brief.community]
    street = None
    if not row.empty and "street" in row.columns and isinstance(row.iloc[0]["street"], str):
        street = row.iloc[0]["street"].removesuffix("街道办事处").removesuffix("街道")
    return DraftInput(brief, street, lines, case_lines, today, _outlook(src, brief))


def drafted(src, brief: Brief, today: dt.date | None = None) -> str:
    return draft(draft_input(src, brief, today))


def redraft(src, brief: Brief, saved_text: str, saved_on: dt.date, today: dt.date | None = None) -> str | None:
    """The draft from the numbers as they are now (a re-import corrected them, an action was done since), dated
    today, where it reads otherwise than the saved report; None where it would not, or while an import or build holds
    the store (its action items and cases unread, such a draft would drop them). The saved text is compared
    with the draft those numbers make dated the day it was saved: a report saved as drafted is not offered again
    for its date alone. A report the community edited always reads otherwise, and is offered."""
    from dataclasses import replace
    records = _records(src, brief.community)
    if records is None:   # busy: a draft now would lack the action items and cases the saved text may list
        return None
    made = draft_input(src, brief, today, records)
    if draft(replace(made, today=saved_on)) == saved_text:
        return None
    return draft(made)


def report_text(src, brief: Brief, today: dt.date | None = None) -> str:
    """What the briefs carry: the text the community saved for the period, else the draft."""
    from pipelines.records import reports
    with reading(src.db) as con:
        saved = reports.get(con, brief.community, brief.grain, brief.period)
    return saved.text if saved is not None else drafted(src, brief, today)
