"""The weekly and monthly check pages: alerts first, then what the check exists for, the numbers,
the alert rules, and a printable sheet. 每周检查 asks "is each point coping?"; 每月检查 compares the
month with the one before and with the same month a year ago."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.parts import brief_buttons
from pipelines.present import charts
from dashboard.parts import alert_rules_editor as checks_rules
from dashboard.parts import feedback_round as feedback_view
from dashboard.parts import actions_panel as governance_view
from dashboard.parts import ui
from pipelines.present import format as fmt
from dashboard import queries as q
from pipelines.present.i18n import METRIC_KIND, label, metric_help, metric_name
from pipelines.present.check_sheet import Section, check_sheet
from dashboard.sidebar import View, data_end_text

WEEKLY = ["parcels.arrived", "parcels.picked_up", "parcels.median_dwell_hours", "parcels.overdue",
          "parcels.overdue_rate", "parcels.peak_occupancy_ratio", "complaints.count", "complaints.noise",
          "complaints.noise_outside_hours", "complaints.parcel_pileup", "complaints.open_at_end",
          "complaints.median_resolution_hours", "complaints.repeat_buildings", "orders.count", "orders.gmv_yuan"]
MONTHLY = ["complaints.noise", "complaints.noise_outside_hours", "complaints.noise_per_1k_households",
           "complaints.repeat_buildings", "complaints.count", "complaints.open_at_end",
           "complaints.median_resolution_hours", "parcels.overdue_rate", "parcels.peak_occupancy_ratio",
           "training.sessions", "training.attendance_rate", "training.participants", "training.elderly_participants",
           "jobs.started", "jobs.active_at_end", "jobs.via_training_share", "jobs.median_monthly_income_yuan",
           "orders.count", "orders.gmv_yuan", "orders.active_sellers", "orders.new_sellers", "orders.refund_rate"]
# the month's counts drawn side by side with last month and a year ago (one unit per chart)
MONTH_BARS = ["complaints.noise", "complaints.noise_outside_hours", "complaints.open_at_end",
              "training.participants", "jobs.started"]
SIGNATURE = {"zh": ["检查人", "治理小组组长", "日期"], "en": ["Checked by", "Group lead", "Date"]}


def _raw(values: dict, m: str) -> float | None:
    return None if fmt.is_missing(values.get(m)) else float(values[m])


def _change(now: dict, before: dict, m: str) -> float | None:
    a, b = _raw(now, m), _raw(before, m)
    return None if a is None or b is None else a - b


def numbers(v: View, metrics: list[str], now: dict, before: dict, year_ago: dict | None = None,
            rules: dict | None = None) -> pd.DataFrame:
    """The check sheet as numbers (a rate as 0.75, money in yuan), which is what a spreadsheet can add up."""
    cols = {
        v.tr("col.metric"): [metric_name(m, v.lang) for m in metrics],
        v.tr("col.unit"): [v.tr(f"unit.{METRIC_KIND[m][0]}") for m in metrics],
        v.tr("col.value"): pd.array([_raw(now, m) for m in metrics], dtype="Float64"),
        v.tr("col.previous"): pd.array([_raw(before, m) for m in metrics], dtype="Float64"),
        v.tr("col.change"): pd.array([_change(now, before, m) for m in metrics], dtype="Float64"),
    }
    if year_ago is not None:
        cols[v.tr("col.year_ago")] = pd.array([_raw(year_ago, m) for m in metrics], dtype="Float64")
        cols[v.tr("col.change_year")] = pd.array([_change(now, year_ago, m) for m in metrics], dtype="Float64")
    cols[v.tr("col.definition")] = [metric_help(m, v.lang, rules) for m in metrics]
    return pd.DataFrame(cols)


def shown_numbers(v: View, metrics: list[str], now: dict, before: dict, year_ago: dict | None = None,
                  rules: dict | None = None) -> pd.DataFrame:
    cols = {
        v.tr("col.metric"): [metric_name(m, v.lang) for m in metrics],
        v.tr("col.value"): [fmt.value(m, now.get(m), v.lang) for m in metrics],
        v.tr("col.previous"): [fmt.value(m, before.get(m), v.lang) for m in metrics],
        v.tr("col.change"): [fmt.delta(m, now.get(m), before.get(m), v.lang) or "—" for m in metrics],
    }
    if year_ago is not None:
        cols[v.tr("col.year_ago")] = [fmt.value(m, year_ago.get(m), v.lang) for m in metrics]
        cols[v.tr("col.change_year")] = [fmt.delta(m, now.get(m), year_ago.get(m), v.lang) or "—" for m in metrics]
    cols[v.tr("col.definition")] = [metric_help(m, v.lang, rules) for m in metrics]
    return pd.DataFrame(cols)


def _status(v: View, ratio) -> str:
    if fmt.is_missing(ratio):
        return "—"
    return v.tr("point.over" if ratio > 1 else "point.near" if ratio >= 0.9 else "point.ok")


def point_table(v: View, overdue: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each point: peak against capacity, when, its state and its overdue parcels (shown, as numbers)."""
    peaks = q.point_peaks(v.snap, v.scope, v.community, v.grain, v.period)
    counts = overdue.groupby("point_id").size() if not overdue.empty else pd.Series(dtype=int)
    heads = [v.tr(k) for k in ("col.point_name", "col.capacity", "col.peak_in_stock", "col.peak_ratio",
                               "col.peak_hour", "col.state", "col.overdue_here")]
    data = [peaks["name"], peaks["capacity"], peaks["peak_in_stock"], peaks["peak_ratio"], peaks["peak_hour"],
            [_status(v, r) for r in peaks["peak_ratio"]], [int(counts.get(p, 0)) for p in peaks["point_id"]]]
    raw = pd.DataFrame(dict(zip(heads, data)))
    shown = raw.copy()
    shown[heads[1]] = [fmt.number(x, v.lang) for x in peaks["capacity"]]
    shown[heads[2]] = [fmt.number(x, v.lang) for x in peaks["peak_in_stock"]]
    shown[heads[3]] = [fmt.value("rate", x, v.lang) for x in peaks["peak_ratio"]]
    shown[heads[4]] = [fmt.datetime(None if fmt.is_missing(h) else pd.Timestamp(h).to_pydatetime(), v.lang)
                       for h in peaks["peak_hour"]]
    shown[heads[6]] = [fmt.number(x, v.lang) for x in shown[heads[6]]]
    return shown, raw


def overdue_table(v: View, overdue: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = ["parcel_id", "point_name", "building_id", "carrier", "arrived_at", "picked_up_at", "waited_hours"]
    raw = overdue[keys].rename(columns={k: v.tr(f"col.{k}") for k in keys})
    shown = raw.copy()
    shown[v.tr("col.arrived_at")] = [fmt.datetime(pd.Timestamp(x).to_pydatetime(), v.lang) for x in overdue["arrived_at"]]
    shown[v.tr("col.picked_up_at")] = [v.tr("overdue.waiting") if pd.isna(x) else fmt.datetime(pd.Timestamp(x).to_pydatetime(), v.lang)
                                       for x in overdue["picked_up_at"]]
    shown[v.tr("col.waited_hours")] = [fmt.value("hours", x, v.lang) for x in overdue["waited_hours"]]
    shown[v.tr("col.building_id")] = ["—" if fmt.is_missing(b) else b for b in overdue["building_id"]]
    if overdue["building_id"].isna().all():   # the feed does not record buildings: no empty column
        shown = shown.drop(columns=[v.tr("col.building_id")])
        raw = raw.drop(columns=[v.tr("col.building_id")])
    return shown, raw


def followup_tables(v: View) -> list[tuple[Section, pd.DataFrame | None]]:
    """The repeat buildings and the complaints still open, each as shown and (where they differ) as numbers."""
    out = []
    buildings = q.noise_buildings(v.snap, v.scope, v.community, v.grain, v.period)
    repeat = buildings[buildings["complaints"] >= 2]
    cols = {"name": v.tr("col.building_name"), "building_id": v.tr("col.building_id"),
            "complaints": v.tr("col.complaints"), "outside_hours": v.tr("col.outside_hours")}
    out.append((Section(v.tr("check.h.repeat"), repeat[list(cols)].rename(columns=cols),
                        {cols["complaints"], cols["outside_hours"]}, v.tr("check.none.repeat")), None))
    open_list = q.followup_complaints(v.snap, v.scope, v.community, v.period_end)
    shown = pd.DataFrame({
        v.tr("col.complaint_id"): open_list["complaint_id"],
        v.tr("col.category"): [label("category", c, v.lang) for c in open_list["category"]],
        v.tr("col.building_name"): ["—" if fmt.is_missing(b) else b for b in open_list["building_name"]],
        v.tr("col.source"): [label("source", s, v.lang) if not fmt.is_missing(s) else "—" for s in open_list["source"]],
        v.tr("col.received_at"): [fmt.datetime(pd.Timestamp(x).to_pydatetime(), v.lang) for x in open_list["received_at"]],
        v.tr("col.open_days"): [fmt.number(d, v.lang, 1) for d in open_list["open_days"]],
    })
    # the download keeps the time received as a time and the days open as a number
    raw = shown.assign(**{v.tr("col.received_at"): pd.to_datetime(open_list["received_at"]).values,
                          v.tr("col.open_days"): pd.to_numeric(open_list["open_days"]).values})
    out.append((Section(v.tr("check.h.open"), shown, {v.tr("col.open_days")}, v.tr("check.none.open")), raw))
    return out


def show(v: View, section: Section, name: str, download: pd.DataFrame | None = None) -> None:
    st.subheader(section.title)
    if section.table.empty:
        st.success(section.empty_note)
        return
    ui.table(v, section.table, name, download=download, full=True)


def weekly(v: View) -> list[Section]:
    overdue = q.overdue_list(v.snap, v.scope, v.community, v.period, v.period_end)
    shown, raw = point_table(v, overdue)
    points = Section(v.tr("check.h.points"), shown, set(shown.columns[1:5]) | {shown.columns[6]}, v.tr("table.empty"))
    show(v, points, "check_points", raw)
    o_shown, o_raw = overdue_table(v, overdue)
    listed = Section(v.tr("check.h.overdue", n=fmt.number(len(overdue), v.lang)), o_shown,
                     {v.tr("col.waited_hours")}, v.tr("check.none.overdue"))
    show(v, listed, "check_overdue", o_raw)
    follow = followup_tables(v)
    for i, (s, raw) in enumerate(follow):
        show(v, s, f"check_followup_{i}", raw)
    return [points, listed, *(s for s, _ in follow)]


def _same_period_last_year(v: View) -> tuple[dt.date | None, dict | None]:
    ago = dt.date(v.period.year - 1, v.period.month, 1)
    if ago not in v.periods:
        return None, None
    s = q.kpi_series(v.snap, v.scope, v.community, v.grain, ago, ago)
    return ago, dict(s[["metric", "value"]].values)


def monthly(v: View, now: dict, before: dict, series: pd.DataFrame, year_ago: dict | None,
            ago: dt.date | None) -> list[Section]:
    st.subheader(v.tr("check.h.noise_rule"))
    noise_rule_chart(v)
    st.subheader(v.tr("check.h.compare"))
    groups = [(v.tr("group.now"), now), (v.tr("group.before"), before)] + (
        [(v.tr("group.year_ago"), year_ago)] if year_ago is not None else [])
    bars = pd.DataFrame([{"metric": metric_name(m, v.lang), "group": g, "value": _raw(vals, m)}
                         for m in MONTH_BARS for g, vals in groups]).dropna(subset=["value"])
    ui.chart(v, charts.grouped_bars(bars, "metric", "value", "group", v.tr("col.metric"), v.tr("chart.value"),
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
    follow = followup_tables(v)
    for i, (s, raw) in enumerate(follow):
        show(v, s, f"check_followup_{i}", raw)
    return [s for s, _ in follow]


def noise_rule_chart(v: View, periods: int = 13) -> None:
    """时段外噪音投诉 over the recent periods, with the day the window rule took effect marked."""
    start, end = v.window(periods)
    s = q.kpi_series(v.snap, v.scope, v.community, v.grain, start, end)
    s = ui.with_period_labels(v, s[s["metric"] == "complaints.noise_outside_hours"].dropna(subset=["value"]))
    adopted = q.rule_dates(v.snap, v.scope, v.community).get("window")
    rules = q.rules(v.snap, v.scope, v.community)
    window = f"{rules['window_start']:%H:%M}–{rules['window_end']:%H:%M}"
    mark_at = None
    if adopted is not None:
        holding = [p for p in v.periods if p <= adopted]
        mark_at = fmt.period_short(v.grain, holding[-1], v.lang) if holding else None
    ui.chart(v, charts.marked_line(s, "period_label", "value", v.tr("chart.period"),
                                   metric_name("complaints.noise_outside_hours", v.lang), "period_start", mark_at,
                                   v.tr("rule.mark", window=window)), not s.empty)
    if adopted is None:
        st.caption(v.tr("rule.no_date", window=window))
    elif mark_at is None or mark_at not in set(s["period_label"]):
        st.caption(v.tr("rule.before_chart", window=window, date=fmt.date(adopted, v.lang)))
    else:
        st.caption(v.tr("rule.since", window=window, date=fmt.date(adopted, v.lang)))


def render(grain: str, page_key: str) -> None:
    v = ui.page_view()   # the sidebar already shows this page's grain (see app.py)
    if v is None:
        st.stop()
    ui.header(v, page_key)
    st.write(v.tr(f"check.intro.{grain}"))
    now, before, series = ui.period_values(v)
    rules = q.rules(v.snap, v.scope, v.community)
    found = ui.alert_box(v, now, before)
    metrics = WEEKLY if grain == "week" else MONTHLY
    ago, year_ago = (None, None) if grain == "week" else _same_period_last_year(v)
    sections = weekly(v) if grain == "week" else monthly(v, now, before, series, year_ago, ago)
    sections += feedback_view.render(v, now, before, series) if grain == "month" else []   # 回访, by the complaints

    st.subheader(v.tr("check.h.numbers"))
    if ago is not None:
        st.caption(v.tr("check.year_ago_is", period=v.label(ago)))
    sheet = shown_numbers(v, metrics, now, before, year_ago, rules)
    ui.table(v, sheet, f"check_{grain}", download=numbers(v, metrics, now, before, year_ago, rules), full=True)
    checks_rules.editor(v)
    governance_view.actions_panel(v, found)   # 整改事项 (SPEC §8): list, add from an alert or by hand, status
    title = f"{v.community_name} · {v.tr(page_key)}"
    quiet = (("warning", v.tr("alerts.none_partial", end=data_end_text(v.grain, v.period, v.data_end, v.lang)))
             if v.partial and v.data_end else ("ok", v.tr("alerts.none")))
    numeric = {v.tr("col.value"), v.tr("col.previous"), v.tr("col.change"), v.tr("col.year_ago"),
               v.tr("col.change_year")}
    page = check_sheet(title, v.label(), v.tr("alerts.title"), [(a.level, a.text) for a in found] or [quiet],
                       [Section(v.tr("check.h.numbers"), sheet, numeric, v.tr("table.empty")), *sections],
                       SIGNATURE[v.lang])
    st.download_button(v.tr("download.report"), page.encode("utf-8"), mime="text/html",
                       file_name=f"check_{grain}_{v.community}_{v.period.isoformat()}.html", key=f"report_{grain}")
    brief_buttons.render(v)   # the meeting brief: xlsx, PDF, PNG share card (dashboard/brief)
    st.html(f"<p class='linli-print-hint'>{v.tr('check.print_hint')}</p>")
