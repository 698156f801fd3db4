"""Issue 16 item 1 in the briefs: a metric whose feed is not imported to the period reads 未导入 in the
workbook, the PDF and the share card, never 0 and never a change (store: tests/dashboard/test_not_imported.py:
week 3 has parcels and complaints, not orders or training)."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from pipelines.reports.content import Source, gather
from tests.dashboard.test_not_imported import store  # noqa: F401  (the module's store fixture)

W2_DAY, W3_DAY = dt.date(2025, 6, 11), dt.date(2025, 6, 18)
NOTE = "“未导入”的指标没有本期数字（不是 0），也不与上期比较：订单数据截至2025年6月14日。导入后即更新。"


@pytest.fixture(scope="module")
def brief(store):  # noqa: F811
    return gather(Source.for_operator(store), "A", "week", W3_DAY)


def summary(data: bytes) -> dict:
    ws = load_workbook(io.BytesIO(data))["概要"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "指标")
    return {"notes": [r[0] for r in rows[:header] if r[0]], **{r[5]: r[2:5] for r in rows[header + 1:] if r[5]}}


def test_the_brief_knows_orders_are_not_imported_and_parcels_are(brief):
    orders, parcels = brief.headline("orders.count"), brief.headline("parcels.arrived")
    assert (orders.not_imported, orders.value, orders.previous, orders.change) == (True, None, 2, None)
    assert (parcels.not_imported, parcels.value, parcels.previous, parcels.change) == (False, 2, 1, 1)
    assert brief.partial and NOTE in brief.notes
    # no orders 0 in the trend either
    assert not ((brief.series["metric"] == "orders.count") & (brief.series["period_start"] == dt.date(2025, 6, 16))).any()


def test_the_workbook_reads_not_imported_for_orders_and_numbers_for_parcels(brief):
    from pipelines.reports.xlsx import workbook_bytes
    got = summary(workbook_bytes(brief))
    assert got["orders.count"] == ("未导入", 2, None)            # text where no number exists; no change
    assert got["orders.gmv_yuan"] == ("未导入", 50, None)
    assert got["parcels.arrived"] == (2, 1, 1)                   # numbers stay numbers
    assert NOTE in got["notes"]


def test_the_complete_week_s_workbook_has_numbers_only(store):  # noqa: F811
    from pipelines.reports.xlsx import workbook_bytes
    got = summary(workbook_bytes(gather(Source.for_operator(store), "A", "week", W2_DAY)))
    assert got["orders.count"] == (2, 2, 0)
    assert not any("未导入" in n for n in got["notes"])


def test_the_pdf_prints_not_imported_for_orders_and_the_parcel_numbers(brief):
    from pypdf import PdfReader

    from pipelines.reports.pdf import pdf_bytes
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes(brief))).pages)
    # pypdf reads fpdf2's glyph 0 as NULs between the characters (see test_briefs.py): dropped with spaces
    lines = [re.sub(r"[ \x00]+", "", line) for line in text.splitlines()]
    assert any(line.startswith("订单数未导入") for line in lines), lines[:40]
    assert not any(line.startswith("订单数0") for line in lines)
    assert any(line.startswith("到件数2+1") for line in lines), lines[:40]
