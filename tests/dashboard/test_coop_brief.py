"""The monthly brief carries the public fund (issue 20 item 4): its month-end balance and what it paid for in
a note (PDF, card, workbook), the fund's numbers among the headlines, and a 合作社 sheet in the workbook —
numbers as numbers, the split used beside the members' share, each payment with its purpose and date. The
store and its hand-worked books are tests/dashboard/test_coop_page.py's."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from pipelines.reports.content import Source, gather
from pipelines.reports.xlsx import workbook_bytes
from tests.dashboard.test_coop_page import coop_db  # noqa: F401  (the module's store)

JUNE = dt.date(2025, 6, 1)


def test_the_june_brief_names_the_fund_balance_and_the_canopy(coop_db):  # noqa: F811
    brief = gather(Source.for_operator(coop_db), "A", "month", JUNE)
    assert "公共基金月末余额 ¥13.00；本月支出：门口代收点雨棚 ¥20.00（2025年6月20日）。" in brief.notes
    assert brief.headline("coop.fund_balance_yuan").value == 13.0
    assert brief.headline("coop.fund_spent_yuan").value == 20.0
    assert brief.headline("coop.fund_balance_yuan").previous == 25.0


def test_a_month_without_payments_says_so(coop_db):  # noqa: F811
    brief = gather(Source.for_operator(coop_db), "A", "month", dt.date(2025, 5, 1))
    assert "公共基金月末余额 ¥25.00；本月没有支出。" in brief.notes


def test_the_workbook_has_a_cooperative_sheet_of_numbers(coop_db):  # noqa: F811
    wb = load_workbook(io.BytesIO(workbook_bytes(gather(Source.for_operator(coop_db), "A", "month", JUNE))))
    ws = wb["合作社"]
    rows = [tuple(c.value for c in r) for r in ws.iter_rows()]
    assert rows[0] == ("项目", "金额（元）", "说明")
    by_item = {r[0]: r[1:] for r in rows[1:]}
    assert by_item["合作社销售收入"] == (90.0, None)
    assert by_item["合作社成本支出"] == (10.0, None)
    assert by_item["合作社利润"] == (80.0, None)
    assert by_item["社员分成"] == (56.0, "分配比例 社员70% / 合作社20% / 公共基金10%")
    assert by_item["合作社留存"] == (16.0, None)
    assert by_item["公共基金计提"] == (8.0, None)
    assert by_item["公共基金支出"] == (20.0, None)
    assert by_item["公共基金余额"] == (13.0, None)
    assert by_item["代收点租金"] == (30.0, None)
    assert by_item["公共基金支出：门口代收点雨棚"] == (20.0, "2025年6月20日")
    assert len(rows) == 11


def test_no_cooperative_sheet_or_note_where_no_books_were_imported(coop_db):  # noqa: F811
    brief = gather(Source.for_operator(coop_db), "B", "month", JUNE)
    assert not [n for n in brief.notes if "公共基金" in n]
    assert brief.headline("coop.fund_balance_yuan").not_imported
    assert "合作社" not in load_workbook(io.BytesIO(workbook_bytes(brief))).sheetnames


def test_a_weekly_brief_has_no_cooperative_sheet(coop_db):  # noqa: F811
    brief = gather(Source.for_operator(coop_db), "A", "week", dt.date(2025, 6, 16))
    assert "合作社" not in load_workbook(io.BytesIO(workbook_bytes(brief))).sheetnames


def test_no_cooperative_sheet_before_the_books_start(coop_db):  # noqa: F811
    brief = gather(Source.for_operator(coop_db), "A", "month", dt.date(2025, 4, 1))
    assert not [n for n in brief.notes if "公共基金" in n]
    assert "合作社" not in load_workbook(io.BytesIO(workbook_bytes(brief))).sheetnames
