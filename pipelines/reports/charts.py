"""The brief's charts: the pages' own Altair lines (pipelines/present/charts.py), drawn to PNG offline by vl-convert."""
from __future__ import annotations

import altair as alt
import pandas as pd

from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.present.i18n import METRIC_KIND, metric_name
from pipelines.reports.brief import CHARTS, TREND_PERIODS, Brief
from pipelines.reports.fonts import Font


def trend_frame(brief: Brief, metrics: list[str]) -> pd.DataFrame:
    df = brief.series[brief.series["metric"].isin(metrics)].dropna(subset=["value"]).copy()
    df["period_start"] = pd.to_datetime(df["period_start"])
    df["period_label"] = [fmt.period_short(brief.grain, d.date(), brief.lang) for d in df["period_start"]]
    df["series"] = [metric_name(m, brief.lang) for m in df["metric"]]
    return df


def trend_chart(brief: Brief, metrics: list[str], font: Font, width: int = 330, height: int = 150) -> alt.Chart:
    rate = all(METRIC_KIND[m][0] == "rate" for m in metrics)
    chart = charts.lines(trend_frame(brief, metrics), "period_label", "value", "series", brief.tr("brief.chart.period"),
                         brief.tr("brief.chart.value"), brief.tr("brief.chart.series"),
                         y_format=".0%" if rate else ",.0f", order="period_start")
    family = f"{font.family}, {charts.FONT}"   # the face the PDF embeds first, so chart and page match
    return (chart.properties(width=width, height=height)
            .configure(font=family)
            .configure_axis(labelFont=family, titleFont=family, labelFontSize=11, titleFontSize=11, labelAngle=0)
            .configure_legend(labelFont=family, titleFont=family, orient="bottom", labelFontSize=11, titleFontSize=11)
            .configure_view(strokeWidth=0))


def chart_pngs(brief: Brief, font: Font, scale: float = 3.0) -> list[tuple[str, bytes | None]]:
    """(title, PNG) for each of the brief's charts; None where the period has nothing to draw."""
    import vl_convert as vlc
    _register(font)
    out = []
    for key, metrics in CHARTS:
        metrics = [m for m in metrics if m in METRIC_KIND]
        title = brief.tr(key, n=TREND_PERIODS)
        if trend_frame(brief, metrics).empty:
            out.append((title, None))
            continue
        out.append((title, vlc.vegalite_to_png(trend_chart(brief, metrics, font).to_dict(), scale=scale)))
    return out


_registered: set[str] = set()


def _register(font: Font) -> None:
    """vl-convert reads the system's fonts; a font found in a folder of the user's own must be added."""
    import vl_convert as vlc
    folder = str(font.regular.path.parent)
    if folder not in _registered:
        vlc.register_font_directory(folder)
        _registered.add(folder)


def street_trend_png(view, font: Font, scale: float = 3.0) -> bytes | None:
    """The street brief's chart: the chosen measure over the recent complete periods, a line per community."""
    from pipelines.reports.street import kind_of, measure_name
    df = view.trend.dropna(subset=["value"]).copy()
    if df.empty:
        return None
    import vl_convert as vlc
    _register(font)
    df["period_start"] = pd.to_datetime(df["period_start"])
    df["period_label"] = [fmt.period_short(view.grain, d.date(), view.lang) for d in df["period_start"]]
    df["name"] = df["name"].astype(str)
    chart = charts.lines(df, "period_label", "value", "name", view.tr("brief.chart.period"),
                         measure_name(view.measure, view.lang), view.tr("col.community"),
                         y_format=".0%" if kind_of(view.measure)[0] == "rate" else ",.2~f", order="period_start")
    family = f"{font.family}, {charts.FONT}"
    chart = (chart.properties(width=640, height=170).configure(font=family)
             .configure_axis(labelFont=family, titleFont=family, labelFontSize=11, titleFontSize=11, labelAngle=0)
             .configure_legend(labelFont=family, titleFont=family, orient="right", labelFontSize=11, titleFontSize=11)
             .configure_view(strokeWidth=0))
    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)
