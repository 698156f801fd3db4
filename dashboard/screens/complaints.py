"""噪音投诉: what needs attention first, the numbers, the latest complaints one by one, then trend by
category, noise by hour with the allowed window, repeat buildings, resolution and backlog."""
import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.parts import checks, ui
from pipelines.personal import mask_text
from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.present.i18n import label, metric_name

RECENT = 20   # about last night's on a busy evening; the rest of the period is in the charts and lists below

v = ui.start("page.complaints")
now, before, series = ui.period_values(v)
# Alerts first: on a phone they started 2.8 screens down, under eight tiles.
ui.alert_box(v, now, before, only={"complaints.noise_outside_hours", "complaints.repeat_buildings",
                                   "complaints.open_at_end", "complaints.parcel_pileup"})
ui.tiles(v, ["complaints.count", "complaints.noise", "complaints.noise_outside_hours",
             "complaints.noise_per_1k_households", "complaints.parcel_pileup", "complaints.median_resolution_hours",
             "complaints.open_at_end", "complaints.repeat_buildings"], now, before, series)


def when(ts) -> str:
    """"12月6日 23:10": the year is the page's."""
    ts = pd.Timestamp(ts).to_pydatetime()
    return f"{fmt.day_short(ts, v.lang)} {ts:%H:%M}"


st.subheader(v.tr("complaints.h.recent"))
recent = q.recent_complaints(v.snap, v.scope, v.community, v.period_end, RECENT)
names = [mask_text("—" if fmt.is_missing(b) else b) for b in recent["building_name"]]
resolved = [None if fmt.is_missing(r) else r for r in recent["resolved_at"]]
shown = pd.DataFrame({
    v.tr("col.received_at"): [when(x) for x in recent["received_at"]],
    v.tr("col.building_name"): names,
    v.tr("col.category"): [label("category", c, v.lang) for c in recent["category"]],
    v.tr("col.handled"): [v.tr("complaints.recent.open") if r is None else
                          v.tr("complaints.recent.done", when=when(r)) for r in resolved],
})
# the download keeps times as times
raw = pd.DataFrame({
    v.tr("col.complaint_id"): [mask_text(c) for c in recent["complaint_id"]],
    v.tr("col.received_at"): pd.to_datetime(recent["received_at"]).values,
    v.tr("col.building_name"): names,
    v.tr("col.category"): shown[v.tr("col.category")].values,
    v.tr("col.outside_hours"): [v.tr("yes") if x else v.tr("no") for x in recent["outside_hours"]],
    v.tr("col.resolved_at"): pd.to_datetime(recent["resolved_at"]).values,
})
if not recent.empty:
    st.caption(v.tr("complaints.recent.caption", n=len(recent)))
ui.table(v, shown, v.tr("complaints.file.recent"), download=raw, full=True)

rules = q.rules(v.snap, v.scope, v.community)
start, end = v.window(ui.TREND_PERIODS)
left, right = st.columns(2)
with left:
    st.subheader(v.tr("complaints.h.trend"))
    cats = ui.with_period_labels(v, q.complaints_by_category(v.snap, v.scope, v.community, v.grain, start, end))
    cats["category_label"] = [label("category", c, v.lang) for c in cats["category"]]
    ui.chart(v, ui.once(charts.stacked_bars)(cats, "period_label", "complaints", "category_label",
                                             v.tr("chart.period"), v.tr("chart.complaints"), v.tr("chart.category"),
                                             order="period_start"),
             not cats.empty)
with right:
    st.subheader(v.tr("complaints.h.hours"))
    hours = q.noise_by_hour(v.snap, v.scope, v.community, v.grain, v.period)
    ws, we = rules["window_start"], rules["window_end"]
    if hours["complaints"].sum() > 0:
        ui.chart(v, ui.once(charts.hours_with_window)(hours, ws.hour + ws.minute / 60, we.hour + we.minute / 60,
                                                      v.tr("chart.hour"), v.tr("chart.complaints"),
                                                      v.tr("chart.allowed_window") + f" {ws:%H:%M}–{we:%H:%M}"), True)
    else:   # an all-zero chart has no scale to speak of (its axis read "0.000000")
        st.info(v.tr("noise.none"))
    noise, outside = now.get("complaints.noise"), now.get("complaints.noise_outside_hours")
    if noise:
        share = fmt.value("rate", outside / noise, v.lang)
        st.caption(f"{metric_name('complaints.noise_outside_hours', v.lang)}：{fmt.number(outside, v.lang)} / "
                   f"{fmt.number(noise, v.lang)}（{share}）" if v.lang == "zh" else
                   f"{metric_name('complaints.noise_outside_hours', v.lang)}: {fmt.number(outside, v.lang)} of "
                   f"{fmt.number(noise, v.lang)} ({share})")

st.subheader(v.tr("check.h.noise_rule"))
checks.noise_rule_chart(v)

left, right = st.columns(2)
with left:
    st.subheader(v.tr("complaints.h.buildings"))
    buildings = q.noise_buildings(v.snap, v.scope, v.community, v.grain, v.period)
    buildings = buildings.drop(columns=["name"]).rename(columns={c: v.tr(f"col.{c}") for c in
                                                                 ["building_id", "complaints", "outside_hours"]})
    ui.table(v, buildings, "noise_buildings", wrap=True)
with right:
    # one unit per axis: the backlog counts complaints, the resolution time is in hours
    st.subheader(v.tr("complaints.h.resolution"))
    ui.trend(v, series, ["complaints.open_at_end"], y_title=v.tr("chart.complaints"))
    ui.trend(v, series, ["complaints.median_resolution_hours"], y_format=",.1f", y_title=v.tr("chart.hours"))
