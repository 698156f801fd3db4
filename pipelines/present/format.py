"""Numbers and dates the Chinese way (万/亿, 2025年6月2日), or the English way."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from pipelines.periods import period_last_day
from pipelines.present.i18n import METRIC_KIND, t

MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def is_missing(value) -> bool:
    """None, NaN, NaT and pandas' NA alike: the shapes a missing value takes on its way from DuckDB."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# Every character Markdown (CommonMark, GFM's bare-URL links, Streamlit's $math$, :red[colour] and
# :emoji: directives) or HTML gives a meaning to. A backslash before ASCII punctuation always means
# "this character, literally" in CommonMark, so the escaped text renders exactly as typed.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&=:])")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f]+")
# Some of Streamlit's Markdown is found in the text after escapes are undone, where a backslash cannot
# reach: GFM's bare links (`http://…`, `www.…`, `a@b.cn`; remark-gfm matches them in text nodes) and
# Streamlit's `:material/icon:` and `:streamlit:` (matched in the source and in text nodes). An invisible
# WORD JOINER (U+2060) between a colon and `//`, `material/` or `streamlit:`, after `@` and between `www`
# and its dot breaks each pattern and changes nothing a reader sees (a time such as 12:00 is left alone).
JOINER = "\u2060"
_LINK_PARTS = re.compile(r"(?<=:)(?=/|material/|streamlit\\:)|(?<=@)|(?<=www)(?=\\\.)", re.IGNORECASE)


def plain(text) -> str:
    """Text from an imported file, made safe for Streamlit's Markdown elements (st.caption, st.error, widget
    labels, ...).

    Names like `![x](http://host/x.png)` would otherwise make every viewer's browser fetch that URL and
    `[通知](http://...)` or a bare `http://...` would become a link; escaped, they show exactly as they were
    typed and link nowhere. Line breaks become spaces so that a name cannot start a heading, a list or a
    table on a line of its own.
    """
    escaped = _MARKDOWN_SYNTAX.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)))
    return _LINK_PARTS.sub(JOINER, escaped)


def number(value, lang: str = "zh", digits: int = 0) -> str:
    if is_missing(value):
        return "—"
    v = float(value)
    if lang == "zh" and abs(v) >= 1e8:
        return f"{v / 1e8:,.2f}亿"
    if lang == "zh" and abs(v) >= 1e4:
        return f"{v / 1e4:,.2f}万"
    if digits == 0 or v == int(v) and abs(v) >= 100:
        return f"{round(v):,}"
    return f"{v:,.{digits}f}"


def value(metric_or_kind: str, v, lang: str = "zh") -> str:
    kind = METRIC_KIND.get(metric_or_kind, (metric_or_kind, 0))[0]
    if is_missing(v):
        return "—"
    if kind == "yuan":
        return "¥" + number(v, lang, 2 if abs(float(v)) < 100 else 0)
    if kind == "rate":
        return f"{float(v) * 100:.1f}%"
    if kind == "hours":
        return f"{float(v):.1f} 小时" if lang == "zh" else f"{float(v):.1f} h"
    if kind == "per1k":
        return number(v, lang, 2)
    return number(v, lang)


# Metrics whose zero is said in words where the value stands alone (a tile, a brief's card, a table's cell): a month
# the public fund paid nothing read 公共基金支出 ¥0.00, as if a payment of nothing had been made
ZERO_WORDS = {"coop.fund_spent_yuan": "value.zero.fund_spent"}


def shown(metric: str, v, lang: str = "zh") -> str:
    """A metric's value as it is shown on its own: `value`, or the metric's words for zero (没有支出)."""
    if metric in ZERO_WORDS and not is_missing(v) and float(v) == 0:
        return t(ZERO_WORDS[metric], lang)
    return value(metric, v, lang)


def delta(metric: str, current, previous, lang: str = "zh") -> str | None:
    """The change against the previous period, as st.metric shows it; None if either is missing."""
    if is_missing(current) or is_missing(previous):
        return None
    if metric in ZERO_WORDS and float(current) == 0 and float(previous) == 0:
        return None    # 没有支出 either month: a change of ¥0.00 under the words says nothing
    kind = METRIC_KIND.get(metric, ("count", 0))[0]
    diff = float(current) - float(previous)
    if unchanged(metric, current, previous):
        return t("delta.zero_pts", lang) if kind == "rate" else value(metric, 0.0, lang)
    if kind == "rate":
        return f"{diff * 100:+.1f} 个百分点" if lang == "zh" else f"{diff * 100:+.1f} pts"
    sign = "+" if diff >= 0 else "-"   # ASCII minus: st.metric reads it to point the arrow down
    return sign + value(metric, abs(diff), lang)


def unchanged(metric: str, current, previous) -> bool:
    """No change as shown: the difference rounds to zero at the precision the value is shown with."""
    if is_missing(current) or is_missing(previous):
        return False
    diff = abs(float(current) - float(previous))
    if METRIC_KIND.get(metric, ("count", 0))[0] == "rate":
        return round(diff * 100, 1) == 0
    return not any(ch in "123456789" for ch in value(metric, diff, "en"))


def date(d: dt.date | dt.datetime | None, lang: str = "zh") -> str:
    if d is None:
        return "—"
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"


# `date`'s two ways as d3 time formats, for a date in a chart's tooltip: Vega-Lite's own is English (Dec 07, 2026)
CHART_DATE = {"zh": "%Y年%-m月%-d日", "en": "%-d %b %Y"}


def chart_date(lang: str = "zh") -> str:
    return CHART_DATE.get(lang, CHART_DATE["en"])


def day_short(d: dt.date | dt.datetime, lang: str = "zh") -> str:
    """A day without its year (1月4日, 4 Jan), as a partial period's "data to" label shows it."""
    return f"{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {MONTHS_EN[d.month - 1]}"


def datetime(d: dt.datetime | None, lang: str = "zh") -> str:
    if is_missing(d):
        return "—"
    return f"{date(d, lang)} {d:%H:%M}"


def period(grain: str, start: dt.date, lang: str = "zh") -> str:
    if grain == "week":
        end = period_last_day(grain, start)
        year, week, _ = start.isocalendar()
        short = (lambda d: f"{d.month}月{d.day}日") if lang == "zh" else (lambda d: f"{d.day} {MONTHS_EN[d.month - 1]}")
        return t("period.week", lang, year=year, week=week, start=short(start), end=short(end))
    return t("period.month", lang, year=start.year, month=start.month, month_name=MONTHS_EN[start.month - 1])


def period_short(grain: str, start: dt.date, lang: str = "zh") -> str:
    """A chart axis label: the week's Monday (6月2日) or the month (2025年6月)."""
    if grain == "week":
        return f"{start.month}月{start.day}日" if lang == "zh" else f"{start.day} {MONTHS_EN[start.month - 1]}"
    return f"{start.year}年{start.month}月" if lang == "zh" else f"{MONTHS_EN[start.month - 1]} {start.year}"
