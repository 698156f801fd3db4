"""The street brief (街道对比 as a file to forward) and the brief files' smaller promises: numbers rounded as
the page shows them and still numbers, the PDF's text, names in Chinese by place and period, a PDF heading
that never stays alone at a page's foot, a status that never breaks inside its words."""
from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pipelines.present.export import file_stem
from pipelines.reports import street as s
from pipelines.reports.brief import Table
from pipelines.reports.content import Source, gather
from pipelines.reports.render import render
from tests.conftest import Kpi, build_store
from tests.dashboard.test_street import COMMUNITIES, COMPLAINTS

WEEK = dt.date(2025, 6, 16)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("street_brief"), {"communities": COMMUNITIES, "complaints": COMPLAINTS})


def view(db, measure="per1k.complaints", period=WEEK):
    return s.gather_street(Source.for_operator(db), "花溪街道", ["A", "B", "C"], "week", period, measure, "zh")


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(data)).pages)


def test_the_street_brief_workbook_holds_kpi_rounded_as_shown_and_still_numbers(db):
    kpi = Kpi(db)
    wb = load_workbook(io.BytesIO(render(view(db), "xlsx")))
    assert wb.sheetnames == ["街道对比", "各社区提醒", "近期走势"]
    rows = list(wb["街道对比"].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == "排名")
    assert rows[top][:5] == ("排名", "社区", "本期数据", "投诉数（每千户）（所选）", "较上期")
    body = {r[1]: r for r in rows[top + 1:]}
    households = {"A": 1000, "B": 3000}
    for c, name in (("A", "A社区"), ("B", "B社区")):
        now = kpi(c, "week", "2025-06-16", "complaints.count") * 1000 / households[c]
        before = kpi(c, "week", "2025-06-09", "complaints.count") * 1000 / households[c]
        assert body[name][3] == round(now, 2) and isinstance(body[name][3], (int, float))
        assert body[name][4] == pytest.approx(round(now - before, 2))
    assert body["B社区"][3] == 1.33                                # 4 complaints × 1000 ÷ 3000, as the page shows
    assert [r[1] for r in rows[top + 1:]] == ["B社区", "A社区", "C社区"]
    assert [r[0] for r in rows[top + 1:]] == [1, 2, None]          # C is not ranked: no data that week
    assert body["C社区"][2] == "截至2025年6月9日，不完整" and body["C社区"][3] is None
    cell = wb["街道对比"].cell(row=top + 2, column=4)
    assert cell.number_format == "0.00" and cell.data_type == "n"
    assert any("C社区：数据截至2025年6月9日" in str(r[1]) for r in rows[:top])
    trend = list(wb["近期走势"].iter_rows(values_only=True))
    assert trend[1] == ("社区", "6月2日", "6月9日", "6月16日")
    assert trend[2] == ("B社区", 0.33, 1.33, 1.33) and trend[3] == ("A社区", 1.0, 2.0, 1.0)


def test_the_street_brief_pdf_says_street_period_order_and_who_is_behind(db):
    text = re.sub(r"[ \x00]+", "", pdf_text(render(view(db, "complaints.count"), "pdf")))
    assert "花溪街道·街道对比" in text and "2025年第25周" in text
    assert "数值越高越需要关注" in text and "C社区：数据截至2025年6月9日" in text
    assert text.index("B社区") < text.index("A社区")            # B's 4 complaints rank above A's 2


def test_the_street_card_is_1080_wide(db):
    from PIL import Image
    assert Image.open(io.BytesIO(render(view(db), "png"))).width == 1080


def test_files_are_named_by_place_period_and_what_they_are_in_chinese(db):
    assert view(db).stem() == "花溪街道_2025年第25周_街道对比"
    assert file_stem("B社区", "month", dt.date(2025, 6, 1), "每月检查简报") == "B社区_2025年6月_每月检查简报"
    assert file_stem('A/B:"社区"', "week", dt.date(2025, 12, 29), "每周检查简报") == "A_B_社区__2026年第1周_每周检查简报"


def test_an_overdue_in_progress_status_stays_on_one_line_in_the_pdf(db, tmp_path):
    import shutil

    from pipelines.database import writing
    from pipelines.records import actions
    from pipelines.reports.pdf import pdf_bytes
    copy = tmp_path / "c.duckdb"
    shutil.copy(db, copy)
    shutil.copytree(db.with_suffix(".serving"), copy.with_suffix(".serving"))
    with writing(copy) as con:
        item = actions.add_action(con, "A", "东门驿站高峰时段加派一名志愿者并在楼栋群里提醒错峰取件" * 2,
                                  metric="parcels.peak_occupancy_ratio", subject="PA、PB、PC", owner="王阿姨",
                                  due_on=dt.date(2025, 6, 6))
        actions.update_action(con, item, status="in_progress")
    brief = gather(Source.for_operator(copy), "A", "week", WEEK, today=dt.date(2025, 6, 20))
    lines = pdf_text(pdf_bytes(brief)).splitlines()
    assert any("进行中（已逾期）" in line.replace(" ", "") for line in lines), [x for x in lines if "进行" in x]


def test_a_section_heading_goes_over_with_its_table_not_alone_at_the_foot(db):
    from pipelines.reports import pdf as pdfmod
    brief = gather(Source.for_operator(db), "A", "week", WEEK)
    page = pdfmod._Page(brief, pdfmod.find(), dt.date(2025, 6, 20))
    page.add_page()
    page.set_y(page.h - 16 - 36)    # room for the heading and 30 mm, not for a first row 40 lines tall
    tall = Table("协商议题", pd.DataFrame({"议题": ["晚间直播"], "效果": ["\n".join(f"第{i}行" for i in range(40))]}))
    pdfmod._records(page, brief, "协商议题标题", tall, "—")
    out = io.BytesIO()
    page.output(out)
    pages = [p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(out.getvalue())).pages]
    assert "协商议题标题" not in pages[0] and "协商议题标题" in pages[1]


def test_the_overdue_sheet_is_named_for_what_it_holds(db):
    from pipelines.present.i18n import t
    assert t("brief.sheet.overdue", "zh") == "超时包裹（已取与未取）"
