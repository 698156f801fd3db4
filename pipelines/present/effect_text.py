"""A case's effect from the weekly kpi, and in words (pipelines/records/effect.py's verdict, means and threshold),
for the 协商议题 page and the briefs alike; no Streamlit. `v` needs only `lang` and `tr(key, **values)`."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.periods import period_shift, period_start
from pipelines.present import format as fmt
from pipelines.present.i18n import METRIC_KIND
from pipelines.records.effect import WINDOW, Effect, effect


def weeks_around(agreed_on: dt.date) -> tuple[dt.date, dt.date]:
    """The span of weekly kpi an effect reads: the window each side of the agreement's week, and a week more."""
    week = period_start("week", agreed_on)
    return period_shift("week", week, -(WINDOW + 1)), period_shift("week", week, WINDOW + 1)


def effect_of(series: pd.DataFrame, metric: str, agreed_on: dt.date, data_end) -> Effect:
    """`series`: queries.kpi_series rows (period_start, metric, value) over `weeks_around(agreed_on)`."""
    s = series[series["metric"] == metric]
    weeks = [(pd.Timestamp(p).date(), None if pd.isna(x) else float(x)) for p, x in zip(s["period_start"], s["value"])]
    return effect(metric, weeks, agreed_on, data_end)


def mean_text(v, metric: str, x: float | None) -> str:
    """A mean of weekly counts keeps one decimal (2.75 complaints a week shows as 2.8, not 3)."""
    if x is None:
        return "—"
    return fmt.number(x, v.lang, 1) if METRIC_KIND[metric][0] == "count" else fmt.value(metric, x, v.lang)


def effect_text(v, e) -> str:
    m = e.metric
    if e.before_mean is None or e.after_mean is None:
        return v.tr("gov.effect.no_data")
    good = METRIC_KIND[m][1]
    better = "" if good == 0 or e.change == 0 else v.tr("gov.effect.better" if e.change * good > 0 else "gov.effect.worse")
    sign = "+" if e.change > 0 else "−" if e.change < 0 else ""
    return v.tr(f"gov.effect.{e.verdict}", before=mean_text(v, m, e.before_mean), nb=len(e.before),
                after=mean_text(v, m, e.after_mean), na=len(e.after), change=sign + mean_text(v, m, abs(e.change)),
                threshold=mean_text(v, m, e.threshold)) + better
