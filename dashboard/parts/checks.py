"""What the weekly and monthly check pages share, in the order the meeting runs: the numbers with their
change against the period before (and a year ago), 需要关注 (the alerts), 整改事项 (last week's items and
new ones), the sheet and briefs to take away, then the details: the follow-up lists (the first LONG_ROWS
rows, the rest one tap away and in the download), the noise-rule chart and the alert rules. Each page's
own details are in dashboard/screens/weekly.py and monthly.py."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.parts import actions_panel, alert_rules_editor, brief_buttons, ui
from dashboard.sidebar import View
from pipelines.metrics import feed_of
from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.present.alerts import REPEAT_COMPLAINTS
from pipelines.present.check_sheet import Section, check_sheet
from pipelines.present.checklists import BY_GRAIN
from pipelines.present.coverage import behind_text, not_imported
from pipelines.present.export import file_stem
from pipelines.present.i18n import METRIC_KIND, label, metric_help, metric_name
from pipelines.present.periods import data_end_text

# a list longer than this shows its first rows and keeps the rest behind one tap (a 116-row overdue list
# once stood between the numbers and the action items)
LONG_ROWS = 10
# the printable sheet ends with these lines to sign
SIGNATURE = {"zh": ["检查人", "治理小组组长", "日期"], "en": ["Checked by", "Group lead", "Date"]}


def value_of(values: dict, m: str) -> float | None:
    return None if fmt.is_missing(values.get(m)) else float(values[m])


def _change(now: dict, before: dict, m: str) -> float | None:
    a, b = value_of(now, m), value_of(before, m)
    return None if a is None or b is None else a - b


def _absent(v: View, m: str, start: dt.date | None) -> bool:
    """The metric's feed is not brought up to that period (SPEC §6): 未导入 there, not 0 and no change."""
    return start is not None and v.feed_missing(feed_of(m), start)


def _of(v: View, values: dict | None, m: str, start: dt.date | None) -> dict:
    """`values` without the metric where its feed is not imported to `start` (a kpi 0 is not a number)."""
    return {} if values is None or _absent(v, m, start) else values


def not_imported_note(v: View, m: str) -> str:
    """Why a metric reads 未导入 in the chosen period: its feed and the day that feed's data runs to."""
    feed = feed_of(m)
    end = dict(v.behind_feeds()).get(feed)
    return (v.tr("tile.not_imported_help", feed=label("kind", feed, v.lang), end=fmt.date(end, v.lang))
            if end is not None else v.tr("tile.never_imported_help", feed=label("kind", feed, v.lang)))


def not_imported_caption(v: View, metrics: list[str]) -> str:
    """未导入 in the numbers says what; this says which feeds and the day each one's data runs to ("" if none)."""
    behind = not_imported(metrics, v.behind_feeds(), v.missing.get(v.period, ()))
    return v.tr("check.not_imported", feeds=behind_text(behind, v.lang)) if behind else ""


def numbers(v: View, metrics: list[str], now: dict, before: dict, year_ago: dict | None = None,
            rules: dict | None = None, ago: dt.date | None = None) -> pd.DataFrame:
    """The check sheet as numbers (a rate as 0.75, money in yuan), which is what a spreadsheet can add up.
    A metric whose feed is not imported to a period has no number there (an empty cell, never 0) and no
    change; the note column says 未导入 and why."""
    cur = {m: _of(v, now, m, v.period) for m in metrics}
    prev = {m: _of(v, before, m, v.previous) for m in metrics}
    cols = {
        v.tr("col.metric"): [metric_name(m, v.lang) for m in metrics],
        v.tr("col.unit"): [v.tr(f"unit.{METRIC_KIND[m][0]}") for m in metrics],
        v.tr("col.value"): pd.array([value_of(cur[m], m) for m in metrics], dtype="Float64"),
        v.tr("col.previous"): pd.array([value_of(prev[m], m) for m in metrics], dtype="Float64"),
        v.tr("col.change"): pd.array([_change(cur[m], prev[m], m) for m in metrics], dtype="Float64"),
    }
    if year_ago is not None:
        ya = {m: _of(v, year_ago, m, ago) for m in metrics}
        cols[v.tr("col.year_ago")] = pd.array([value_of(ya[m], m) for m in metrics], dtype="Float64")
        cols[v.tr("col.change_year")] = pd.array([_change(cur[m], ya[m], m) for m in metrics], dtype="Float64")
    cols[v.tr("col.note")] = [f"{v.tr('tile.not_imported')}：{not_imported_note(v, m)}" if _absent(v, m, v.period)
                              else "" for m in metrics]
    cols[v.tr("col.definition")] = [metric_help(m, v.lang, rules) for m in metrics]
    return pd.DataFrame(cols)


def shown_numbers(v: View, metrics: list[str], now: dict, before: dict, year_ago: dict | None = None,
                  rules: dict | None = None, ago: dt.date | None = None) -> pd.DataFrame:
    """The numbers as the page and the printed sheet show them: 未导入 where the feed is not brought up to
    the period (never 0), and then no change; a previous period not imported is 未导入 too."""
    gone = v.tr("tile.not_imported")

    def shown(m: str, values: dict | None, start: dt.date | None) -> str:
        return gone if _absent(v, m, start) else fmt.shown(m, (values or {}).get(m), v.lang)

    def change(m: str, other: dict | None, start: dt.date | None) -> str:
        if _absent(v, m, v.period) or _absent(v, m, start):
            return "—"
        return fmt.delta(m, now.get(m), (other or {}).get(m), v.lang) or "—"

    cols = {
        v.tr("col.metric"): [metric_name(m, v.lang) for m in metrics],
        v.tr("col.value"): [shown(m, now, v.period) for m in metrics],
        v.tr("col.previous"): [shown(m, before, v.previous) for m in metrics],
        v.tr("col.change"): [change(m, before, v.previous) for m in metrics],
    }
    if year_ago is not None:
        cols[v.tr("col.year_ago")] = [shown(m, year_ago, ago) for m in metrics]
        cols[v.tr("col.change_year")] = [change(m, year_ago, ago) for m in metrics]
    cols[v.tr("col.definition")] = [metric_help(m, v.lang, rules) for m in metrics]
    return pd.DataFrame(cols)


def followup_tables(v: View) -> list[tuple[Section, pd.DataFrame | None]]:
    """The repeat buildings and the complaints still open, each as shown and (where they differ) as numbers."""
    out = []
    buildings = q.noise_buildings(v.snap, v.scope, v.community, v.grain, v.period)
    repeat = buildings[buildings["complaints"] >= REPEAT_COMPLAINTS]   # as the alert and the metric count them
    cols = {"name": v.tr("col.building_name"), "building_id": v.tr("col.building_id"),
            "complaints": v.tr("col.complaints"), "outside_hours": v.tr("col.outside_hours")}
    out.append((Section(v.tr("check.h.repeat"), repeat[list(cols)].rename(columns=cols),
                        {cols["complaints"], cols["outside_hours"]}, v.tr("check.none.repeat")), None))
    open_list = q.followup_complaints(v.snap, v.scope, v.community, v.period_end)
    shown = pd.DataFrame({
        v.tr("col.complaint_id"): open_list["complaint_id"],
        v.tr("col.category"): [label("category", c, v.lang) for c in open_list["category"]],
        v.tr("col.building_name"): ["—" if fmt.is_missing(b) else b for b in open_list["building_name"]],
        v.tr("col.source"): [label("source", s, v.lang) if not fmt.is_missing(s) else "—" for s in open_list["source"]],
        v.tr("col.received_at"): [fmt.datetime(pd.Timestamp(x).to_pydatetime(), v.lang) for x in open_list["received_at"]],
        v.tr("col.open_days"): [fmt.number(d, v.lang, 1) for d in open_list["open_days"]],
    })
    # the download keeps the time received as a time and the days open as a number
    raw = shown.assign(**{v.tr("col.received_at"): pd.to_datetime(open_list["received_at"]).values,
                          v.tr("col.open_days"): pd.to_numeric(open_list["open_days"]).values})
    out.append((Section(v.tr("check.h.open"), shown, {v.tr("col.open_days")}, v.tr("check.none.open")), raw))
    return out


def show(v: View, section: Section, name: str, download: pd.DataFrame | None = None) -> None:
    """A detail list: whole when short; else its first LONG_ROWS rows, the rest in one expander, and every
    row in the download."""
    st.subheader(section.title)
    if section.table.empty:
        st.success(section.empty_note)
        return
    table = section.table
    if len(table) <= LONG_ROWS:
        ui.table(v, table, name, download=download, full=True, what=short_title(section.title))
        return
    _static(v, table.head(LONG_ROWS))
    with st.expander(v.tr("check.more_rows", n=fmt.number(len(table) - LONG_ROWS, v.lang),
                          total=fmt.number(len(table), v.lang))):
        _static(v, table.iloc[LONG_ROWS:])
    ui.download_csv(v.tr("download"), table if download is None else download,
                    ui.csv_name(v, short_title(section.title)), key=f"dl_{name}")


def short_title(title: str) -> str:
    """超时包裹清单 of 超时包裹清单（116 件）: a file name says what the list is, not its count or its rule."""
    return re.split(r"[（(]", title, maxsplit=1)[0].strip() or title


def _static(v: View, df: pd.DataFrame) -> None:
    # as ui.table(full=True) draws it: st.table renders Markdown, so imported names are escaped
    st.table(ui.readable(v, df).rename(columns=fmt.plain).map(lambda x: fmt.plain(x) if isinstance(x, str) else x),
             hide_index=True)


def noise_rule_chart(v: View, periods: int = 13) -> None:
    """时段外噪音投诉 over the recent periods, with the day the window rule took effect marked."""
    start, end = v.window(periods)
    s = q.kpi_series(v.snap, v.scope, v.community, v.grain, start, end)
    s = ui.with_period_labels(v, s[s["metric"] == "complaints.noise_outside_hours"].dropna(subset=["value"]))
    adopted = q.rule_dates(v.snap, v.scope, v.community).get("window")
    rules = q.rules(v.snap, v.scope, v.community)
    window = f"{rules['window_start']:%H:%M}–{rules['window_end']:%H:%M}"
    mark_at = None
    if adopted is not None:
        holding = [p for p in v.periods if p <= adopted]
        mark_at = fmt.period_short(v.grain, holding[-1], v.lang) if holding else None
    ui.chart(v, ui.once(charts.marked_line)(s, "period_label", "value", v.tr("chart.period"),
                                            metric_name("complaints.noise_outside_hours", v.lang), "period_start",
                                            mark_at, v.tr("rule.mark", window=window)), not s.empty)
    if adopted is None:
        st.caption(v.tr("rule.no_date", window=window))
    elif mark_at is None or mark_at not in set(s["period_label"]):
        st.caption(v.tr("rule.before_chart", window=window, date=fmt.date(adopted, v.lang)))
    else:
        st.caption(v.tr("rule.since", window=window, date=fmt.date(adopted, v.lang)))




def opening(grain: str, page_key: str) -> tuple[View, dict, dict, pd.DataFrame, dict]:
    """Title and what the check is for; the period's values, the previous period's, the trend, the rules."""
    v = ui.page_view()   # the sidebar already shows this page's grain (see app.py)
    if v is None:
        st.stop()
    ui.header(v, page_key)
    st.write(v.tr(f"check.intro.{grain}"))
    now, before, series = ui.period_values(v)
    return v, now, before, series, q.rules(v.snap, v.scope, v.community)


@dataclass
class Meeting:
    """What the top of a check page leaves for its end: the alerts, the numbers as the sheet prints them,
    and the place the sheet and briefs go (above the details, filled once the details are known)."""
    found: list
    sheet: pd.DataFrame
    files: object
    note: str = ""     # which feeds the numbers' 未导入 stand for, and the day each runs to


def meeting(v: View, now: dict, before: dict, rules: dict, year_ago: dict | None = None,
            ago: dt.date | None = None) -> Meeting:
    """The meeting's part of a check page, in its order: the numbers with their change, 需要关注, 整改事项
    (last week's and new), the place for the sheet and briefs; then the heading the details go under."""
    metrics = BY_GRAIN[v.grain]
    st.subheader(v.tr("check.h.numbers"))
    if ago is not None:
        st.caption(v.tr("check.year_ago_is", period=v.label(ago)))
    sheet = shown_numbers(v, metrics, now, before, year_ago, rules, ago)
    definition = v.tr("col.definition")
    # the definitions make every row three lines tall on a phone: one tap away here, whole in the sheet and CSV
    ui.table(v, sheet.drop(columns=[definition]), f"check_{v.grain}",
             download=numbers(v, metrics, now, before, year_ago, rules, ago), full=True,
             what=v.tr("check.h.numbers"))
    note = not_imported_caption(v, metrics)
    if note:
        st.caption(note)
    with st.expander(v.tr("check.definitions"), icon=":material/help_outline:"):
        st.markdown("\n".join(f"- **{fmt.plain(m)}**：{fmt.plain(d)}" if v.lang == "zh" else
                               f"- **{fmt.plain(m)}**: {fmt.plain(d)}"
                               for m, d in zip(sheet[v.tr("col.metric")], sheet[definition])))
    found = ui.alert_box(v, now, before)
    actions_panel.actions_panel(v, found)   # 整改事项 (SPEC §8): last week's, each item's status, new ones
    files = st.container()
    st.header(v.tr("check.h.details"))
    return Meeting(found, sheet, files, note)


def closing(v: View, page_key: str, met: Meeting, sections: list[Section]) -> None:
    """After the details: the alert rules; above them, in the place `meeting` kept, the sheet and briefs."""
    alert_rules_editor.editor(v)
    title = f"{v.community_name} · {v.tr(page_key)}"
    quiet = (("warning", v.tr("alerts.none_partial", end=data_end_text(v.data_end, v.lang)))
             if v.partial and v.data_end else ("ok", v.tr("alerts.none")))
    numeric = {v.tr("col.value"), v.tr("col.previous"), v.tr("col.change"), v.tr("col.year_ago"),
               v.tr("col.change_year")}
    page = check_sheet(title, v.label(), v.tr("alerts.title"), [(a.level, a.text) for a in met.found] or [quiet],
                       sections, SIGNATURE[v.lang],
                       first=[Section(v.tr("check.h.numbers"), met.sheet, numeric, v.tr("table.empty"), met.note)])
    with met.files:
        brief_buttons.render(v)   # the meeting brief: xlsx, PDF, PNG share card (pipelines/reports)
        st.download_button(v.tr("download.report"), page.encode("utf-8"), mime="text/html",
                           file_name=file_stem(v.community_name, v.grain, v.period, v.tr(page_key), v.lang) + ".html",
                           key=f"report_{v.grain}")
        st.html(f"<p class='linli-print-hint'>{v.tr('check.print_hint')}</p>")
