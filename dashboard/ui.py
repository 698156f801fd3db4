"""Page pieces every page shares: header, metric tiles, alerts, tables with a download button."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from . import charts
from . import format as fmt
from . import queries as q
from .alerts import alerts
from .export import csv_bytes
from .i18n import METRIC_KIND, metric_help, metric_name, t
from .view import View, current, data_end_text

TREND_PERIODS = 12


def page_view() -> View | None:
    """The current view, or a friendly explanation when nothing has been built yet."""
    v = current()
    if v is None:
        lang = st.session_state.get("w_lang", "zh")
        st.info(f"**{t('no_data.title', lang)}**\n\n{t('no_data.body', lang)}")
    return v


def start(page_key: str) -> View:
    """Every data page opens the same way: the view (or a note and stop), the title, the caption."""
    v = page_view()
    if v is None:
        st.stop()
    header(v, page_key)
    return v


def header(v: View, page_key: str) -> None:
    st.title(v.tr(page_key))
    st.caption(f"{fmt.plain(v.community_name)} · {v.label()}")
    partial_note(v)


def partial_note(v: View) -> None:
    """A partial period says so, with the day its data runs to and what it is compared with."""
    if not v.partial or v.data_end is None:
        return
    before = v.tr("partial.previous", previous=v.label(v.previous)) if v.previous else ""
    st.warning(v.tr("partial.note", period=fmt.period(v.grain, v.period, v.lang),
                    end=data_end_text(v.grain, v.period, v.data_end, v.lang)) + before, icon=":material/hourglass_top:")


def period_values(v: View) -> tuple[dict, dict, pd.DataFrame]:
    """This period's kpi values, the previous period's, and the recent series (long)."""
    start, end = v.window(TREND_PERIODS)
    series = q.kpi_series(v.snap, v.scope, v.community, v.grain, start, end)
    series["period_start"] = pd.to_datetime(series["period_start"]).dt.date
    now = dict(series.loc[series["period_start"] == v.period, ["metric", "value"]].values)
    before = dict(series.loc[series["period_start"] == v.previous, ["metric", "value"]].values) if v.previous else {}
    return now, before, series


def tiles(v: View, metrics: list[str], now: dict, before: dict, series: pd.DataFrame, columns: int = 4) -> None:
    cols = st.columns(columns)
    for i, metric in enumerate(metrics):
        good = METRIC_KIND[metric][1]
        trend = series.loc[series["metric"] == metric, "value"]
        delta = fmt.delta(metric, now.get(metric), before.get(metric), v.lang)
        unchanged = fmt.unchanged(metric, now.get(metric), before.get(metric))   # no arrow for no change
        # a partial period beside a complete one says so on the change itself
        note = v.tr("delta.partial") if delta is not None and v.partial else None
        with cols[i % columns]:
            st.metric(metric_name(metric, v.lang), fmt.value(metric, now.get(metric), v.lang),
                      delta=delta, delta_arrow="off" if unchanged else "auto",
                      delta_color="off" if unchanged else {1: "normal", -1: "inverse", 0: "off"}[good],
                      help=metric_help(metric, v.lang), border=True, delta_description=note,
                      chart_data=[0.0 if pd.isna(x) else float(x) for x in trend], chart_type="line")


def chart(v: View, figure, has_data: bool) -> None:
    """A chart, or a plain note where the period has nothing to draw (never an empty frame)."""
    if has_data:
        st.altair_chart(figure, width="stretch")
    else:
        st.info(v.tr("chart.empty"))


def trend(v: View, series: pd.DataFrame, metrics: list[str], y_format: str = ",.0f") -> None:
    """Lines of some kpi metrics over the recent periods, one line per metric, named in the UI language."""
    df = with_period_labels(v, series[series["metric"].isin(metrics)].dropna(subset=["value"]))
    df["series"] = [metric_name(m, v.lang) for m in df["metric"]]
    chart(v, charts.lines(df, "period_label", "value", "series", v.tr("chart.period"), v.tr("chart.value"),
                          v.tr("chart.series"), y_format=y_format, order="period_start"), not df.empty)


def with_period_labels(v: View, df: pd.DataFrame) -> pd.DataFrame:
    """Adds the short period label charts put on their x axis (and keeps period_start to sort by)."""
    out = df.copy()
    out["period_start"] = pd.to_datetime(out["period_start"])
    out["period_label"] = [fmt.period_short(v.grain, d.date(), v.lang) for d in out["period_start"]]
    return out


def period_alerts(v: View, now: dict, before: dict):
    peaks = q.point_peaks(v.snap, v.scope, v.community, v.grain, v.period)
    fullest = peaks.iloc[0]["name"] if not peaks.empty else None   # sorted by peak ratio, highest first
    return alerts(now, before, q.rules(v.snap, v.scope, v.community), v.lang, fullest)


def alert_box(v: View, now: dict, before: dict, only: set[str] | None = None) -> list:
    """The period's alerts under a heading (or a reassurance that there are none); returns them."""
    st.subheader(v.tr("alerts.title"))
    found = [a for a in period_alerts(v, now, before) if only is None or a.metric in only]
    if not found and v.partial:   # a quiet partial period is not a quiet period
        st.info(v.tr("alerts.none_partial", end=data_end_text(v.grain, v.period, v.data_end, v.lang)
                                         if v.data_end else "—"))
    elif not found:
        st.success(v.tr("alerts.none"))
    for a in found:
        (st.error if a.level == "error" else st.warning)(a.markdown)
    return found


def table(v: View, df: pd.DataFrame, name: str, column_config: dict | None = None,
          download: pd.DataFrame | None = None) -> None:
    """A table and its CSV download; `download` holds the same rows as numbers where `df` shows "1.01万".
    A table without rows is a note (Streamlit would draw an empty grid saying "empty")."""
    if df.empty:
        st.info(v.tr("table.empty"))
        return
    st.dataframe(df, hide_index=True, width="stretch", column_config=column_config)
    download_csv(v.tr("download"), df if download is None else download,
                 f"{name}_{v.community}_{v.period.isoformat()}.csv", key=f"dl_{name}")


def download_csv(label: str, df: pd.DataFrame, file_name: str, key: str | None = None) -> None:
    """The one way a page offers a CSV: formula-safe cells, numbers as numbers (see export.py)."""
    st.download_button(label, csv_bytes(df), file_name=file_name, mime="text/csv", key=key)
