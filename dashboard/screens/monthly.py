"""每月检查: in the meeting's order, the month's numbers against last month and the same month a year ago,
the alerts, the action items, the sheet and briefs; then the details: the window rule's effect over time,
the month against last month and a year ago, training and jobs, the follow-up lists and the residents'
feedback (the shared parts are in dashboard/parts/checks.py)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.parts import checks, coop_books, feedback_round, report_draft, ui
from dashboard.sidebar import View
from pipelines.present import charts
from pipelines.present.check_sheet import Section
from pipelines.present.i18n import metric_name

# the month's counts drawn side by side with last month and a year ago (one unit per chart)
MONTH_BARS = ["complaints.noise", "complaints.noise_outside_hours", "complaints.open_at_end",
              "training.participants", "jobs.started"]


def _same_period_last_year(v: View) -> tuple[dt.date | None, dict | None]:
    ago = dt.date(v.period.year - 1, v.period.month, 1)
    if ago not in v.periods:
        return None, None
    s = q.kpi_series(v.snap, v.scope, v.community, v.grain, ago, ago)
    return ago, dict(s[["metric", "value"]].values)


def sections(v: View, now: dict, before: dict, series: pd.DataFrame, year_ago: dict | None) -> list[Section]:
    """The window rule over time, this month against last month and a year ago, the trends, the follow-up lists."""
    st.subheader(v.tr("check.h.noise_rule"))
    checks.noise_rule_chart(v)
    st.subheader(v.tr("check.h.compare"))
    groups = [(v.tr("group.now"), now), (v.tr("group.before"), before)] + (
        [(v.tr("group.year_ago"), year_ago)] if year_ago is not None else [])
    bars = pd.DataFrame([{"metric": metric_name(m, v.lang), "group": g, "value": checks.value_of(vals, m)}
                         for m in MONTH_BARS for g, vals in groups]).dropna(subset=["value"])
    ui.chart(v, ui.once(charts.grouped_bars)(bars, "metric", "value", "group", v.tr("col.metric"), v.tr("chart.value"),
                                             v.tr("chart.series"), [g for g, _ in groups]), not bars.empty)
    if year_ago is None:
        st.caption(v.tr("check.no_year_ago"))
    left, right = st.columns(2)
    with left:
        st.subheader(v.tr("check.h.training"))
        ui.trend(v, series, ["training.participants", "training.elderly_participants", "jobs.started"])
    with right:
        st.subheader(v.tr("check.h.resolution"))
        ui.trend(v, series, ["complaints.count", "complaints.open_at_end"])
    follow = checks.followup_tables(v)
    for i, (s, raw) in enumerate(follow):
        checks.show(v, s, f"check_followup_{i}", raw)
    return [s for s, _ in follow] + [coop_books.fund_check(v)]   # the public fund: what it paid for, its balance


v, now, before, series, rules = checks.opening("month", "page.monthly")
ago, year_ago = _same_period_last_year(v)
met = checks.meeting(v, now, before, rules, year_ago, ago)
shown = sections(v, now, before, series, year_ago)
shown += feedback_round.render(v, now, before, series)   # 回访, beside the complaints
report_draft.render(v)   # 报告街道: the report to the street office, drafted from these numbers
checks.closing(v, "page.monthly", met, shown)
