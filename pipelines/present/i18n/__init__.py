"""The catalogs: every visible string, in each UI language. Metric names and definitions come
from the metric registry (pipelines/metrics.py).

`t(key, lang)` looks a string up; a key missing from a catalog is a bug the
tests catch (both catalogs must hold the same keys).
"""
from __future__ import annotations

from pipelines.metrics import REGISTRY
from pipelines.present.i18n import en, zh_CN

LANGS = ("zh", "en")
_CATALOGS = {"zh": zh_CN, "en": en}

# Metric names, definitions, units and directions live in the registry (pipelines/metrics.py).
METRICS = list(REGISTRY)
METRIC_KIND = {key: (m.unit, m.good) for key, m in REGISTRY.items()}   # (unit, which way is good)


def t(key: str, lang: str = "zh", **values) -> str:
    text = _CATALOGS[lang].STRINGS[key]
    return text.format(**values) if values else text


def metric_name(metric: str, lang: str = "zh") -> str:
    return REGISTRY[metric].name(lang)


def metric_help(metric: str, lang: str = "zh", rules: dict | None = None) -> str:
    """The definition, with the community's own rules (window, overdue limit) where it names them."""
    return REGISTRY[metric].definition(lang, rules)


def label(prefix: str, value: str, lang: str = "zh") -> str:
    """Chinese word for a stored enumeration value (channel.group_buy -> 团购); the value itself if unknown."""
    return _CATALOGS[lang].STRINGS.get(f"{prefix}.{value}", str(value))
