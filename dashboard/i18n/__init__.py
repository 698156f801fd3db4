"""The catalogs: every visible string and every metric's name and definition.

`t(key, lang)` looks a string up; a key missing from a catalog is a bug the
tests catch (both catalogs must hold the same keys).
"""
from __future__ import annotations

from . import en, zh_CN

LANGS = ("zh", "en")
_CATALOGS = {"zh": zh_CN, "en": en}

# how a metric's value is shown, and which way is good (1 up, -1 down, 0 neither)
METRIC_KIND = {
    "orders.count": ("count", 1), "orders.gmv_yuan": ("yuan", 1), "orders.refund_rate": ("rate", -1),
    "orders.active_sellers": ("count", 1), "orders.new_sellers": ("count", 1),
    "parcels.arrived": ("count", 0), "parcels.picked_up": ("count", 0),
    "parcels.median_dwell_hours": ("hours", -1), "parcels.overdue": ("count", -1),
    "parcels.overdue_rate": ("rate", -1), "parcels.peak_occupancy_ratio": ("rate", -1),
    "complaints.count": ("count", -1), "complaints.noise": ("count", -1),
    "complaints.noise_outside_hours": ("count", -1), "complaints.noise_per_1k_households": ("per1k", -1),
    "complaints.parcel_pileup": ("count", -1), "complaints.median_resolution_hours": ("hours", -1),
    "complaints.open_at_end": ("count", -1), "complaints.repeat_buildings": ("count", -1),
    "training.sessions": ("count", 1), "training.registrations": ("count", 1), "training.attended": ("count", 1),
    "training.attendance_rate": ("rate", 1), "training.participants": ("count", 1),
    "training.elderly_participants": ("count", 1),
    "jobs.started": ("count", 1), "jobs.active_at_end": ("count", 1), "jobs.via_training_share": ("rate", 1),
    "jobs.median_monthly_income_yuan": ("yuan", 1),
}
METRICS = list(METRIC_KIND)


def t(key: str, lang: str = "zh", **values) -> str:
    text = _CATALOGS[lang].STRINGS[key]
    return text.format(**values) if values else text


def metric_name(metric: str, lang: str = "zh") -> str:
    return _CATALOGS[lang].METRICS[metric][0]


def metric_help(metric: str, lang: str = "zh") -> str:
    return _CATALOGS[lang].METRICS[metric][1]


def label(prefix: str, value: str, lang: str = "zh") -> str:
    """Chinese word for a stored enumeration value (channel.group_buy -> 团购); the value itself if unknown."""
    return _CATALOGS[lang].STRINGS.get(f"{prefix}.{value}", str(value))
