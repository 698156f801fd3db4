"""每周检查: is each parcel point coping? In the meeting's order: this week's numbers against last week,
the alerts, the action items (last week's and new), the sheet and briefs; then the details: each point's
peak against its capacity, the overdue parcels, the follow-up lists (the shared parts are in
dashboard/parts/checks.py)."""
from __future__ import annotations

import pandas as pd

from dashboard import queries as q
from dashboard.parts import checks, outlook, report_draft
from dashboard.sidebar import View
from pipelines.present import format as fmt
from pipelines.present.alerts import point_state
from pipelines.present.check_sheet import Section


def _status(v: View, ratio, alert_rules) -> str:
    """The point's state by the community's own capacity rules (the ones its alert uses), so a point the
    alert box names near capacity is near capacity in this table too."""
    state = point_state(ratio, alert_rules)
    return "—" if state is None else v.tr(f"point.{state}")


def point_table(v: View, overdue: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each point: peak against capacity, when, its state and its overdue parcels (shown, as numbers)."""
    peaks = q.point_peaks(v.snap, v.scope, v.community, v.grain, v.period)
    alert_rules = q.alert_rules(v.snap, v.scope, v.community)   # None while the store is busy: the defaults
    counts = overdue.groupby("point_id").size() if not overdue.empty else pd.Series(dtype=int)
    heads = [v.tr(k) for k in ("col.point_name", "col.capacity", "col.peak_in_stock", "col.peak_ratio",
                               "col.peak_hour", "col.state", "col.overdue_here")]
    data = [peaks["name"], peaks["capacity"], peaks["peak_in_stock"], peaks["peak_ratio"], peaks["peak_hour"],
            [_status(v, r, alert_rules) for r in peaks["peak_ratio"]], [int(counts.get(p, 0)) for p in peaks["point_id"]]]
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


def sections(v: View) -> list[Section]:
    """The details: each point against its capacity, the overdue parcels, then the follow-up lists."""
    overdue = q.overdue_list(v.snap, v.scope, v.community, v.period, v.period_end)
    shown, raw = point_table(v, overdue)
    points = Section(v.tr("check.h.points"), shown, set(shown.columns[1:5]) | {shown.columns[6]}, v.tr("table.empty"))
    checks.show(v, points, "check_points", raw)
    o_shown, o_raw = overdue_table(v, overdue)
    listed = Section(v.tr("check.h.overdue", n=fmt.number(len(overdue), v.lang)), o_shown,
                     {v.tr("col.waited_hours")}, v.tr("check.none.overdue"))
    checks.show(v, listed, "check_overdue", o_raw)
    follow = checks.followup_tables(v)
    for i, (s, raw) in enumerate(follow):
        checks.show(v, s, f"check_followup_{i}", raw)
    return [points, listed, *(s for s, _ in follow)]


v, now, before, series, rules = checks.opening("week", "page.weekly")
met = checks.meeting(v, now, before, rules)
outlook.show(v)   # 未来两周: before the breach, not after it
report_draft.render(v)   # 报告街道: the report to the street office, drafted from these numbers
checks.closing(v, "page.weekly", met, sections(v))
