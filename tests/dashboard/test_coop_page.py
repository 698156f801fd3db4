"""合作社 (issue 20 item 3) on a small store worked out by hand: a director reads the whole books, a member
and a street official the public fund's ledger only, a community without the coop feed reads 未导入 (not
0), and every table has its download; 每月检查 carries the fund's payments and balance.

Community A's books, default split 70/20/10 (no adoption recorded):
- May 2025: sales 200 (M1) + 100 (M2) = 300, costs 50 -> profit 250: members 175, cooperative 50, fund 25;
  nothing paid -> balance 25; rent 30 (S2). Statement: M1 175 × 200/300 = 116.666… -> 116.67,
  M2 58.333… -> 58.33 (sum 175.00).
- June 2025: sales 60 (M1) + 30 (M2) = 90, costs 10 -> profit 80: members 56, cooperative 16, fund 8; the
  fund paid 20 for 门口代收点雨棚 on 20 June -> balance 25 + 8 − 20 = 13; rent 30 (S2). Statement: M1 56 ×
  60/90 = 37.333… -> 37.33, M2 18.666… -> 18.67 (sum 56.00).
- Ledger to the end of June: 31 May accrued 25 (balance 25), 20 June paid 20 (5), 30 June accrued 8 (13).
- Against the co-op store: May 300 paid orders = 300 booked; June paid orders 100 (O3), booked 90: −10,
  10.0 % > 5 %, an alert.
- June's active sellers: S1 (O3), S2 (O5), S3 (O4); rent booked from S2 only -> S1 and S3 are listed.
April 2025 has an order (O0) and no books yet: the page says the fund has no entries, the check lists none.
Community B imported no books: its coop numbers read 未导入.
"""
from __future__ import annotations

import io

import pandas as pd
import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines.present.i18n import metric_name, t
from pipelines.records import users
from tests.conftest import build_store
from tests.dashboard.conftest import APP

PASSWORD = "correct horse 9"
COMMUNITIES = """
community_id,name,street,households
A,A社区,金桥街道,300
B,B社区,金桥街道,200
"""
SELLERS = """
seller_id,community_id,kind
S1,A,coop
S2,A,shop
S3,A,group_buy
S1,B,shop
"""
ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
O0,A,S2,团购,2025-04-20 10:00,40,已支付
O1,A,S1,合作社,2025-05-05 10:00,300,已支付
O2,A,S2,团购,2025-05-06 09:00,50,已支付
O3,A,S1,合作社,2025-06-10 10:00,100,已支付
O4,A,S3,团购,2025-06-11 10:00,20,已支付
O5,A,S2,团购,2025-06-30 20:00,30,已支付
O6,B,S1,团购,2025-05-06 10:00,10,已支付
O7,B,S1,团购,2025-06-30 10:00,10,已支付
"""
COOP = """
流水号,社区编号,记账日期,类型,金额,社员编号,商户编号,用途
E1,A,2025-05-05,销售收入,200,M1,,
E2,A,2025-05-12,销售收入,100,M2,,
E3,A,2025-05-20,成本支出,50,,,包装材料
E4,A,2025-05-10,代收点租金,30,,S2,五月租金
E5,A,2025-06-10,销售收入,60,M1,,
E6,A,2025-06-11,销售收入,30,M2,,
E7,A,2025-06-12,成本支出,10,,,快递费
E8,A,2025-06-20,公共基金支出,20,,,门口代收点雨棚
E9,A,2025-06-15,代收点租金,30,,S2,六月租金
"""
JUNE = "2025-06-01"


@pytest.fixture(scope="module")
def coop_db(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("coop_page"), {"communities": COMMUNITIES, "sellers": SELLERS,
                                                             "orders": ORDERS, "coop": COOP})
    users.add(db, "dir_a", "director", PASSWORD, community="A")
    users.add(db, "mem_a", "member", PASSWORD, community="A")
    users.add(db, "off_j", "official", PASSWORD, street="金桥街道")
    users.add(db, "root", "admin", PASSWORD)
    return db


@pytest.fixture
def downloads(coop_db, monkeypatch):
    """(file name, bytes) of every download the page offers."""
    monkeypatch.setenv("LINLI_DB", str(coop_db))
    offered: list[tuple[str, bytes]] = []
    original = streamlit.download_button

    def record(label, data, *args, **kwargs):
        offered.append((kwargs.get("file_name", ""), data if isinstance(data, bytes) else b""))
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", record)
    return offered


def open_as(db, name: str, page: str = "coop", community: str = "A", period: str = JUNE) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", "c": community, "g": "month", "p": period})
    for key, value in auth.session_for(users.lookup(db, name)).items():
        at.session_state[key] = value
    return at.switch_page(f"screens/{page}.py").run()   # straight to the page, as a link opens it


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The shown table holding `column` (st.table escapes Markdown: A\\-S001 reads A-S001)."""
    found = [tb.value for tb in at.table if column in [c.replace("\\", "") for c in tb.value.columns]]
    assert found, column
    frame = found[0]
    return frame.rename(columns=lambda c: c.replace("\\", "")).map(
        lambda x: x.replace("\\", "") if isinstance(x, str) else x)


def csv_of(offered, what: str) -> pd.DataFrame:
    data = [d for name, d in offered if name.endswith(f"_{what}.csv")]
    assert data, (what, [n for n, _ in offered])
    return pd.read_csv(io.BytesIO(data[-1]), encoding="utf-8-sig")


def test_the_director_reads_the_whole_books_of_june(coop_db, downloads):
    at = open_as(coop_db, "dir_a")
    assert not at.exception, [e.value for e in at.exception]
    shown = tiles(at)
    assert shown[metric_name("coop.sales_yuan", "zh")] == "¥90.00"
    assert shown[metric_name("coop.costs_yuan", "zh")] == "¥10.00"
    assert shown[metric_name("coop.profit_yuan", "zh")] == "¥80.00"
    assert shown[metric_name("coop.members_share_yuan", "zh")] == "¥56.00"
    assert shown[metric_name("coop.coop_share_yuan", "zh")] == "¥16.00"
    assert shown[metric_name("coop.fund_accrued_yuan", "zh")] == "¥8.00"
    assert shown[metric_name("coop.fund_spent_yuan", "zh")] == "¥20.00"
    assert shown[metric_name("coop.fund_balance_yuan", "zh")] == "¥13.00"
    assert shown[metric_name("coop.active_members", "zh")] == "2"
    assert any("社员 70% · 合作社 20% · 公共基金 10%（默认比例" in c.value for c in at.caption)

    ledger = table_with(at, "余额（元）")   # newest first
    assert list(ledger["日期"]) == ["2025年6月30日", "2025年6月20日", "2025年5月31日"]
    assert list(ledger["收支"]) == ["提取", "支出", "提取"]
    assert list(ledger["用途"]) == ["2025年6月利润提取", "门口代收点雨棚", "2025年5月利润提取"]
    assert list(ledger["余额（元）"]) == ["¥13.00", "¥5.00", "¥25.00"]

    statement = table_with(at, "应分金额（元）")
    assert list(statement["社员编号"]) == ["M1", "M2"]
    assert list(statement["应分金额（元）"]) == ["¥37.33", "¥18.67"]
    assert list(statement["占社员分配"]) == ["66.7%", "33.3%"]

    assert [e.value for e in at.error] == [t("coop.reconcile.alert", "zh", period="2025年6月", books="¥90.00",
                                             orders="¥100", share="10.0%")]
    unpaid = table_with(at, "商户编号")
    assert list(unpaid["商户编号"]) == ["S1", "S3"]


def test_every_table_downloads_with_numbers_as_numbers(coop_db, downloads):
    open_as(coop_db, "dir_a")
    ledger = csv_of(downloads, "公共基金台账")
    assert list(ledger["余额（元）"]) == [25.0, 5.0, 13.0] and list(ledger["金额（元）"]) == [25.0, 20.0, 8.0]
    statements = csv_of(downloads, "社员对账单")
    assert list(statements["应分金额（元）"]) == [37.33, 18.67]
    assert round(statements["应分金额（元）"].sum(), 2) == 56.00
    check = csv_of(downloads, "合作社订单核对")
    assert list(check["期间"]) == ["2025年6月", "2025年5月"] and list(check["差额（元）"]) == [-10.0, 0.0]
    assert list(check["相差比例"]) == [0.1, 0.0]
    assert list(csv_of(downloads, "代收点租金")["租金（元）"]) == [30.0]
    assert list(csv_of(downloads, "未记租金商户")["商户编号"]) == ["S1", "S3"]


@pytest.mark.parametrize("name", ["mem_a", "off_j"])
def test_a_member_or_an_official_reads_the_fund_ledger_only(coop_db, downloads, name):
    at = open_as(coop_db, name)
    assert not at.exception, [e.value for e in at.exception]
    assert t("coop.ledger_only", "zh") in [i.value for i in at.info]
    assert set(tiles(at)) == {metric_name(m, "zh") for m in
                              ("coop.fund_accrued_yuan", "coop.fund_spent_yuan", "coop.fund_balance_yuan")}
    assert tiles(at)[metric_name("coop.fund_balance_yuan", "zh")] == "¥13.00"
    assert list(table_with(at, "余额（元）")["用途"]) == ["2025年6月利润提取", "门口代收点雨棚", "2025年5月利润提取"]
    heads = [h.value for h in at.subheader]
    assert not [h for h in heads if "对账单" in h or "租金" in h or "核对" in h], heads
    # no producer's earnings, no seller's rent in what the page shows or offers
    assert not [tb for tb in at.table if "社员编号" in tb.value.columns or "商户编号" in tb.value.columns]
    assert [n for n, _ in downloads if n.endswith(".csv")] == [n for n, _ in downloads if "公共基金台账" in n]
    assert not [d for _, d in downloads if b"M1" in d or b"S3" in d]


def test_a_community_without_books_reads_not_imported_not_zero(coop_db, downloads):
    at = open_as(coop_db, "root", community="B")
    assert not at.exception, [e.value for e in at.exception]
    shown = tiles(at)
    assert shown[metric_name("coop.sales_yuan", "zh")] == "未导入"
    assert shown[metric_name("coop.fund_balance_yuan", "zh")] == "未导入"
    assert "¥0.00" not in shown.values() and "0" not in shown.values()
    note = t("feed.not_imported", "zh", feed="合作社账目")
    # said once, under the fund's tiles; no chart or list below it (none would read "nothing" either)
    assert [i.value for i in at.info].count(note) == 1
    assert t("chart.empty", "zh") not in [i.value for i in at.info] and not at.table
    assert not [h for h in at.subheader if "台账" in h.value or "对账单" in h.value]
    assert not [n for n, _ in downloads if n.endswith(".csv")]


def test_the_monthly_check_names_what_the_fund_paid_for_and_its_balance(coop_db, downloads):
    at = open_as(coop_db, "dir_a", page="monthly")
    assert not at.exception, [e.value for e in at.exception]
    paid = table_with(at, "用途")
    assert list(paid["用途"]) == ["门口代收点雨棚"] and list(paid["日期"]) == ["2025年6月20日"]
    assert list(paid["金额（元）"]) == ["¥20.00"]
    assert t("check.coop_fund.balance", "zh", balance="¥13.00", accrued="¥8.00", spent="¥20.00") in \
        [c.value for c in at.caption]
    numbers = table_with(at, "指标")
    row = numbers[numbers["指标"] == metric_name("coop.fund_balance_yuan", "zh")]
    assert list(row["本期"]) == ["¥13.00"]


def test_the_monthly_check_of_a_community_without_books_says_not_imported(coop_db, downloads):
    at = open_as(coop_db, "root", page="monthly", community="B")
    assert not at.exception, [e.value for e in at.exception]
    assert t("feed.not_imported", "zh", feed="合作社账目") in [i.value for i in at.info]
    numbers = table_with(at, "指标")
    row = numbers[numbers["指标"] == metric_name("coop.fund_balance_yuan", "zh")]
    assert list(row["本期"]) == ["未导入"]


def test_june_is_the_month_the_page_opens_on(coop_db, downloads):
    """No period asked for: the latest complete month (the books and the orders both reach June)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", "c": "A"})
    for key, value in auth.session_for(users.lookup(coop_db, "dir_a")).items():
        at.session_state[key] = value
    at.switch_page("screens/coop.py").run()   # straight to the page, as a link opens it
    assert at.caption[0].value.endswith("2025年6月")


def test_a_month_before_the_first_entry_says_the_fund_has_none(coop_db, downloads):
    at = open_as(coop_db, "dir_a", period="2025-04-01")
    assert not at.exception, [e.value for e in at.exception]
    assert t("coop.ledger.empty", "zh") in [i.value for i in at.info]
    assert tiles(at)[metric_name("coop.fund_balance_yuan", "zh")] == "¥0.00"
    at = open_as(coop_db, "dir_a", page="monthly", period="2025-04-01")
    assert not at.exception, [e.value for e in at.exception]
    assert t("check.coop_fund.none", "zh") in [s.value for s in at.success]


def test_a_month_the_fund_paid_nothing_says_so_in_words(coop_db, downloads):
    # May: no 公共基金支出 row; the fund set aside 10% of 300 − 50 = ¥25.00 and holds it
    at = open_as(coop_db, "dir_a", period="2025-05-01")
    tile = next(m for m in at.metric if m.label == metric_name("coop.fund_spent_yuan", "zh"))
    assert (tile.value, tile.delta) == ("没有支出", "")      # April paid nothing either: no ¥0.00 change under it
    at = open_as(coop_db, "dir_a", page="monthly", period="2025-05-01")
    assert not at.exception, [e.value for e in at.exception]
    numbers = table_with(at, "本期").set_index("指标")
    assert numbers.loc["公共基金支出", "本期"] == "没有支出"
    assert any(c.value == "公共基金月末余额 ¥25.00（本月提取 ¥25.00，没有支出）。" for c in at.caption)
    report = next(a for a in at.text_area if a.label == "报告正文").value
    # April, before the cooperative's first entry, paid nothing either
    assert "合作社公共基金：公共基金本月没有支出，上月也没有；公共基金余额¥25.00，比上月增加¥25.00。" in report
    assert "¥0.00" not in report
    # June paid ¥20.00 after a May of nothing: the number and its change, as any other
    june = next(a for a in open_as(coop_db, "dir_a", page="monthly").text_area if a.label == "报告正文").value
    assert "公共基金支出¥20.00，比上月增加¥20.00" in june
