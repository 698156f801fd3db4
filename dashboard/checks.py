"""The weekly and monthly check pages share one layout; only the grain and the metrics differ."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from . import format as fmt
from . import ui
from .i18n import METRIC_KIND, metric_help, metric_name
from .report import check_sheet
from .view import View, data_end_text

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
SIGNATURE = {"zh": ["检查人", "治理小组组长", "日期"], "en": ["Checked by", "Group lead", "Date"]}


def numbers(v: View, metrics: list[str], now: dict, before: dict) -> pd.DataFrame:
    """The check sheet as numbers (a rate as 0.75, money in yuan), which is what a spreadsheet can add up."""
    def raw(values: dict, m: str) -> float | None:
        return None if fmt.is_missing(values.get(m)) else float(values[m])

    change = [None if raw(now, m) is None or raw(before, m) is None else raw(now, m) - raw(before, m)
              for m in metrics]
    return pd.DataFrame({
        v.tr("col.metric"): [metric_name(m, v.lang) for m in metrics],
        v.tr("col.unit"): [v.tr(f"unit.{METRIC_KIND[m][0]}") for m in metrics],
        v.tr("col.value"): pd.array([raw(now, m) for m in metrics], dtype="Float64"),
        v.tr("col.previous"): pd.array([raw(before, m) for m in metrics], dtype="Float64"),
        v.tr("col.change"): pd.array(change, dtype="Float64"),
        v.tr("col.definition"): [metric_help(m, v.lang) for m in metrics],
    })


def render(grain: str, page_key: str) -> None:
    v = ui.page_view()   # the sidebar already shows this page's grain (see app.py)
    if v is None:
        st.stop()
    ui.header(v, page_key)
    st.write(v.tr(f"check.intro.{grain}"))
    now, before, _ = ui.period_values(v)
    metrics = WEEKLY if grain == "week" else MONTHLY
    found = ui.alert_box(v, now, before)

    st.subheader(v.tr("check.h.numbers"))
    sheet = pd.DataFrame({
        v.tr("col.metric"): [metric_name(m, v.lang) for m in metrics],
        v.tr("col.value"): [fmt.value(m, now.get(m), v.lang) for m in metrics],
        v.tr("col.previous"): [fmt.value(m, before.get(m), v.lang) for m in metrics],
        v.tr("col.change"): [fmt.delta(m, now.get(m), before.get(m), v.lang) or "—" for m in metrics],
        v.tr("col.definition"): [metric_help(m, v.lang) for m in metrics],
    })
    ui.table(v, sheet, f"check_{grain}", download=numbers(v, metrics, now, before))
    title = f"{v.community_name} · {v.tr(page_key)}"
    quiet = (("warning", v.tr("alerts.none_partial", end=data_end_text(v.grain, v.period, v.data_end, v.lang))) if v.partial and v.data_end
             else ("ok", v.tr("alerts.none")))
    page = check_sheet(title, v.label(), v.tr("alerts.title"),
                       [(a.level, a.text) for a in found] or [quiet], sheet,
                       {v.tr("col.value"), v.tr("col.previous"), v.tr("col.change")}, SIGNATURE[v.lang])
    st.download_button(v.tr("download.report"), page.encode("utf-8"), mime="text/html",
                       file_name=f"check_{grain}_{v.community}_{v.period.isoformat()}.html", key=f"report_{grain}")
    st.caption(v.tr("check.print_hint"))
