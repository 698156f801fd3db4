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
    text: str       # plain text, as the printed check sheet shows it
    metric: str
    markdown: str   # the same for Streamlit's Markdown elements, with names from imported files escaped


def _alert(level: str, metric: str, key: str, lang: str, point: str | None = None, **values) -> Alert:
    """`point` is a name from an imported file; only the Markdown version escapes it, the sheet escapes HTML."""
    if point is None:
        text = t(key, lang, **values)
        return Alert(level, text, metric, text)
    return Alert(level, t(key, lang, point=point, **values), metric, t(key, lang, point=fmt.plain(point), **values))


def _v(values: dict, metric: str) -> float | None:
    v = values.get(metric)
    return None if fmt.is_missing(v) else float(v)


def alerts(now: dict, before: dict, rules: dict, lang: str = "zh", fullest_point: str | None = None) -> list[Alert]:
    """The period's alerts; `fullest_point` names the point behind the peak occupancy, where known."""
    out: list[Alert] = []
    outside = _v(now, "complaints.noise_outside_hours")
    if outside:
        out.append(_alert("error", "complaints.noise_outside_hours", "alert.noise_outside", lang, n=int(outside),
                          start=f"{rules['window_start']:%H:%M}", end=f"{rules['window_end']:%H:%M}"))
    repeat = _v(now, "complaints.repeat_buildings")
    if repeat:
        out.append(_alert("warning", "complaints.repeat_buildings", "alert.repeat_buildings", lang, n=int(repeat)))
    overdue, rate = _v(now, "parcels.overdue"), _v(now, "parcels.overdue_rate")
    if overdue and rate is not None and rate >= OVERDUE_RATE:
        out.append(_alert("warning", "parcels.overdue", "alert.overdue", lang, n=fmt.number(overdue, lang),
                          hours=f"{rules['overdue_hours']:g}", rate=fmt.value("rate", rate, lang)))
    peak = _v(now, "parcels.peak_occupancy_ratio")
    point = fullest_point or t("alert.a_point", lang)
    if peak is not None and peak > 1:
        out.append(_alert("error", "parcels.peak_occupancy_ratio", "alert.over_capacity", lang, point=point,
                          ratio=fmt.value("rate", peak, lang)))
    elif peak is not None and peak >= NEAR_CAPACITY:
        out.append(_alert("warning", "parcels.peak_occupancy_ratio", "alert.near_capacity", lang, point=point,
                          ratio=fmt.value("rate", peak, lang)))
    pileup = _v(now, "complaints.parcel_pileup")
    if pileup:
        out.append(_alert("warning", "complaints.parcel_pileup", "alert.pileup", lang, n=int(pileup)))
    open_now, open_before = _v(now, "complaints.open_at_end"), _v(before, "complaints.open_at_end")
    if open_now and open_before is not None and open_now > open_before:
        out.append(_alert("warning", "complaints.open_at_end", "alert.open_rising", lang, n=int(open_now),
                          prev=int(open_before)))
    attendance = _v(now, "training.attendance_rate")
    if attendance is not None and attendance < LOW_ATTENDANCE:
        out.append(_alert("warning", "training.attendance_rate", "alert.low_attendance", lang,
                          rate=fmt.value("rate", attendance, lang)))
    return out
