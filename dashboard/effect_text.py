"""A case's effect in words (pipelines/effect.py's verdict, means and threshold), for the 协商议题 page and
the briefs alike; no Streamlit. `v` needs only `lang` and `tr(key, **values)`."""
from __future__ import annotations

from . import format as fmt
from .i18n import METRIC_KIND


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
