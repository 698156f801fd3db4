"""The brief as one or two A4 pages to print for the meeting: numbers with change, alerts, trends, actions, cases.

fpdf2 embeds a subset of the Chinese font (it reads Noto's OpenType/CFF collection directly), so the
file prints the same on any machine; the charts are PNGs drawn by vl-convert with that same font.
"""
from __future__ import annotations

import datetime as dt
import io

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from pipelines.present import format as fmt
from pipelines.reports.brief import Brief, Headline, Table
from pipelines.reports.charts import chart_pngs
from pipelines.reports.fonts import Font, find

INK, MUTED, RULE, HEAD_FILL = (31, 41, 51), (82, 96, 109), (203, 210, 217), (243, 246, 249)
RED, AMBER, GREEN = (181, 72, 93), (138, 90, 0), (47, 122, 80)
MAX_ALERTS, MAX_ROWS = 8, 10
LEFT = 14


def pdf_bytes(brief: Brief, font: Font | None = None, today: dt.date | None = None) -> bytes:
    font = font or find()
    pdf = _Page(brief, font, today or dt.date.today())
    pdf.add_page()
    _heading(pdf, brief)
    _numbers(pdf, brief)
    _alerts(pdf, brief)
    _charts(pdf, brief, font)
    _records(pdf, brief, brief.tr("brief.h.actions"), brief.actions, brief.tr("brief.no_actions"))
    _records(pdf, brief, brief.tr("brief.h.cases"), brief.cases, brief.tr("brief.no_cases"))
    _report(pdf, brief)
    _signature(pdf, brief)
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


class _Page(FPDF):
    def __init__(self, brief: Brief, font: Font, today: dt.date):
        super().__init__(format="A4")
        self.brief, self.today = brief, today
        self.set_margins(LEFT, 14, LEFT)
        self.set_auto_page_break(True, margin=16)
        self.add_font("cjk", "", str(font.regular.path), collection_font_number=font.regular.index)
        self.add_font("cjk", "B", str(font.bold.path), collection_font_number=font.bold.index)
        self.set_title(brief.title)
        self.set_creator("Linli 邻里治理看板")
        self.set_lang("zh-CN" if brief.lang == "zh" else "en")

    def footer(self):
        self.set_y(-11)
        self.set_font("cjk", "", 8)
        self.set_text_color(*MUTED)
        made = self.brief.tr("brief.meta.made") + " " + fmt.date(self.today, self.brief.lang)
        self.cell(0, 5, f"{self.brief.title} · {self.brief.label} · {made} · {self.page_no()}/{{nb}}", align="C")


def _section(pdf: _Page, title: str) -> None:
    pdf.ln(3)
    pdf.set_font("cjk", "B", 12)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RULE)
    pdf.line(LEFT, pdf.get_y(), pdf.w - LEFT, pdf.get_y())
    pdf.ln(1.5)


def _title(pdf: _Page, title: str, label: str) -> None:
    """A brief's title and its period, then small grey type for the lines that follow."""
    pdf.set_font("cjk", "B", 18)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 9, title, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", "", 12)
    pdf.cell(0, 7, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", "", 9)
    pdf.set_text_color(*MUTED)


def _heading(pdf: _Page, brief: Brief) -> None:
    _title(pdf, brief.title, brief.label)
    parts = [brief.tr("brief.meta.previous") + "：" + (brief.previous_label or "—")]
    if brief.built_at:
        parts.append(brief.tr("brief.meta.built") + " " + fmt.datetime(brief.built_at, brief.lang))
    pdf.cell(0, 5, "　".join(parts), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for note in brief.notes:
        pdf.set_text_color(*AMBER)
        pdf.multi_cell(0, 5, note, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _change_colour(h: Headline):
    change = h.change
    if change is None or fmt.unchanged(h.metric, h.value, h.previous) or h.good == 0:
        return MUTED
    return GREEN if (change > 0) == (h.good > 0) else RED


def _numbers(pdf: _Page, brief: Brief) -> None:
    """The headline numbers in two columns of name · value · change, so 22 of them fit in a third of a page."""
    _section(pdf, brief.tr("brief.h.numbers"))
    rows = list(brief.headlines)
    half = (len(rows) + 1) // 2
    width = (pdf.w - 2 * LEFT - 6) / 2
    top = pdf.get_y()
    for col, chunk in enumerate((rows[:half], rows[half:])):
        x = LEFT + col * (width + 6)
        pdf.set_xy(x, top)
        pdf.set_font("cjk", "B", 8.5)
        pdf.set_fill_color(*HEAD_FILL)
        pdf.set_text_color(*MUTED)
        for text, w, align in ((brief.tr("col.metric"), width * 0.46, "L"), (brief.tr("col.value"), width * 0.26, "R"),
                               (brief.tr("col.change"), width * 0.28, "R")):
            pdf.cell(w, 5.5, text, fill=True, align=align)
        for i, h in enumerate(chunk):
            pdf.set_xy(x, top + 5.5 * (i + 1))
            pdf.set_font("cjk", "", 9)
            pdf.set_text_color(*INK)
            pdf.cell(width * 0.46, 5.5, h.name)
            pdf.set_font("cjk", "B", 9)
            pdf.cell(width * 0.26, 5.5, h.shown(brief.lang), align="R")
            pdf.set_font("cjk", "", 8.5)
            pdf.set_text_color(*_change_colour(h))
            pdf.cell(width * 0.28, 5.5, h.shown_change(brief.lang) or "—", align="R")
        pdf.set_draw_color(*RULE)
        pdf.line(x, top + 5.5 * (len(chunk) + 1), x + width, top + 5.5 * (len(chunk) + 1))
    pdf.set_xy(LEFT, top + 5.5 * (half + 1) + 1)
    pdf.set_text_color(*INK)


def _alerts(pdf: _Page, brief: Brief) -> None:
    _section(pdf, brief.tr("brief.h.alerts"))
    if not brief.alerts:
        pdf.set_font("cjk", "", 10)
        pdf.set_text_color(*(AMBER if brief.partial else GREEN))
        pdf.multi_cell(0, 6, brief.tr("brief.no_alerts_partial" if brief.partial else "brief.no_alerts"),
                       wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    for a in brief.alerts[:MAX_ALERTS]:
        colour = RED if a.level == "error" else AMBER
        pdf.set_fill_color(*colour)
        y = pdf.get_y()
        pdf.rect(LEFT, y + 1.6, 2.2, 2.2, style="F")
        pdf.set_x(LEFT + 4)
        pdf.set_font("cjk", "B" if a.level == "error" else "", 9.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(pdf.w - 2 * LEFT - 4, 5.2, a.text, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if len(brief.alerts) > MAX_ALERTS:
        pdf.set_font("cjk", "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5, brief.tr("brief.card.more", n=len(brief.alerts) - MAX_ALERTS), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _charts(pdf: _Page, brief: Brief, font: Font) -> None:
    drawn = [(title, png) for title, png in chart_pngs(brief, font) if png is not None]
    if not drawn:
        return
    width = (pdf.w - 2 * LEFT - 6) / 2
    height = width * 0.62    # the charts' own proportions (330 × ~205 px with axes and legend)
    if pdf.get_y() + 12 + height > pdf.h - 16:
        pdf.add_page()
    _section(pdf, brief.tr("brief.h.charts"))
    top = pdf.get_y()
    for i, (title, png) in enumerate(drawn[:2]):
        x = LEFT + i * (width + 6)
        pdf.set_xy(x, top)
        pdf.set_font("cjk", "B", 9)
        pdf.set_text_color(*INK)
        pdf.cell(width, 5, title)
        pdf.image(io.BytesIO(png), x=x, y=top + 6, w=width, keep_aspect_ratio=True, h=height)
    pdf.set_xy(LEFT, top + 6 + height + 2)


def _records(pdf: _Page, brief: Brief, title: str, table: Table, empty: str) -> None:
    df = table.frame
    rows = df.head(MAX_ROWS)
    # the heading never stays alone at a page's foot: it goes over with the table's header and first row
    with pdf.offset_rendering() as trial:
        _section(trial, title)
        if not rows.empty:
            _grid(trial, brief, rows.head(1))
    if trial.page_break_triggered:
        pdf.add_page()
    _section(pdf, title)
    if df.empty:
        pdf.set_font("cjk", "", 10)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 6, empty, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    _grid(pdf, brief, rows)
    if len(df) > MAX_ROWS:
        pdf.set_font("cjk", "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5, brief.tr("brief.card.more", n=len(df) - MAX_ROWS), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _width(text: str) -> int:
    """How wide a text runs: a Chinese character takes two Latin ones' room."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _grid(pdf, brief, rows) -> None:
    """A table whose short columns (a status, a date, an id) are wide enough never to break inside a word
    ("进行中（已逾期）" on one line); long text columns share what is left and wrap."""
    pdf.set_font("cjk", "", 8.5)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(255, 255, 255)   # the alerts' marker colour would otherwise fill the rows
    texts = [[str(c) for c in rows.columns]] + [[_text(v, brief.lang) for v in record] for record in rows.itertuples(index=False)]
    weights = [max(8, min(40, 2 + max(_width(line) for row in texts for line in row[j].split("\n"))))
               for j in range(len(rows.columns))]
    with pdf.table(col_widths=weights, line_height=5, wrapmode=WrapMode.CHAR, first_row_as_headings=True,
                   headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL), text_align="LEFT") as t:
        for row in texts:
            t.row(row)


def _text(value, lang: str) -> str:
    if fmt.is_missing(value):
        return "—"
    if isinstance(value, (dt.date, dt.datetime)):
        return fmt.date(value, lang)
    return str(value)


def _report(pdf: _Page, brief: Brief) -> None:
    """The report to the street office (saved, else drafted), in small type so the brief stays within two pages."""
    if not brief.report:
        return
    _section(pdf, brief.tr("brief.h.report"))
    pdf.set_font("cjk", "", 8.5)
    pdf.set_text_color(*INK)
    text = "\n".join(line for line in brief.report.splitlines() if line.strip())
    pdf.multi_cell(0, 4.2, text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _signature(pdf: _Page, brief: Brief) -> None:
    if pdf.get_y() + 16 > pdf.h - 16:
        pdf.add_page()
    pdf.ln(8)
    pdf.set_font("cjk", "", 10)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, brief.tr("brief.signature"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def street_pdf_bytes(view, font: Font | None = None, today: dt.date | None = None) -> bytes:
    """The street comparison on A4 (pipelines/reports/street.py StreetView): the period, what the measure
    is and how the order runs, who is behind, the ranked table as the page shows it, the trend, the alerts."""
    from pipelines.reports.charts import street_trend_png
    from pipelines.reports.street import SHOWN, measure_change, measure_name, measure_text, order_text
    font = font or find()
    pdf = _Page(view, font, today or dt.date.today())
    pdf.add_page()
    _title(pdf, view.title, view.label)
    order = order_text(view.measure, view.lang) + (" " + view.tr("street.order.partial") if view.behind else "")
    for line in (measure_text(view.measure, view.lang), order):
        pdf.multi_cell(0, 5, line, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if view.behind:
        _section(pdf, view.tr("street.h.behind"))
        pdf.set_font("cjk", "", 9.5)
        pdf.set_text_color(*AMBER)
        for line in view.behind_lines():
            pdf.multi_cell(0, 5.2, line, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _section(pdf, view.tr("street.brief.h.table"))
    r, lang, m = view.rows, view.lang, view.measure
    import pandas as pd
    shown = pd.DataFrame({
        view.tr("col.rank"): ["—" if fmt.is_missing(x) else str(int(x)) for x in r["rank"]],
        view.tr("col.community"): r["name"].astype(str),
        measure_name(m, lang): [view.shown(c, m, x) for c, x in zip(r["community_id"], r["value"])],
        view.tr("street.col.change"): [measure_change(m, x, p, lang) for x, p in zip(r["value"], r["previous"])],
        view.tr("street.col.data"): [view.state(c, short=True) for c in r["community_id"]],
        view.tr("street.col.errors"): [str(x) for x in r["errors"]],
        view.tr("street.col.warnings"): [str(x) for x in r["warnings"]],
        **{measure_name(x, lang): [view.shown(c, x, y) for c, y in zip(r["community_id"], r[x])] for x in SHOWN[:2] if x != m}})
    _grid(pdf, view, shown)
    png = street_trend_png(view, font)
    if png is not None:
        height = (pdf.w - 2 * LEFT) * 0.30
        if pdf.get_y() + 14 + height > pdf.h - 16:
            pdf.add_page()
        _section(pdf, view.tr("street.h.trend", n=len(view.trend["period_start"].unique()), measure=measure_name(m, lang)))
        pdf.image(io.BytesIO(png), x=LEFT, y=pdf.get_y(), w=pdf.w - 2 * LEFT, h=height, keep_aspect_ratio=True)
        pdf.set_xy(LEFT, pdf.get_y() + height + 2)
    _section(pdf, view.tr("street.brief.h.alerts"))
    any_alert = False
    for c, name in zip(r["community_id"], r["name"]):
        items = view.found.get(c, [])
        if not items:
            continue
        any_alert = True
        pdf.set_font("cjk", "B", 10)
        pdf.set_text_color(*INK)
        pdf.cell(0, 6, str(name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for a in items[:4]:
            pdf.set_fill_color(*(RED if a.level == "error" else AMBER))
            pdf.rect(LEFT, pdf.get_y() + 1.6, 2.2, 2.2, style="F")
            pdf.set_x(LEFT + 4)
            pdf.set_font("cjk", "", 9)
            pdf.multi_cell(pdf.w - 2 * LEFT - 4, 5, a.text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if len(items) > 4:
            pdf.set_font("cjk", "", 9)
            pdf.set_text_color(*MUTED)
            pdf.cell(0, 5, view.tr("brief.card.more", n=len(items) - 4), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not any_alert:
        pdf.set_font("cjk", "", 10)
        pdf.set_text_color(*GREEN)
        pdf.cell(0, 6, view.tr("street.brief.no_alerts"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()
