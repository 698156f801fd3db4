"""Page pieces every page shares: header, metric tiles, alerts, tables with a download button."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.sidebar import View, current
from pipelines.feeds import FEEDS
from pipelines.metrics import feed_of
from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.present.alerts import Context, alerts, context_from, stale_from_freshness
from pipelines.present.coverage import behind_text
from pipelines.present.export import csv_bytes, file_stem
from pipelines.present.i18n import METRIC_KIND, label, metric_help, metric_name, t
from pipelines.present.periods import data_end_text

TREND_PERIODS = 12
FEED_ORDER = [kind for kind, feed in FEEDS.items() if feed.is_event]   # the feed registry's order
FIT_ROWS, ROW_PX = 25, 35   # st.dataframe's row height; longer lists scroll inside the page
# Up to this many rows a table is static and wraps its cells: st.dataframe is a canvas grid that cannot
# wrap, and at 390 px it hid every column past the third behind a sideways scroll.
WRAP_ROWS = 120   # a busy week's overdue list (116 in the 双11 week) stays whole
NUMBER_UNIT = re.compile(r"(\d) (?=\S)")


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
    freshness(v)
    partial_note(v)


def freshness(v: View) -> None:
    """How recent each feed's data is: one short line (the days the feeds run to), each feed's latest
    event and last import behind one tap (SPEC §6). Written out, the list took a whole phone screen."""
    fresh = q.feed_freshness(v.snap, v.scope, v.community)
    if fresh.empty:
        return
    def when(ts) -> str:   # a feed of dates (training, jobs) has no time of day worth showing
        if fmt.is_missing(ts):
            return "—"
        ts = pd.Timestamp(ts).to_pydatetime()
        return fmt.date(ts, v.lang) if ts.time() == dt.time() else fmt.datetime(ts, v.lang)

    fresh = fresh.assign(order=[FEED_ORDER.index(f) if f in FEED_ORDER else 99 for f in fresh["feed"]]).sort_values("order")
    parts = [v.tr("fresh.feed", feed=label("kind", r.feed, v.lang), latest=when(r.latest_event),
                  imported=fmt.date(None if fmt.is_missing(r.last_import) else pd.Timestamp(r.last_import), v.lang))
             for r in fresh.itertuples(index=False)]
    days = sorted({pd.Timestamp(x).date() for x in fresh["latest_event"] if not fmt.is_missing(x)})
    span = "—" if not days else fmt.day_short(days[0], v.lang) if len(days) == 1 else \
        f"{fmt.day_short(days[0], v.lang)}–{fmt.day_short(days[-1], v.lang)}"
    with st.expander(v.tr("fresh.short", span=span, n=len(parts)), icon=":material/update:"):
        st.caption(v.tr("fresh.sep").join(parts))


def partial_note(v: View) -> None:
    """A partial period says so: which feeds are not yet brought up to it and the day each runs to (SPEC §6,
    from the coverage table), else the day the community's data runs to, and what it is compared with."""
    if v.behind_feeds():
        st.warning(v.tr("partial.feeds", period=fmt.period(v.grain, v.period, v.lang),
                        feeds=behind_text(v.behind_feeds(), v.lang)), icon=":material/hourglass_top:")
        return
    if not v.partial or v.data_end is None:
        return
    before = v.tr("partial.previous", previous=v.label(v.previous)) if v.previous else ""
    st.warning(v.tr("partial.note", period=fmt.period(v.grain, v.period, v.lang),
                    end=data_end_text(v.data_end, v.lang)) + before, icon=":material/hourglass_top:")


def period_values(v: View) -> tuple[dict, dict, pd.DataFrame]:
    """This period's kpi values, the previous period's, and the recent series (long)."""
    start, end = v.window(TREND_PERIODS)
    series = q.kpi_series(v.snap, v.scope, v.community, v.grain, start, end)
    series["period_start"] = pd.to_datetime(series["period_start"]).dt.date
    # a feed not yet brought up to a period has no numbers there (SPEC §6): not 0, no change, no dip in a trend
    series = series[[not v.feed_missing(feed_of(m), p) for m, p in zip(series["metric"], series["period_start"])]]
    now = dict(series.loc[series["period_start"] == v.period, ["metric", "value"]].values)
    before = dict(series.loc[series["period_start"] == v.previous, ["metric", "value"]].values) if v.previous else {}
    return now, before, series


def topic_rows(metrics: list[str], columns: int) -> list[list[str]]:
    """The tiles in rows of up to `columns`, a topic (orders, parcels, ...) never split over two rows
    when it fits in one: on a phone each row wraps to two a row, so a topic stays together there too."""
    rows: list[list[str]] = []
    for metric in metrics:
        topic = metric.split(".")[0]
        last = rows[-1] if rows else None
        same = last is not None and last[-1].split(".")[0] == topic
        rest = sum(1 for m in metrics if m.split(".")[0] == topic) - (sum(1 for m in last if m.split(".")[0] == topic)
                                                                     if same else 0)
        if last is not None and len(last) < columns and (same or len(last) + rest <= columns):
            last.append(metric)
        else:
            rows.append([metric])
    return rows


def tiles(v: View, metrics: list[str], now: dict, before: dict, series: pd.DataFrame, columns: int = 4) -> None:
    """The period's numbers as tiles. Row by row (Streamlit stacks columns on a phone, so tiles placed
    column by column read 订单数, 超时包裹, 参与人数 there); style.py makes them compact, two a row."""
    rules = q.rules(v.snap, v.scope, v.community)   # definitions name the community's own window and limit
    with st.container(key=f"linli_tiles_{'_'.join(m.split('.')[0] for m in metrics[:1])}_{len(metrics)}"):
        for row in topic_rows(metrics, columns):
            cols = st.columns(columns)
            for col, metric in zip(cols, row):
                with col:
                    tile(v, metric, now, before, series, rules)


def tile(v: View, metric: str, now: dict, before: dict, series: pd.DataFrame, rules: dict) -> None:
    good = METRIC_KIND[metric][1]
    trend = series.loc[series["metric"] == metric, "value"]
    if v.feed_missing(feed_of(metric)):
        not_imported(v, metric, trend)
        return
    delta = fmt.delta(metric, now.get(metric), before.get(metric), v.lang)
    unchanged = fmt.unchanged(metric, now.get(metric), before.get(metric))   # no arrow for no change
    # a partial period beside a complete one says so on the change itself; with per-feed coverage a shown
    # change is between two periods its feed has complete, so it needs no such word
    note = v.tr("delta.partial") if delta is not None and v.partial and not v.missing else None
    st.metric(metric_name(metric, v.lang), fmt.shown(metric, now.get(metric), v.lang),
              delta=delta, delta_arrow="off" if unchanged else "auto",
              delta_color="off" if unchanged else {1: "normal", -1: "inverse", 0: "off"}[good],
              help=metric_help(metric, v.lang, rules), border=True, delta_description=note,
              chart_data=[0.0 if pd.isna(x) else float(x) for x in trend], chart_type="line")


def not_imported(v: View, metric: str, trend: pd.Series) -> None:
    """A tile whose feed is not yet brought up to the period: 未导入, naming the feed and the day its data runs
    to; no change, and the trend of the periods it has (never a fall to 0)."""
    feed = feed_of(metric)
    end = dict(v.behind_feeds()).get(feed)
    help_text = (v.tr("tile.not_imported_help", feed=label("kind", feed, v.lang), end=fmt.date(end, v.lang))
                 if end is not None else v.tr("tile.never_imported_help", feed=label("kind", feed, v.lang)))
    st.metric(metric_name(metric, v.lang), v.tr("tile.not_imported"), help=help_text, border=True,
              chart_data=[float(x) for x in trend if not pd.isna(x)], chart_type="line")


@dataclass(frozen=True)
class Drawing:
    """A chart not built yet: a function of pipelines/present/charts.py and its arguments (`once`)."""
    make: Callable
    args: tuple
    kwargs: dict


def once(make: Callable) -> Callable[..., Drawing]:
    """`make` called by `chart` only once per arguments: ui.chart(v, ui.once(charts.bars)(df, ...), has_data). Building
    an Altair chart and Streamlit's check of it against the Vega-Lite schema take 20–150 ms a chart, at every rerun."""
    return lambda *args, **kwargs: Drawing(make, args, kwargs)


def chart(v: View, figure: Drawing, has_data: bool) -> None:
    """A chart, or a plain note where the period has nothing to draw (never an empty frame). Its Vega-Lite spec is
    made once per arguments (`once`) and drawn from the cache after."""
    if has_data:
        make = figure.make
        st.vega_lite_chart(spec=_spec(f"{make.__module__}.{make.__qualname__}", figure.args, figure.kwargs, make),
                           width="stretch")
    else:
        st.info(v.tr("chart.empty"))


@st.cache_data(max_entries=256, show_spinner=False)
def _spec(name: str, args: tuple, kwargs: dict, _make: Callable) -> dict:
    """The spec st.altair_chart draws of _make(*args, **kwargs) (its data as Arrow bytes, st.vega_lite_chart takes
    them as they are): the same element, without building the chart again. Keyed by the function's name (Streamlit
    hashes no function) and the arguments."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec
    return _convert_altair_to_vega_lite_spec(_make(*args, **kwargs))


def trend(v: View, series: pd.DataFrame, metrics: list[str], y_format: str = ",.0f", y_title: str | None = None) -> None:
    """Lines of some kpi metrics over the recent periods, one line per metric, named in the UI language.
    Metrics on one chart share one axis, so they share one unit, named by `y_title`."""
    df = with_period_labels(v, series[series["metric"].isin(metrics)].dropna(subset=["value"]))
    df["series"] = [metric_name(m, v.lang) for m in df["metric"]]
    feeds = {feed_of(m) for m in metrics}
    if df.empty and len(feeds) == 1 and v.feed_missing(next(iter(feeds))):   # never imported: not "nothing to draw"
        st.info(v.tr("feed.not_imported", feed=label("kind", next(iter(feeds)), v.lang)))
        return
    chart(v, once(charts.lines)(df, "period_label", "value", "series", v.tr("chart.period"),
                                y_title or v.tr("chart.value"), v.tr("chart.series"), y_format=y_format,
                                order="period_start"), not df.empty)


def with_period_labels(v: View, df: pd.DataFrame) -> pd.DataFrame:
    """Adds the short period label charts put on their x axis (and keeps period_start to sort by)."""
    out = df.copy()
    out["period_start"] = pd.to_datetime(out["period_start"])
    out["period_label"] = [fmt.period_short(v.grain, d.date(), v.lang) for d in out["period_start"]]
    return out


def alert_context(v: View) -> Context:
    """What the alerts need beyond kpi: each point's peak, each building's noise complaints, the overdue
    list, and which feeds stop short of the period (a stale feed is not a quiet period)."""
    stale = stale_from_freshness(q.feed_freshness(v.snap, v.scope, v.community), v.grain, v.period,
                                 v.period_end, v.data_end)
    return context_from(q.point_peaks(v.snap, v.scope, v.community, v.grain, v.period),
                        q.noise_buildings(v.snap, v.scope, v.community, v.grain, v.period),
                        q.overdue_list(v.snap, v.scope, v.community, v.period, v.period_end), stale)


def community_alert_rules(v: View) -> list | None:
    """The community's alert rules; None (and a note) while the store is busy, then the defaults apply."""
    found = q.alert_rules(v.snap, v.scope, v.community)
    if found is None:
        st.caption(v.tr("alerts.rules_busy"))
    return found


def period_alerts(v: View, now: dict, before: dict):
    return alerts(now, before, q.rules(v.snap, v.scope, v.community), v.lang, alert_context(v),
                  community_alert_rules(v))


def alert_box(v: View, now: dict, before: dict, only: set[str] | None = None, found: list | None = None) -> list:
    """The period's alerts under a heading (or a reassurance that there are none); returns them."""
    st.subheader(v.tr("alerts.title"))
    found = [a for a in (period_alerts(v, now, before) if found is None else found) if only is None or a.metric in only]
    if not found and v.behind_feeds():   # a quiet partial period is not a quiet period: say which feeds lag
        st.info(v.tr("alerts.none_behind", feeds=behind_text(v.behind_feeds(), v.lang)))
    elif not found and v.partial:
        st.info(v.tr("alerts.none_partial", end=data_end_text(v.data_end, v.lang)
                                         if v.data_end else "—"))
    elif not found:
        st.success(v.tr("alerts.none"))
    for a in found:
        (st.error if a.level == "error" else st.warning)(a.markdown)
    return found


def table(v: View, df: pd.DataFrame, name: str, column_config: dict | None = None,
          download: pd.DataFrame | None = None, full: bool = False, wrap: bool = False,
          what: str | None = None) -> None:
    """A table and its CSV download; `download` holds the same rows as numbers where `df` shows "1.01万".
    A table without rows is a note (Streamlit would draw an empty grid saying "empty").
    `full`: every row and every word, no scroll box (check pages, and what Ctrl+P prints).
    `wrap`: the same for a table of up to WRAP_ROWS rows (the data pages, read on phones); a longer one
    keeps the grid, which can sort and scroll.
    `what`: what the download holds, for its file name (else the catalog's file.<name>, else `name`)."""
    if df.empty:
        st.info(v.tr("table.empty"))
        return
    if full or wrap and len(df) <= WRAP_ROWS:
        # st.table renders Markdown in every cell: names and ids from imported files are escaped to show as typed
        st.table(readable(v, df).rename(columns=fmt.plain).map(lambda x: whole(fmt.plain(x)) if isinstance(x, str) else x),
                 hide_index=True)
    else:   # tall enough for every row up to a screenful; a scroll box only for long lists
        st.dataframe(df, hide_index=True, width="stretch", column_config=column_config,
                     height=min(FIT_ROWS, len(df) + 1) * ROW_PX + 3)
    download_csv(v.tr("download"), df if download is None else download, csv_name(v, what or file_what(v, name)),
                 key=f"dl_{name}")


def file_what(v: View, name: str) -> str:
    """What a table's download holds, in the UI language (file.<name> in the catalogs), else `name` as given."""
    try:
        return v.tr(f"file.{name}")
    except KeyError:
        return name


def csv_name(v: View, what: str) -> str:
    """A3社区_2026年第48周_超时包裹清单.csv: the community, the period and what it holds, so a file forwarded
    to a chat says what it is (check_week_A_2026-11-23.csv said none of it to a reader of Chinese)."""
    return file_stem(v.community_name, v.grain, v.period, what, v.lang) + ".csv"


def whole(text: str) -> str:
    """A number and its unit held together ("167.2 小时" never breaks between them); style.py keeps
    Chinese words whole, so a cell breaks only where a reader would."""
    return NUMBER_UNIT.sub("\\1\u00a0", text)


def readable(v: View, df: pd.DataFrame) -> pd.DataFrame:
    """Cells as a reader takes them where st.table would print the raw value: 1,234 not 1234.000000,
    是/否 not True/False, — for a missing value. Text columns are left as the page wrote them."""
    out = df.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if pd.api.types.is_bool_dtype(column):
            out.isetitem(i, [v.tr("yes") if x else v.tr("no") for x in column])
        elif pd.api.types.is_float_dtype(column):   # whole numbers print as they are
            whole = bool((column.dropna() == column.dropna().round()).all())
            out.isetitem(i, [fmt.number(x, v.lang, 0 if whole else 1) for x in column])
    return out


def download_csv(label: str, df: pd.DataFrame, file_name: str, key: str | None = None) -> None:
    """The one way a page offers a CSV: formula-safe cells, numbers as numbers (see export.py)."""
    st.download_button(label, csv_bytes(df), file_name=file_name, mime="text/csv", key=key)
