"""Text from imported files is shown as plain text, never as Markdown or HTML (SPEC §6): a name that
is Markdown for an image must not make the viewer's browser fetch it, a link must not become clickable,
and every download of it is formula-safe."""
from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
import streamlit

from pipelines.present import charts
from pipelines.present.format import JOINER, plain
from tests.dashboard.conftest import FORMULA_FILE, HTML_NAME, IMAGE_NAME, LINK_NAME
from tests.dashboard.test_pages import open_page

MARKDOWN_ELEMENTS = ["title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"]


J = JOINER     # invisible; breaks the patterns Streamlit finds after escapes are undone (links, icons, logo)


@pytest.mark.parametrize("text,shown", [
    (IMAGE_NAME, rf"\!\[x\]\(http\:{J}//127\.0\.0\.1\:9/x\.png\)"),
    (LINK_NAME, rf"\[官方通知\]\(http\:{J}//127\.0\.0\.1\:9/\)"),
    ("<img src=x onerror=alert(1)>", r"\<img src\=x onerror\=alert\(1\)\>"),
    ("**粗体** _斜体_ `代码` ~删除~ $x$ :red[红]", r"\*\*粗体\*\* \_斜体\_ \`代码\` \~删除\~ \$x\$ \:red\[红\]"),
    ("1栋\n# 标题\r\n- 列表\t| 表格 |", r"1栋 \# 标题 \- 列表 \| 表格 \|"),
    ("C:\\路径 &amp; www.example.com", rf"C\:\\路径 \&amp; www{J}\.example\.com"),
    ("东门驿站", "东门驿站"),
    (42, "42"),
    # bare links (GFM autolinks), found by remark-gfm in the text once escapes are undone
    ("http://evil.example/x", rf"http\:{J}//evil\.example/x"),
    ("WWW.evil.example", rf"WWW{J}\.evil\.example"),
    ("楼长 a@evil.example", rf"楼长 a@{J}evil\.example"),
    # Streamlit's icons and logo, found in the source text and in text nodes
    (":material/home: :streamlit: 12:00", rf"\:{J}material/home\: \:{J}streamlit\: 12\:00"),
    ("**粗体**~~删~~:red[红色]$x^2$.csv", r"\*\*粗体\*\*\~\~删\~\~\:red\[红色\]\$x^2\$\.csv"),
])
def test_plain_escapes_every_markdown_and_html_character(text, shown):
    assert plain(text) == shown


def test_the_markup_check_tells_escaped_from_live_markup():
    assert renders_markup(IMAGE_NAME) and renders_markup(LINK_NAME) and renders_markup(HTML_NAME)
    assert not any(renders_markup(plain(n)) for n in [IMAGE_NAME, LINK_NAME, HTML_NAME])


def test_map_tooltips_are_text_with_line_breaks_not_html():
    buildings = pd.DataFrame({"name": ["<b>1栋</b>"], "complaints": [2], "lat": [26.577], "lon": [106.71]})
    points = pd.DataFrame({"name": [LINK_NAME], "capacity": [4], "peak_ratio": [0.75], "lat": [26.5768],
                           "lon": [106.7112]})
    deck = charts.deck(buildings, points, "楼栋：{name}\n投诉：{complaints} 起", "代收点：{name}\n峰值：{ratio}")
    assert "html" not in deck._tooltip and deck._tooltip["text"] == "{tip}"    # set as innerText: never markup
    tips = [row["tip"] for layer in deck.layers[:2] for row in layer.data]
    assert tips == ["楼栋：<b>1栋</b>\n投诉：2 起", f"代收点：{LINK_NAME}\n峰值：75%"]


@pytest.fixture
def downloads(hostile_db, monkeypatch):
    """Every download the pages offer, as (label, bytes), on the store with hostile names."""
    monkeypatch.setenv("LINLI_DB", str(hostile_db))
    offered: list[tuple[str, bytes]] = []
    original = streamlit.download_button

    def record(label, data, *args, **kwargs):
        if callable(data):    # a brief drawn only when clicked (xlsx/pdf/png): tests/dashboard/test_briefs.py
            return original(label, data, *args, **kwargs)
        offered.append((label, data if isinstance(data, bytes) else str(data).encode()))
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", record)
    return offered


def renders_markup(body: str) -> bool:
    """An image, a link or an HTML tag that Markdown would act on: one whose opening is not backslash-escaped."""
    return bool(re.search(r"(?<!\\)(!\[|\]\(|<[a-zA-Z/!])", body))


def markdown_bodies(at) -> list[str]:
    return [e.value for kind in MARKDOWN_ELEMENTS for e in getattr(at, kind)] + \
           [e.value for e in at.sidebar.caption] + \
           [str(cell) for t in at.table for cell in [*t.value.columns, *t.value.to_numpy().ravel()]]  # st.table: Markdown


def test_markdown_in_names_shows_as_typed_and_neither_fetches_nor_links(downloads):
    at = open_page("overview", c="A", g="week", p="2025-06-02")
    assert not at.exception, [e.value for e in at.exception]
    assert at.caption[0].value == f"{plain(IMAGE_NAME)} · 2025年第23周 · 6月2日–6月8日"
    # the point's 3 parcels against a capacity of 2 raise an alert that names it
    assert any(e.value.startswith(f"{plain(LINK_NAME)}峰值占用达到容量的 150.0%") for e in at.error)
    for body in markdown_bodies(at):
        assert not renders_markup(body), body


def test_markdown_in_names_stays_text_in_the_check_tables(downloads):
    # the weekly check's full tables (st.table renders Markdown) name the point and its parcels
    at = open_page("weekly", c="A", g="week", p="2025-06-02")
    assert not at.exception, [e.value for e in at.exception]
    cells = [str(c) for t in at.table for c in t.value.to_numpy().ravel()]
    assert plain(LINK_NAME) in cells
    for body in markdown_bodies(at):
        assert not renders_markup(body), body


def test_html_in_a_name_is_escaped_on_the_page_and_in_the_printable_sheet(downloads):
    at = open_page("weekly", c="B", g="week", p="2025-06-02")
    assert not at.exception, [e.value for e in at.exception]
    assert at.caption[0].value.startswith(plain(HTML_NAME) + " · ")
    for body in markdown_bodies(at):
        assert not renders_markup(body), body
    (sheet,) = [data.decode() for label, data in downloads if data.startswith(b"<!doctype html>")]
    assert "&lt;img src=http://127.0.0.1:9/b.png&gt;B社区" in sheet and "<img" not in sheet


def cells(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def starts_a_formula(cell: str) -> bool:
    if not cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        return False
    try:
        float(cell)             # a number in a numeric column: a spreadsheet reads it as the number
        return False
    except ValueError:
        return True


# 街道对比 offers its table as the street brief (xlsx/pdf/png), whose cells pipelines/reports/xlsx.py neutralises
@pytest.mark.parametrize("page", ["data_import", "orders", "parcels", "map", "weekly", "glossary"])
def test_no_downloaded_csv_cell_starts_a_formula(page, downloads):
    at = open_page(page, c="A", g="week", p="2025-06-02")
    assert not at.exception, [e.value for e in at.exception]
    tables = [cells(data) for _, data in downloads if not data.startswith(b"<!doctype html>")]
    assert tables, page
    bad = [c for rows in tables for row in rows for c in row if starts_a_formula(c)]
    assert bad == [], page


def test_file_names_and_ids_are_neutralised_in_the_import_downloads(downloads):
    open_page("data_import")
    text = "\n".join(data.decode("utf-8-sig") for _, data in downloads)
    assert f"'{FORMULA_FILE}" in text                           # the import history and the quarantine list
    assert "'=cmd|' /C calc'!A0" in text                        # the quarantined row, in its fix file
    assert "\n" + FORMULA_FILE not in text and "," + FORMULA_FILE not in text


def test_downloads_hold_numbers_where_the_page_shows_words(downloads):
    open_page("weekly", c="A", g="week", p="2025-06-02")
    # the check sheet's numbers (the page also offers its point, overdue and follow-up lists)
    (table,) = [t for t in (cells(data) for _, data in downloads if not data.startswith(b"<!doctype html>"))
                if t and t[0][:2] == ["指标", "单位"]]
    header, rows = table[0], {r[0]: r for r in table[1:]}
    assert header == ["指标", "单位", "本期", "上期", "变化", "说明", "定义"]   # 说明: why a number is 未导入
    assert rows["峰值占用率"][2] == "1.5"                        # 150.0% on screen
    assert rows["成交额"][1:3] == ["元", "110.0"]                 # ¥110 on screen: O1's 100 and O9's 10
