"""A case's effect from the weekly kpi, and in words (pipelines/records/effect.py's verdict, means and threshold),
for the 协商议题 page and the briefs alike; no Streamlit. `v` needs only `lang` and `tr(key, **values)`.

The numbers in the sentence are the ones a reader checks by hand: each mean is rounded half up to the digits
shown, and the change is the difference of the shown means ("2.5 … 0.3, 变化 −2.2"), never a difference of
unrounded means that the shown ones do not add up to."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from pipelines.periods import period_shift, period_start
from pipelines.present import format as fmt
from pipelines.present.i18n import METRIC_KIND
from pipelines.records.effect import WINDOW, Effect, effect

# the before weeks of a metric asked once a month (the feedback round) are its last 8 rounds: 8 months back
BEFORE_SPAN_WEEKS = 5 * (WINDOW + 1)
AFTER_SPAN_WEEKS = 52 * 20      # every week since: whether the effect still holds reads the latest ones


def weeks_around(agreed_on: dt.date) -> tuple[dt.date, dt.date]:
    """The span of weekly kpi an effect reads: enough weeks before the agreement's week, and every week since."""
    week = period_start("week", agreed_on)
    return period_shift("week", week, -BEFORE_SPAN_WEEKS), period_shift("week", week, AFTER_SPAN_WEEKS)


def effect_of(series: pd.DataFrame, metric: str, agreed_on: dt.date, data_end) -> Effect:
    """`series`: queries.kpi_series rows (period_start, metric, value) over `weeks_around(agreed_on)`."""
    s = series[series["metric"] == metric]
    weeks = [(pd.Timestamp(p).date(), None if pd.isna(x) else float(x)) for p, x in zip(s["period_start"], s["value"])]
    return effect(metric, weeks, agreed_on, data_end)


def _step(metric: str, x: float, lang: str) -> Decimal:
    """The smallest difference the page shows of this metric at this size (pipelines/present/format.py)."""
    kind = METRIC_KIND[metric][0]
    if kind == "rate":
        return Decimal("0.001")            # 12.3%
    if kind == "hours":
        return Decimal("0.1")
    if lang == "zh" and abs(x) >= 1e4:
        return Decimal(100) if abs(x) < 1e8 else Decimal(1000000)       # 1.23万, 1.23亿
    if kind == "yuan":
        return Decimal("0.01") if abs(x) < 100 else Decimal(1)
    if kind == "per1k":
        return Decimal("0.01")
    return Decimal("0.1")                  # a mean of weekly counts keeps one decimal


def shown(metric: str, x: float | None, lang: str) -> float | None:
    """The value as the page shows it, rounded half up (2.25 → 2.3, as a reader rounds by hand)."""
    if x is None:
        return None
    return float(Decimal(repr(float(x))).quantize(_step(metric, x, lang), rounding=ROUND_HALF_UP))


def mean_text(v, metric: str, x: float | None) -> str:
    """A mean of weekly counts keeps one decimal (2.75 complaints a week shows as 2.8, not 3)."""
    if x is None:
        return "—"
    x = shown(metric, x, v.lang)
    return fmt.number(x, v.lang, 1) if METRIC_KIND[metric][0] == "count" else fmt.value(metric, x, v.lang)


def spread_text(v, metric: str, x: float | None) -> str:
    """A difference of two means, or the ordinary spread: as the mean is written, but a difference of two shares
    is in percentage points (55.0% to 22.5% is −32.5 个百分点; "−32.5%" would read as a relative fall)."""
    if x is None or METRIC_KIND[metric][0] != "rate":
        return mean_text(v, metric, x)
    points = fmt.number(shown(metric, x, v.lang) * 100, v.lang, 1)
    return f"{points} 个百分点" if v.lang == "zh" else f"{points} pts"


def change_text(v, metric: str, before: float, after: float) -> str:
    """after − before as the shown means give it, signed: −2.2, +0.4, 0."""
    d = shown(metric, after, v.lang) - shown(metric, before, v.lang)
    d = shown(metric, d, v.lang) if d else 0.0       # float subtraction leaves 2.1999…: back to the shown step
    return ("+" if d > 0 else "−" if d < 0 else "") + spread_text(v, metric, abs(d))


def _span(v, weeks) -> str:
    first, last = weeks[0][0], weeks[-1][0] + dt.timedelta(days=6)
    return f"{fmt.day_short(first, v.lang)}–{fmt.day_short(last, v.lang)}"


def _unit(e) -> str:
    """"week", or "round" for a measure asked now and then (the monthly feedback round): its weeks with a
    value are rounds, and "8 周" would misname 8 months."""
    ws = sorted(w for w, _ in [*e.before, *e.after, *e.later])
    gaps = sorted((b - a).days for a, b in itertools.pairwise(ws))
    return "round" if gaps and gaps[len(gaps) // 2] > 7 else "week"


def effect_text(v, e) -> str:
    m = e.metric
    if e.before_mean is None or e.after_mean is None:
        return v.tr("gov.effect.no_data")
    good = METRIC_KIND[m][1]
    better = "" if good == 0 or e.change == 0 else v.tr("gov.effect.better" if e.change * good > 0 else "gov.effect.worse")
    text = v.tr(f"gov.effect.{e.verdict}", unit=v.tr(f"gov.effect.unit.{_unit(e)}"),
                before=mean_text(v, m, e.before_mean), nb=len(e.before),
                after=mean_text(v, m, e.after_mean), na=len(e.after), change=change_text(v, m, e.before_mean, e.after_mean),
                threshold=spread_text(v, m, e.threshold)) + better
    latest = latest_text(v, e)
    if latest and not text.endswith(("。", ".")):
        text += "。" if v.lang == "zh" else "."
    return text + latest


def latest_text(v, e) -> str:
    """Whether the effect still holds over the latest complete weeks; "" while there are none past the after weeks."""
    if e.latest_verdict is None:
        return ""
    m = e.metric
    return v.tr(f"gov.effect.latest.{e.latest_verdict}", n=len(e.latest), span=_span(v, e.latest),
                unit=v.tr(f"gov.effect.unit.latest_{_unit(e)}"),
                latest=mean_text(v, m, e.latest_mean), change=change_text(v, m, e.before_mean, e.latest_mean),
                threshold=spread_text(v, m, e.latest_threshold))
