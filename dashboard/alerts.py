"""What needs attention in a period, from its kpi values: pure functions, no Streamlit."""
from __future__ import annotations

from dataclasses import dataclass

from . import format as fmt
from .i18n import t

LOW_ATTENDANCE = 0.7
NEAR_CAPACITY = 0.9
OVERDUE_RATE = 0.02


@dataclass(frozen=True)
class Alert:
    level: str      # "error" or "warning"
    text: str
    metric: str


def _v(values: dict, metric: str) -> float | None:
    v = values.get(metric)
    return None if fmt.is_missing(v) else float(v)


def alerts(now: dict, before: dict, rules: dict, lang: str = "zh", fullest_point: str | None = None) -> list[Alert]:
    """The period's alerts; `fullest_point` names the point behind the peak occupancy, where known."""
    out: list[Alert] = []
    outside = _v(now, "complaints.noise_outside_hours")
    if outside:
        out.append(Alert("error", t("alert.noise_outside", lang, n=int(outside),
                                    start=f"{rules['window_start']:%H:%M}", end=f"{rules['window_end']:%H:%M}"),
                         "complaints.noise_outside_hours"))
    repeat = _v(now, "complaints.repeat_buildings")
    if repeat:
        out.append(Alert("warning", t("alert.repeat_buildings", lang, n=int(repeat)), "complaints.repeat_buildings"))
    overdue, rate = _v(now, "parcels.overdue"), _v(now, "parcels.overdue_rate")
    if overdue and rate is not None and rate >= OVERDUE_RATE:
        out.append(Alert("warning", t("alert.overdue", lang, n=fmt.number(overdue, lang),
                                      hours=f"{rules['overdue_hours']:g}", rate=fmt.value("rate", rate, lang)),
                         "parcels.overdue"))
    peak = _v(now, "parcels.peak_occupancy_ratio")
    point = fullest_point or t("alert.a_point", lang)
    if peak is not None and peak > 1:
        out.append(Alert("error", t("alert.over_capacity", lang, point=point, ratio=fmt.value("rate", peak, lang)),
                         "parcels.peak_occupancy_ratio"))
    elif peak is not None and peak >= NEAR_CAPACITY:
        out.append(Alert("warning", t("alert.near_capacity", lang, point=point, ratio=fmt.value("rate", peak, lang)),
                         "parcels.peak_occupancy_ratio"))
    pileup = _v(now, "complaints.parcel_pileup")
    if pileup:
        out.append(Alert("warning", t("alert.pileup", lang, n=int(pileup)), "complaints.parcel_pileup"))
    open_now, open_before = _v(now, "complaints.open_at_end"), _v(before, "complaints.open_at_end")
    if open_now and open_before is not None and open_now > open_before:
        out.append(Alert("warning", t("alert.open_rising", lang, n=int(open_now), prev=int(open_before)),
                         "complaints.open_at_end"))
    attendance = _v(now, "training.attendance_rate")
    if attendance is not None and attendance < LOW_ATTENDANCE:
        out.append(Alert("warning", t("alert.low_attendance", lang, rate=fmt.value("rate", attendance, lang)),
                         "training.attendance_rate"))
    return out
