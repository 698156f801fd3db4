"""The share card for the group's WeChat chat: 1080 px wide, type big enough to read on a phone.

The period, the few numbers the meeting acts on with their change, the alerts and the open actions;
the card is as tall as its content (a chat shows a tall image whole and lets you zoom).
"""
from __future__ import annotations

import datetime as dt
import io

from PIL import Image, ImageDraw, ImageFont

from pipelines.present import format as fmt
from pipelines.reports.brief import Brief
from pipelines.reports.fonts import Font, find

WIDTH, PAD, GAP = 1080, 56, 24
BLUE, INK, MUTED, PAPER, TILE = "#2f6f9f", "#1f2933", "#52606d", "#ffffff", "#f3f6f9"
RED, AMBER, GREEN = "#b5485d", "#a86b00", "#2f7a50"
MAX_ALERTS, MAX_ACTIONS = 5, 5


class _Type:
    def __init__(self, font: Font):
        self.font = font

    def __call__(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        face = self.font.bold if bold else self.font.regular
        return ImageFont.truetype(str(face.path), size, index=face.index)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Lines that fit `width`, broken between any two characters (Chinese has no spaces to break at)."""
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=font) > width and line:
            lines.append(line)
            line = ch.lstrip()
        else:
            line += ch
    return lines + [line] if line else lines


def png_bytes(brief: Brief, font: Font | None = None, today: dt.date | None = None) -> bytes:
    type_ = _Type(font or find())
    canvas = Image.new("RGB", (WIDTH, 4000), PAPER)
    draw = ImageDraw.Draw(canvas)
    y = _header(draw, brief, type_)
    y = _tiles(draw, brief, type_, y + GAP)
    y = _list(draw, brief.tr("brief.h.alerts"), [(RED if a.level == "error" else AMBER, a.text) for a in brief.alerts],
              MAX_ALERTS, brief, type_, y + GAP,
              brief.tr("brief.no_alerts_partial" if brief.partial else "brief.no_alerts"))
    actions = brief.actions.frame
    items = [(BLUE, _action_line(brief, r)) for r in actions.itertuples(index=False)]
    y = _list(draw, brief.tr("brief.card.actions"), items, MAX_ACTIONS, brief, type_, y + GAP, brief.tr("brief.no_actions"))
    return _finish(canvas, draw, type_, y, brief.tr, brief.lang, today)


def _header(draw, brief: Brief, type_) -> int:
    title_font, label_font = type_(52, bold=True), type_(36)
    title = _wrap(draw, brief.title, title_font, WIDTH - 2 * PAD)
    label = _wrap(draw, brief.label, label_font, WIDTH - 2 * PAD)
    notes = [line for n in brief.notes for line in _wrap(draw, n, type_(28), WIDTH - 2 * PAD)]
    height = PAD + len(title) * 66 + 8 + len(label) * 48 + len(notes) * 38 + PAD - 8
    draw.rectangle((0, 0, WIDTH, height), fill=BLUE)
    y = PAD
    for line in title:
        draw.text((PAD, y), line, font=title_font, fill=PAPER)
        y += 66
    y += 8
    for line in label:
        draw.text((PAD, y), line, font=label_font, fill="#dbe8f3")
        y += 48
    for line in notes:
        draw.text((PAD, y), line, font=type_(28), fill="#ffe2a8")
        y += 38
    return height


def _tiles(draw, brief: Brief, type_, top: int) -> int:
    """Two tiles a row; a last tile on its own takes the whole row."""
    shown = [h for h in (brief.headline(m) for m in brief.card) if h is not None] or list(brief.headlines[:4])
    tile_w, tile_h = (WIDTH - 2 * PAD - GAP) // 2, 230
    y = top
    for i in range(0, len(shown), 2):
        row = shown[i:i + 2]
        for j, h in enumerate(row):
            x = PAD + j * (tile_w + GAP)
            w = tile_w if len(row) == 2 else WIDTH - 2 * PAD
            draw.rounded_rectangle((x, y, x + w, y + tile_h), radius=18, fill=TILE)
            name_font = type_(34)
            name = _wrap(draw, h.name, name_font, w - 56)[0]
            draw.text((x + 28, y + 24), name, font=name_font, fill=MUTED)
            draw.text((x + 28, y + 74), h.shown(brief.lang), font=type_(76, bold=True), fill=INK)
            change = h.shown_change(brief.lang)
            text = (brief.tr("brief.vs_previous", change=change) if change is not None
                    else "" if h.not_imported else brief.tr("brief.no_previous"))   # 未导入 says it: no change
            draw.text((x + 28, y + 176), text, font=type_(30), fill=_colour(h))
        y += tile_h + GAP
    return y - GAP


def _colour(h) -> str:
    if h.change is None or h.good == 0 or fmt.unchanged(h.metric, h.value, h.previous):
        return MUTED
    return GREEN if (h.change > 0) == (h.good > 0) else RED


def _list(draw, title: str, items: list[tuple[str, str]], limit: int, brief: Brief, type_, top: int, empty: str) -> int:
    y = top + 8
    draw.text((PAD, y), title, font=type_(42, bold=True), fill=INK)
    y += 66
    body = type_(34)
    if not items:
        draw.text((PAD, y), empty, font=body, fill=MUTED)
        return y + 48
    for colour, text in items[:limit]:
        draw.ellipse((PAD, y + 14, PAD + 16, y + 30), fill=colour)
        for line in _wrap(draw, text, body, WIDTH - 2 * PAD - 36):
            draw.text((PAD + 36, y), line, font=body, fill=INK)
            y += 48
        y += 14
    if len(items) > limit:
        draw.text((PAD + 36, y), brief.tr("brief.card.more", n=len(items) - limit), font=type_(30), fill=MUTED)
        y += 44
    return y


def _action_line(brief: Brief, record) -> str:
    """An action as one line: title, owner, due date (what a member needs to see in the chat)."""
    fields = dict(zip(brief.actions.frame.columns, record))
    parts = [str(fields.get(brief.tr("brief.action.title"), ""))]
    for key in ("brief.action.owner", "brief.action.due_on", "brief.action.status"):
        v = fields.get(brief.tr(key))
        if not fmt.is_missing(v) and str(v):
            parts.append(fmt.date(v, brief.lang) if isinstance(v, (dt.date, dt.datetime)) else str(v))
    return " · ".join(parts)


def street_png_bytes(view, font: Font | None = None, today: dt.date | None = None) -> bytes:
    """The street comparison as a share card: the period, who is behind, then each community in the one
    order with its value and change, and its alerts counted."""
    from pipelines.reports.street import measure_change, measure_name, measure_text
    type_ = _Type(font or find())
    canvas = Image.new("RGB", (WIDTH, 6000), PAPER)
    draw = ImageDraw.Draw(canvas)
    y = _header(draw, view, type_)
    y += GAP
    for line in _wrap(draw, measure_text(view.measure, view.lang), type_(28), WIDTH - 2 * PAD):
        draw.text((PAD, y), line, font=type_(28), fill=MUTED)
        y += 40
    if view.behind:
        y = _list(draw, view.tr("street.h.behind"), [(AMBER, line) for line in view.behind_lines()], 8, view, type_, y, "")
    y += GAP
    draw.text((PAD, y), view.tr("street.brief.h.table") + " · " + measure_name(view.measure, view.lang),
              font=type_(40, bold=True), fill=INK)
    y += 64
    for r in view.rows.itertuples(index=False):
        rank = view.tr("street.brief.unranked") if fmt.is_missing(r.rank) else str(int(r.rank))
        draw.rounded_rectangle((PAD, y, WIDTH - PAD, y + 118), radius=16, fill=TILE)
        draw.text((PAD + 24, y + 16), rank, font=type_(34, bold=True), fill=BLUE)
        draw.text((PAD + 150, y + 14), _wrap(draw, str(r.name), type_(36, bold=True), 480)[0], font=type_(36, bold=True), fill=INK)
        state = view.state(r.community_id, short=True)
        draw.text((PAD + 150, y + 66), _wrap(draw, state, type_(26), 480)[0], font=type_(26),
                  fill=MUTED if r.complete else AMBER)
        value = view.shown(r.community_id, view.measure, r.value)
        draw.text((WIDTH - PAD - 24, y + 10), value, font=type_(44, bold=True), fill=INK, anchor="ra")
        change = measure_change(view.measure, r.value, r.previous, view.lang)
        alerts = view.tr("street.attention", name="", errors=r.errors, warnings=r.warnings).lstrip("：: ")
        draw.text((WIDTH - PAD - 24, y + 70), f"{view.tr('street.col.change')} {change} · {alerts}", font=type_(24),
                  fill=MUTED, anchor="ra")
        y += 118 + 16
    return _finish(canvas, draw, type_, y, view.tr, view.lang, today)


def _finish(canvas, draw, type_, y: int, tr, lang: str, today: dt.date | None) -> bytes:
    """The card's foot (the day it was made) and the canvas cut to what was drawn, as PNG bytes."""
    made = fmt.date(today or dt.date.today(), lang)
    y += GAP
    draw.text((PAD, y), tr("brief.card.footer", made=made), font=type_(26), fill=MUTED)
    y += 26 + PAD
    out = io.BytesIO()
    canvas.crop((0, 0, WIDTH, y)).save(out, format="PNG", optimize=True)
    return out.getvalue()
