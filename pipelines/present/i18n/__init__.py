"""The catalogs: every visible string, in each UI language. Metric names and definitions come
from the metric registry (pipelines/metrics.py); feed names and the words for stored enumeration
values (channel group_buy: 团购) from the feed registry (pipelines/feeds.py), and the words of the
kept records (an action's status, a case's step and timeline entries, a role, an alert's level)
from the module that keeps them (pipelines/records), through `label`.

`t(key, lang)` looks a string up; a key missing from a catalog is a bug the
tests catch (both catalogs must hold the same keys).
"""
from __future__ import annotations

from pipelines.feeds import ENUM_COLUMNS, FEEDS
from pipelines.metrics import REGISTRY
from pipelines.present.i18n import en, zh_CN
from pipelines.records import actions, alert_rules, cases, users

LANGS = ("zh", "en")
_CATALOGS = {"zh": zh_CN, "en": en}

# Metric names, definitions, units and directions live in the registry (pipelines/metrics.py).
METRICS = list(REGISTRY)
METRIC_KIND = {key: (m.unit, m.good) for key, m in REGISTRY.items()}   # (unit, which way is good)


# The kept records' vocabularies, by the prefix `label` takes (stored value -> Word): the module's name
# before the column's, as `feed.column` for a feed, so none is mistaken for a feed's column (orders.status,
# jobs.role).
RECORD_WORDS = {
    "actions.status": actions.STATUS_WORDS,
    "cases.step": cases.STEP_WORDS,
    "cases.event": cases.EVENT_WORDS,
    "users.role": users.ROLE_WORDS,
    "alert_rules.level": alert_rules.LEVEL_WORDS,
}


def t(key: str, lang: str = "zh", **values) -> str:
    text = _CATALOGS[lang].STRINGS[key]
    return text.format(**values) if values else text


def metric_name(metric: str, lang: str = "zh") -> str:
    return REGISTRY[metric].name(lang)


def metric_help(metric: str, lang: str = "zh", rules: dict | None = None) -> str:
    """The definition, with the community's own rules (window, overdue limit) where it names them."""
    return REGISTRY[metric].definition(lang, rules)


def label(prefix: str, value: str, lang: str = "zh") -> str:
    """The word shown for a stored value; the value itself if nothing names it.

    - `kind`: a feed's name (label("kind", "orders") -> 订单), from the feed registry;
    - an enumeration column, as `feed.column` or its bare name where one feed alone has it
      (label("channel", "group_buy") -> 团购), from the feed registry; "unknown" is what a mart
      writes for an empty value (mart_jobs_breakdown), shown as 未填写;
    - a kept record's vocabulary (RECORD_WORDS: label("actions.status", "open") -> 待办), from its module;
    - anything else from the catalog (label("auth.action", "import") -> 导入).
    """
    if prefix == "kind":
        feed = FEEDS.get(value)
        return feed.label(lang) if feed else str(value)
    record = RECORD_WORDS.get(prefix)
    if record is not None:
        word = record.get(value)
        return str(value) if word is None else word.zh if lang == "zh" else word.en
    column = ENUM_COLUMNS.get(prefix)
    if column is not None:
        word = column.word(value, lang)
        if word is None and value == "unknown":
            return t("enum.unknown", lang)
        return word if word is not None else str(value)
    return _CATALOGS[lang].STRINGS.get(f"{prefix}.{value}", str(value))
