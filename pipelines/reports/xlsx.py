"""The brief as a workbook: a sheet per section, Chinese headers, numbers as numbers, no formulas.

Rates are stored as shares (0.25) with a percent format, so a spreadsheet shows 25.0% and still adds
them up; every text cell goes through export.neutralise, as the CSV downloads do.
"""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipelines.present import format as fmt
from pipelines.present.export import neutralise
from pipelines.present.i18n import METRIC_KIND, label, metric_name
from pipelines.reports.brief import Brief, Table
from pipelines.reports.street import measure_name, measure_text, order_text, shown_number

FORMATS = {"count": "#,##0", "yuan": "#,##0.00", "rate": "0.0%", "hours": "0.0", "per1k": "0.00"}
CHANGE_FORMATS = {"count": "+#,##0;-#,##0;0", "yuan": "+#,##0.00;-#,##0.00;0.00", "rate": "+0.0%;-0.0%;0.0%",
                  "hours": "+0.0;-0.0;0.0", "per1k": "+0.00;-0.00;0.00"}
# the street sheet rounds sums of money to whole yuan, as its page shows them (¥9.34万, never cents)
STREET_FORMATS = {"yuan": "#,##0"}
HEAD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="F3F6F9")


def workbook_bytes(brief: Brief) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _summary(wb, brief)
    _alerts(wb, brief)
    for table in (brief.actions, brief.cases, *brief.details):
        _table(wb, table, brief)
    _report(wb, brief)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _report(wb: Workbook, brief: Brief) -> None:
    """The report to the street office, a paragraph a row (saved, else drafted)."""
    if not brief.report:
        return
    ws = _sheet(wb, brief.tr("brief.sheet.report"))
    for i, para in enumerate((p for p in brief.report.split("\n\n") if p.strip()), start=1):
        c = ws.cell(row=i, column=1, value=neutralise(para))
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 100


def _cell(value):
    """A value as openpyxl should store it: numbers as numbers, missing as empty, text neutralised."""
    if fmt.is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (bool, int, float, dt.date, dt.datetime)):
        return value
    if hasattr(value, "item"):   # numpy scalars
        return value.item()
    return neutralise(str(value))


def _metric(key: str, lang: str) -> str:
    """An alert's metric by name; a stale-feed alert names a feed, which has none."""
    return metric_name(key, lang) if key in METRIC_KIND else ""


def _sheet(wb: Workbook, title: str):
    ws = wb.create_sheet(title[:31])
    return ws


def _header(ws, row: int, names: list[str]) -> None:
    for j, name in enumerate(names, start=1):
        c = ws.cell(row=row, column=j, value=neutralise(name))
        c.font, c.fill = HEAD, HEAD_FILL
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _widths(ws, minimum: int = 8, maximum: int = 60) -> None:
    """Columns wide enough for their text (a Chinese character takes two widths)."""
    for column in ws.columns:
        longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(c.value)) for c in column if c.value is not None),
                      default=0)
        ws.column_dimensions[get_column_letter(column[0].column)].width = max(minimum, min(maximum, longest + 2))


def _summary(wb: Workbook, brief: Brief) -> None:
    ws = _sheet(wb, brief.tr("brief.sheet.summary"))
    ws.cell(row=1, column=1, value=neutralise(brief.title)).font = Font(bold=True, size=14)
    meta = [("brief.meta.period", brief.label), ("brief.meta.previous", brief.previous_label or "—"),
            ("brief.meta.built", fmt.datetime(brief.built_at, brief.lang) if brief.built_at else "—")]
    for i, (key, text) in enumerate(meta, start=2):
        ws.cell(row=i, column=1, value=brief.tr(key))
        ws.cell(row=i, column=2, value=neutralise(text))
    row = len(meta) + 2
    for note in brief.notes:
        ws.cell(row=row, column=1, value=neutralise(note))
        row += 1
    row += 1
    _header(ws, row, [brief.tr("col.metric"), brief.tr("col.unit"), brief.tr("col.value"), brief.tr("col.previous"),
                      brief.tr("col.change"), brief.tr("brief.col.metric_key")])
    for h in brief.headlines:
        row += 1
        # 未导入 as text where the feed is not imported (an empty cell read as "nothing happened"); no change
        values = [h.name, brief.tr(f"unit.{h.kind}"), h.shown(brief.lang) if h.not_imported else h.value,
                  h.previous, h.change, h.metric]
        for j, v in enumerate(values, start=1):
            c = ws.cell(row=row, column=j, value=_cell(v))
            if j == 3 and h.not_imported:
                c.alignment = Alignment(horizontal="right")
            elif j in (3, 4):
                c.number_format = FORMATS.get(h.kind, "General")
            elif j == 5:
                c.number_format = CHANGE_FORMATS.get(h.kind, "General")
    _widths(ws)
    ws.column_dimensions["A"].width = 24


def _alerts(wb: Workbook, brief: Brief) -> None:
    ws = _sheet(wb, brief.tr("brief.sheet.alerts"))
    _header(ws, 1, [brief.tr("brief.col.level"), brief.tr("brief.col.alert"), brief.tr("col.metric"),
                    brief.tr("brief.col.metric_key")])
    if not brief.alerts:
        ws.cell(row=2, column=2, value=brief.tr("brief.no_alerts_partial" if brief.partial else "brief.no_alerts"))
    for i, a in enumerate(brief.alerts, start=2):
        for j, v in enumerate([label("alert_rules.level", a.level, brief.lang), a.text, _metric(a.metric, brief.lang),
                               a.metric], start=1):
            c = ws.cell(row=i, column=j, value=_cell(v))
            c.alignment = Alignment(wrap_text=j == 2, vertical="top")
    _widths(ws)
    ws.column_dimensions["B"].width = 80


def _table(wb: Workbook, table: Table, brief: Brief) -> None:
    ws = _sheet(wb, table.title)
    df = table.frame
    _header(ws, 1, [str(c) for c in df.columns])
    for i, record in enumerate(df.itertuples(index=False), start=2):
        for j, (name, v) in enumerate(zip(df.columns, record), start=1):
            c = ws.cell(row=i, column=j, value=_cell(v))
            if name in table.rates:
                c.number_format = "0.0%"
            elif isinstance(c.value, dt.datetime):
                c.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(c.value, dt.date):
                c.number_format = "yyyy-mm-dd"
    if df.empty:
        ws.cell(row=2, column=1, value=brief.tr("brief.no_actions" if table is brief.actions else
                                                "brief.no_cases" if table is brief.cases else "table.empty"))
    _widths(ws)


def street_workbook_bytes(view) -> bytes:
    """The street comparison (pipelines/reports/street.py StreetView): the ranked table with its numbers
    rounded as the page shows them, each community's alerts, and the measure's recent trend."""
    wb = Workbook()
    wb.remove(wb.active)
    ws = _sheet(wb, view.tr("street.brief.sheet"))
    ws.cell(row=1, column=1, value=neutralise(view.title)).font = Font(bold=True, size=14)
    lines = [(view.tr("brief.meta.period"), view.label),
             (view.tr("street.brief.measure"), measure_text(view.measure, view.lang)),
             ("", order_text(view.measure, view.lang) + (" " + view.tr("street.order.partial") if view.behind else "")),
             (view.tr("brief.meta.built"), fmt.datetime(view.built_at, view.lang) if view.built_at else "—")]
    lines += [("", line) for line in view.behind_lines()]
    for i, (key, text) in enumerate(lines, start=2):
        ws.cell(row=i, column=1, value=neutralise(key) or None)
        ws.cell(row=i, column=2, value=neutralise(text))
    top = len(lines) + 3
    frame = view.table()
    kinds = view.kinds()
    _header(ws, top, [str(c) for c in frame.columns])
    for i, record in enumerate(frame.itertuples(index=False), start=top + 1):
        for j, (name, v) in enumerate(zip(frame.columns, record), start=1):
            c = ws.cell(row=i, column=j, value=_cell(v))
            if name in kinds:
                formats = CHANGE_FORMATS if name == view.tr("street.col.change") else FORMATS | STREET_FORMATS
                c.number_format = formats.get(kinds[name], "General")
    _widths(ws)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 24

    alerts = _sheet(wb, view.tr("street.brief.sheet_alerts"))
    _header(alerts, 1, [view.tr("col.community"), view.tr("brief.col.level"), view.tr("brief.col.alert")])
    row = 2
    for c, name in zip(view.rows["community_id"], view.rows["name"]):
        for a in view.found.get(c, []):
            for j, v in enumerate([name, label("alert_rules.level", a.level, view.lang), a.text], start=1):
                alerts.cell(row=row, column=j, value=_cell(v)).alignment = Alignment(wrap_text=j == 3, vertical="top")
            row += 1
    if row == 2:
        alerts.cell(row=2, column=3, value=view.tr("street.brief.no_alerts"))
    _widths(alerts)
    alerts.column_dimensions["C"].width = 80

    trend = _sheet(wb, view.tr("street.brief.sheet_trend"))
    wide = view.trend.pivot_table(index="name", columns="period_start", values="value", aggfunc="first")
    wide = wide.reindex([n for n in view.rows["name"] if n in wide.index])
    trend.cell(row=1, column=1, value=neutralise(measure_name(view.measure, view.lang))).font = HEAD
    _header(trend, 2, [view.tr("col.community"), *[fmt.period_short(view.grain, p, view.lang) for p in wide.columns]])
    kind = view.kinds()[view.tr("street.col.change")]
    for i, (name, values) in enumerate(wide.iterrows(), start=3):
        trend.cell(row=i, column=1, value=_cell(name))
        for j, v in enumerate(values, start=2):
            trend.cell(row=i, column=j, value=_cell(shown_number(view.measure, v))).number_format = FORMATS.get(kind, "General")
    _widths(trend)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
