"""pipelines/present/coop.py: the split in force on a period's first day as the page names it, and the fund's
month in one sentence (the monthly check and the brief), on rows written out by hand."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.present import coop

# queries.coop_splits rows, newest first: 65/20/15 adopted on 1 Nov 2026, 70/20/10 on 1 Apr 2026
SPLITS = [(dt.date(2026, 11, 1), 65, 20, 15), (dt.date(2026, 4, 1), 70, 20, 10)]


def test_a_period_names_the_adoption_in_force_on_its_first_day():
    assert coop.adopted_on(SPLITS, dt.date(2026, 11, 1)) == dt.date(2026, 11, 1)
    assert coop.adopted_on(SPLITS, dt.date(2026, 10, 1)) == dt.date(2026, 4, 1)
    assert coop.adopted_on(SPLITS, dt.date(2026, 3, 1)) is None      # before any: the default, no date
    assert coop.adopted_on([], dt.date(2026, 3, 1)) is None


def test_the_split_of_a_row_and_the_default_where_it_has_none():
    assert coop.split_of({"members_pct": 65.0, "coop_pct": 20.0, "fund_pct": 15.0}) == (65.0, 20.0, 15.0)
    assert coop.split_of({}) == (70, 20, 10)
    assert [coop.pct(x) for x in (65.0, 12.5)] == ["65", "12.5"]


LEDGER = pd.DataFrame({
    "day": pd.to_datetime(["2026-05-31", "2026-06-20", "2026-06-29", "2026-06-30", "2026-07-03"]),
    "kind": ["accrued", "spent", "spent", "accrued", "spent"],
    "amount_yuan": [4452.46, 6800.0, 120.5, 4690.31, 50.0],
    "purpose": [None, "门口代收点雨棚", "雨棚安装 联系人138****8000", None, "书架"],
    "entry_id": [None, "E7", "E8", None, "E9"],
    "balance_yuan": [4452.46, -2347.54, -2468.04, 2222.27, 2172.27],
})


def test_the_month_s_payments_and_the_sentence_that_names_them():
    june = coop.month_spends(LEDGER, dt.date(2026, 6, 1))
    assert list(june["entry_id"]) == ["E7", "E8"]
    assert coop.fund_sentence(2222.27, june, "zh") == (
        "公共基金月末余额 ¥2,222.27；本月支出：门口代收点雨棚 ¥6,800.00（2026年6月20日）；"
        "雨棚安装 联系人138****8000 ¥120.50（2026年6月29日）。")
    assert coop.fund_sentence(2172.27, coop.month_spends(LEDGER, dt.date(2026, 8, 1)), "zh") == \
        "公共基金月末余额 ¥2,172.27；本月没有支出。"


def test_the_ledger_names_an_accrual_by_its_month_and_keeps_numbers_as_numbers():
    frame = coop.ledger_frame(LEDGER, "zh")
    assert list(frame["用途"])[:2] == ["2026年5月利润提取", "门口代收点雨棚"]
    assert list(frame["收支"]) == ["提取", "支出", "支出", "提取", "支出"]
    assert list(frame["余额（元）"]) == [4452.46, -2347.54, -2468.04, 2222.27, 2172.27]
    assert list(frame["日期"])[0] == dt.date(2026, 5, 31)
    assert list(coop.ledger_frame(LEDGER, "en")["Purpose"])[0] == "Share of May 2026's profit"


def test_the_check_against_the_co_op_store_says_which_way_it_went():
    row = {"period_start": pd.Timestamp("2026-06-01"), "coop_sales_yuan": 58900.09, "coop_store_orders_yuan": 70811.2,
           "difference_yuan": -11911.11, "difference_share": 0.168207, "over_threshold": True}
    assert coop.reconcile_message(row, "month", "zh") == ("error", (
        "2026年6月合作社账上的销售收入 ¥5.89万 与合作社店铺已支付订单 ¥7.08万 相差 16.8%，超过5%，请核对是否漏记或多记。"))
    assert coop.reconcile_message({**row, "difference_share": 0.0, "over_threshold": False}, "month", "zh")[0] == "ok"
    assert coop.reconcile_message({**row, "difference_share": None, "over_threshold": None}, "month", "zh")[0] == "info"


def test_money_is_to_the_fen_with_the_sign_before_it():
    assert [coop.money(x) for x in (15210.456, -2347.5, 0, None)] == ["¥15,210.46", "-¥2,347.50", "¥0.00", "—"]


def test_a_month_before_the_first_entry_has_no_payments():
    empty = LEDGER.iloc[0:0]
    assert list(coop.month_spends(empty, dt.date(2026, 3, 1)).columns) == list(LEDGER.columns)
    assert coop.fund_sentence(0.0, coop.month_spends(empty, dt.date(2026, 3, 1)), "zh") == "公共基金月末余额 ¥0.00；本月没有支出。"
    assert coop.spends_frame(coop.month_spends(empty, dt.date(2026, 3, 1)), "zh").empty
