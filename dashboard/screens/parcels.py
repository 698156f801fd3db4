"""快递代收点: arrivals against pickups, dwell time, pickups by hour × weekday, occupancy, overdue list."""
import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.parts import outlook, ui
from pipelines.present import charts
from pipelines.present import format as fmt

v = ui.start("page.parcels")
now, before, series = ui.period_values(v)
ui.tiles(v, ["parcels.arrived", "parcels.picked_up", "parcels.median_dwell_hours", "parcels.overdue",
             "parcels.overdue_rate", "parcels.peak_occupancy_ratio"], now, before, series)   # 4 + 2: two a row on a phone
ui.alert_box(v, now, before, only={"parcels.overdue", "parcels.peak_occupancy_ratio", "complaints.parcel_pileup"})

left, right = st.columns(2)
with left:
    st.subheader(v.tr("parcels.h.flow"))
    ui.trend(v, series, ["parcels.arrived", "parcels.picked_up"])
with right:
    st.subheader(v.tr("parcels.h.dwell"))
    bins = pd.DataFrame({"bin": range(1, 8)}).merge(q.dwell_bins(v.snap, v.scope, v.community, v.grain, v.period),
                                                      on="bin", how="left").fillna({"parcels": 0})
    bins["label"] = [v.tr(f"dwell.{b}") for b in bins["bin"]]
    ui.chart(v, ui.once(charts.bars)(bins, "label", "parcels", v.tr("chart.dwell_bin"), v.tr("chart.parcels"),
                                     sort=list(bins["label"]), horizontal=True), bins["parcels"].sum() > 0)

left, right = st.columns(2)
with left:
    st.subheader(v.tr("parcels.h.heatmap"))
    heat = q.pickups_heatmap(v.snap, v.scope, v.community, v.grain, v.period)
    heat["weekday_label"] = [v.tr(f"weekday.{d}") for d in heat["weekday"]]
    ui.chart(v, ui.once(charts.heatmap)(heat, "hour", "weekday_label", "pickups", v.tr("chart.hour"),
                                        v.tr("chart.weekday"), v.tr("chart.pickups"),
                                        [v.tr(f"weekday.{d}") for d in range(1, 8)]), not heat.empty)
with right:
    st.subheader(v.tr("parcels.h.points"))
    peaks = q.point_peaks(v.snap, v.scope, v.community, v.grain, v.period)
    ui.chart(v, ui.once(charts.capacity_bars)(peaks, "name", "peak_in_stock", "capacity", v.tr("chart.point"),
                                              v.tr("chart.peak_in_stock"), v.tr("chart.capacity")), not peaks.empty)

headers = {"point_id": v.tr("col.point_id"), "name": v.tr("col.point_name"), "capacity": v.tr("col.capacity"),
           "peak_in_stock": v.tr("col.peak_in_stock"), "peak_ratio": v.tr("col.peak_ratio"),
           "peak_hour": v.tr("col.peak_hour")}
shown = peaks.assign(peak_hour=[fmt.datetime(h, v.lang) for h in peaks["peak_hour"]],
                     peak_ratio=[fmt.value("rate", r, v.lang) for r in peaks["peak_ratio"]]).rename(columns=headers)
ui.table(v, shown, "point_occupancy", download=peaks.rename(columns=headers), wrap=True)

st.subheader(v.tr("parcels.h.daily"))
daily = q.point_daily(v.snap, v.scope, v.community, v.period, v.period_end)
daily["day"] = pd.to_datetime(daily["day"])
ui.chart(v, ui.once(charts.lines)(daily, "day", "peak_ratio", "name", v.tr("chart.day"), v.tr("chart.ratio"),
                                  v.tr("chart.point"), y_format=".0%", lang=v.lang), not daily.empty)

outlook.show(v)   # 未来两周: the next 14 days after the data end, whatever period is chosen

st.subheader(v.tr("parcels.h.overdue"))
overdue = q.overdue_parcels(v.snap, v.scope, v.community, v.period, v.period_end)
headers = {c: v.tr(f"col.{c}") for c in overdue.columns}
shown = overdue.assign(arrived_at=[fmt.datetime(x, v.lang) for x in overdue["arrived_at"]],
                       picked_up_at=[fmt.datetime(x, v.lang) if not pd.isna(x) else "—" for x in overdue["picked_up_at"]],
                       waited_hours=[fmt.value("hours", x, v.lang) for x in overdue["waited_hours"]])
ui.table(v, shown.rename(columns=headers), "overdue_parcels", download=overdue.rename(columns=headers),
         wrap=True)
