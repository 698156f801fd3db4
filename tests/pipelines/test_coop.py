"""The cooperative's books (issue 20): the coop feed, the split rule and the coop.* metrics against a
fixture worked out by hand — a month with a loss, a split changed mid-year, a fund payment larger than
the balance, and statements that add up to the members' share to the fen."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.build.runner import build
from pipelines.errors import UserError
from pipelines.ingest.store import import_file, undo
from pipelines.records.access import NotAllowed
from pipelines.records.coop_split import in_force, set_split, splits
from pipelines.records.users import Account
from tests.conftest import Kpi, build_store, rows, write

# The books of A, by hand (default split 70/20/10 until the split adopted on 2025-07-02):
# May   sales 100 + 120 + 90.01 = 310.01, costs 60 -> profit 250.01: members 175.007 -> 175.01, fund 25.001 -> 25.00,
#       cooperative 250.01 - 175.01 - 25.00 = 50.00; fund paid 5 (May 31) -> balance 20.00; rent 30 (S1)
# June  sales 40, costs 100 -> a loss of 60: members 0, fund 0, cooperative -60; fund paid 50 (more than the
#       20 it holds) -> balance -30.00; rent 20 (S2, not selling in June)
# July  split 60/25/15 adopted on July 2: July still uses 70/20/10 (in force on July 1). sales 300, costs 50
#       -> profit 250: members 175, fund 25, cooperative 50; balance -5.00
# Aug   60/25/15: sales 50 + 50, costs 19.99 -> profit 80.01: members 48.006 -> 48.01, fund 12.0015 -> 12.00,
#       cooperative 20.00; balance 7.00
COOP = """A社区合作社账目（2025年）
流水号,社区,记账日期,类型,金额,社员编号,商户编号,用途
E1,A,2025-05-05,销售收入,100.00,M1,,
E2,A,2025/5/12,销售收入,120,13800138000,,
E3,A,2025-05-19,销售收入,90.01,M3,,
E4,A,2025-05-20,成本支出,60,,,包装纸箱
E5,A,2025-05-31,公共基金支出,5,,,门口代收点雨棚定金
E6,A,2025-05-10,代收点租金,30,,S1,五月租金
E7,A,2025-06-10,销售收入,40,M1,,
E8,A,2025-06-12,成本支出,100,,,快递费
E9,A,2025-06-20,公共基金支出,50,,,儿童阅读角书架 联系人13900139000
E10,A,2025-07-01,销售收入,200,M1,,
E11,A,2025-07-02,销售收入,100,M3,,
E12,A,2025-07-15,成本支出,50,,,
E13,A,2025-08-05,销售收入,50,M1,,
E14,A,2025-08-05,销售收入,50,M2,,
E15,A,2025-08-06,成本支出,19.99,,,
E16,A,2025-06-18,代收点租金,20,,S2,六月租金
E90,A,2025-06-01,成本支出,-5,,,退款
E91,A,2025-06-01,捐款,5,,,
E92,A,2025-06-01,代收点租金,5,,S9,
"""
FEEDS = {
    "communities": "community_id,name,households\nA,A社区,300\nB,B社区,200\n",
    "sellers": "seller_id,community_id,kind\nS1,A,coop\nS2,A,shop\nS3,A,shop\n",
    "orders": """order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
O1,A,S1,合作社,2025-05-05 10:00,300,已支付
O2,A,S1,合作社,2025-05-20 10:00,100,已退款
O3,A,S2,团购,2025-05-06 09:00,50,已支付
O4,A,S3,直播,2025-06-03 12:00,80,已取消
O5,A,S1,合作社,2025-07-08 10:00,200,已支付
O6,B,S1,团购,2025-06-03 10:00,10,已支付
""",
    "coop": COOP,
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("coop"), FEEDS)
    # two adoptions for the same day: the one recorded last is the one in force
    set_split(db, "A", 50, 30, 20, effective_from=dt.date(2025, 7, 2))
    set_split(db, "A", "60", "25", "15", effective_from=dt.date(2025, 7, 2))
    assert build(db).mode == "incremental"
    return db


def _month(kpi, period, metric):
    return kpi("A", "month", period, metric)


MONTHS = {   # metric -> May, June, July, August
    "coop.sales_yuan": (310.01, 40, 300, 100),
    "coop.costs_yuan": (60, 100, 50, 19.99),
    "coop.profit_yuan": (250.01, -60, 250, 80.01),
    "coop.members_share_yuan": (175.01, 0, 175, 48.01),
    "coop.fund_accrued_yuan": (25.00, 0, 25, 12.00),
    "coop.coop_share_yuan": (50.00, -60, 50, 20.00),
    "coop.fund_spent_yuan": (5, 50, 0, 0),
    "coop.fund_balance_yuan": (20.00, -30.00, -5.00, 7.00),
    "coop.active_members": (3, 1, 2, 2),
    "coop.rent_yuan": (30, 20, 0, 0),
}


@pytest.mark.parametrize("metric", sorted(MONTHS))
def test_every_coop_month_equals_the_hand_worked_books(store, metric):
    kpi = Kpi(store)
    got = [_month(kpi, p, metric) for p in ("2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01")]
    assert got == pytest.approx(list(MONTHS[metric]), abs=1e-9)


def test_a_week_takes_the_split_in_force_on_its_monday(store):
    kpi = Kpi(store)
    # week of 30 June: sales 200 + 100, nothing else; on Monday 30 June the split was still 70/20/10
    assert kpi("A", "week", "2025-06-30", "coop.members_share_yuan") == pytest.approx(210)
    assert kpi("A", "week", "2025-06-30", "coop.fund_accrued_yuan") == pytest.approx(30)
    assert kpi("A", "week", "2025-06-30", "coop.coop_share_yuan") == pytest.approx(60)
    # week of 4 August: sales 100, costs 19.99 -> 80.01 under 60/25/15, as the month
    assert kpi("A", "week", "2025-08-04", "coop.members_share_yuan") == pytest.approx(48.01)
    assert kpi("A", "week", "2025-08-04", "coop.fund_accrued_yuan") == pytest.approx(12.00)
    # week of 19 May: 90.01 - 60 = 30.01: members 21.007 -> 21.01, fund 3.001 -> 3.00, cooperative 6.00
    assert kpi("A", "week", "2025-05-19", "coop.members_share_yuan") == pytest.approx(21.01)
    assert kpi("A", "week", "2025-05-19", "coop.coop_share_yuan") == pytest.approx(6.00)
    # weekly balance: 10 (wk 5 May) + 12 (wk 12 May) + 3 (wk 19 May) - 5 (31 May) = 20, then -50 on 20 June
    assert kpi("A", "week", "2025-05-19", "coop.fund_balance_yuan") == pytest.approx(25.00)
    assert kpi("A", "week", "2025-05-26", "coop.fund_balance_yuan") == pytest.approx(20.00)
    assert kpi("A", "week", "2025-06-16", "coop.fund_balance_yuan") == pytest.approx(-30.00)


def test_the_period_mart_names_the_split_it_used(store):
    used = rows(store, """SELECT period_start::VARCHAR, members_pct, coop_pct, fund_pct FROM mart_coop_period
                          WHERE community_id = 'A' AND grain = 'month' ORDER BY period_start""")
    assert used == [("2025-05-01", 70, 20, 10), ("2025-06-01", 70, 20, 10), ("2025-07-01", 70, 20, 10),
                    ("2025-08-01", 60, 25, 15)]


def test_a_community_without_books_has_zeros(store):
    kpi = Kpi(store)
    assert kpi("B", "month", "2025-06-01", "coop.sales_yuan") == 0
    assert kpi("B", "month", "2025-06-01", "coop.fund_balance_yuan") == 0
    assert kpi("B", "month", "2025-06-01", "coop.active_members") == 0


def test_statements_add_up_to_the_members_share_to_the_fen(store):
    got = rows(store, """SELECT month::VARCHAR, member_id, sales_yuan, share_yuan FROM mart_coop_statements
                         WHERE community_id = 'A' ORDER BY month, member_id""")
    by_month = {}
    for month, member, sales, share in got:
        by_month.setdefault(month, {})[member] = (sales, share)
    may = by_month["2025-05-01"]
    phone_member = next(m for m in may if m not in ("M1", "M3"))
    # 175.01 in proportion to 100 : 120 : 90.01 is 56.4530…, 67.7436…, 50.8134…: the floors leave one fen, which
    # goes to the largest remainder (the phone member's .36)
    assert may["M1"] == (100, 56.45) and may["M3"] == (90.01, 50.81) and may[phone_member] == (120, 67.75)
    assert by_month["2025-06-01"] == {"M1": (40, 0)}                       # a loss: nothing to share
    assert by_month["2025-07-01"] == {"M1": (200, 116.67), "M3": (100, 58.33)}
    # 48.01 halved: 24.005 each; the odd fen goes to the smaller member id
    assert by_month["2025-08-01"] == {"M1": (50, 24.01), "M2": (50, 24.00)}
    share = dict(rows(store, "SELECT period_start::VARCHAR, members_share_yuan FROM mart_coop_period "
                             "WHERE community_id = 'A' AND grain = 'month'"))
    for month, members in by_month.items():
        assert round(sum(round(s * 100) for _, s in members.values())) == round(share[month] * 100), month


def test_the_fund_ledger_runs_accrued_before_spent_and_goes_below_zero(store):
    ledger = rows(store, """SELECT entry_key, day::VARCHAR, kind, amount_yuan, purpose, entry_id, balance_yuan
                            FROM mart_coop_fund_ledger WHERE community_id = 'A' ORDER BY balance_yuan IS NULL, day, kind""")
    assert ledger == [
        ("accrued:2025-05", "2025-05-31", "accrued", 25.0, None, None, 25.0),
        ("spent:E5", "2025-05-31", "spent", 5.0, "门口代收点雨棚定金", "E5", 20.0),
        ("spent:E9", "2025-06-20", "spent", 50.0, "儿童阅读角书架 联系人139****9000", "E9", -30.0),
        ("accrued:2025-07", "2025-07-31", "accrued", 25.0, None, None, -5.0),
        ("accrued:2025-08", "2025-08-31", "accrued", 12.0, None, None, 7.0),
    ]


def test_rent_per_seller_names_active_sellers_who_paid_none(store):
    got = rows(store, """SELECT month::VARCHAR, seller_id, rent_yuan, has_rent, active FROM mart_coop_rent
                         WHERE community_id = 'A' ORDER BY month, seller_id""")
    # S3's only order was cancelled: not active; S2 paid June's rent without selling in June
    assert got == [("2025-05-01", "S1", 30.0, True, True), ("2025-05-01", "S2", 0.0, False, True),
                   ("2025-06-01", "S2", 20.0, True, False), ("2025-07-01", "S1", 0.0, False, True)]


def test_reconciliation_with_the_coop_store_orders(store):
    got = {p: r for p, *r in rows(store, """SELECT period_start::VARCHAR, coop_sales_yuan, coop_store_orders_yuan,
                                                   difference_yuan, difference_share, over_threshold
                                            FROM mart_coop_reconcile WHERE community_id = 'A' AND grain = 'month'""")}
    # May: books 310.01 against paid orders 300 (the refunded 100 is not paid): 10.01, 3.3 %, within 5 %
    assert got["2025-05-01"][:3] == pytest.approx([310.01, 300, 10.01])
    assert got["2025-05-01"][3] == pytest.approx(10.01 / 300) and got["2025-05-01"][4] is False
    # June: no shop orders at all: no share to judge
    assert got["2025-06-01"] == [40, 0, 40, None, None]
    # July: books 300 against 200: half again as much, over the threshold
    assert got["2025-07-01"] == [300, 200, 100, 0.5, True]


def test_bad_rows_are_quarantined_with_their_reason(store):
    reasons = dict(rows(store, "SELECT row_key, reason_zh FROM quarantine WHERE kind = 'coop'"))
    assert set(reasons) == {"A\x1fE90", "A\x1fE91", "A\x1fE92"}
    assert "负" in reasons["A\x1fE90"]
    assert "无法识别" in reasons["A\x1fE91"] and "公共基金支出（fund_spend）" in reasons["A\x1fE91"]
    assert "S9" in reasons["A\x1fE92"]


def test_a_member_id_that_is_a_phone_number_is_stored_hashed(store):
    con = duckdb.connect(str(store), read_only=True)
    try:
        member = con.execute("SELECT member_id FROM stg_coop WHERE entry_id = 'E2'").fetchone()[0]
        stored = [str(r) for t in ("raw_coop", "quarantine", "stg_coop", "mart_coop_statements", "audit_log")
                  for r in con.execute(f"SELECT * FROM {t}").fetchall()]
    finally:
        con.close()
    assert member and "13800138000" not in member and "8000" not in member
    assert not any("13800138000" in r or "13900139000" in r for r in stored)


def test_split_history_newest_first_and_in_force(store):
    history = splits(store, "A")
    assert [(s["effective_from"], float(s["members_pct"])) for s in history] == [
        (dt.date(2025, 7, 2), 60), (dt.date(2025, 7, 2), 50)]
    assert in_force(history, dt.date(2025, 7, 1)) == (70, 20, 10)
    assert in_force(history, dt.date(2025, 7, 2)) == (60, 25, 15)
    assert splits(store, "B") == []
    trail = rows(store, "SELECT community_id, detail FROM audit_log WHERE action = 'coop_split' ORDER BY seq")
    assert [c for c, _ in trail] == ["A", "A"] and '"members_pct": "60"' in trail[-1][1]


@pytest.mark.parametrize("parts, says", [
    ((70, 20, 20), "加起来是 110"), ((110, -20, 10), "0 到 100"), (("七十", 20, 10), "不是数字"),
    ((70.555, 19.445, 10), "两位"),
])
def test_a_split_that_is_not_three_parts_of_100_is_refused(tmp_path, parts, says):
    db = build_store(tmp_path, {"communities": "community_id,name\nA,A社区\n"})
    with pytest.raises(UserError) as refused:
        set_split(db, "A", *parts)
    assert says in refused.value.message("zh") and refused.value.message("en")
    assert splits(db, "A") == []


def test_only_a_director_of_the_community_or_an_admin_sets_the_split(tmp_path):
    db = build_store(tmp_path, {"communities": "community_id,name\nA,A社区\nB,B社区\n"})
    stamp = dt.datetime(2025, 6, 1)
    director = Account("dir_a", "director", "A", None, stamp)
    with pytest.raises(NotAllowed):
        set_split(db, "A", 70, 20, 10, account=Account("mem_a", "member", "A", None, stamp))
    with pytest.raises(NotAllowed):
        set_split(db, "B", 70, 20, 10, account=director)
    with pytest.raises(NotAllowed):
        set_split(db, "A", 70, 20, 10, account=Account("off", "official", None, "金桥街道", stamp))
    row = set_split(db, "A", 80, 10, 10, effective_from=dt.date(2025, 1, 1), account=director)
    assert row["changed_by"] == "dir_a"
    set_split(db, "B", 80, 10, 10, account=Account("root", "admin", None, None, stamp))
    assert [s["community_id"] for s in splits(db, "A") + splits(db, "B")] == ["A", "B"]


def test_the_command_line_sets_and_refuses_in_both_languages(tmp_path, capsys, monkeypatch):
    from pipelines.cli.main import main
    db = str(tmp_path / "cli.duckdb")
    assert main(["--db", db, "coop", "split", "A", "--members", "70", "--coop", "20", "--fund", "20"]) == 1
    assert "三份比例加起来是 110，不是 100" in capsys.readouterr().err
    monkeypatch.setenv("LINLI_LANG", "en")
    assert main(["--db", db, "coop", "split", "A", "--members", "101", "--coop", "0", "--fund", "-1"]) == 1
    assert "not between 0 and 100" in capsys.readouterr().err
    monkeypatch.setenv("LINLI_LANG", "zh")
    assert main(["--db", db, "coop", "split", "A", "--members", "72.5", "--coop", "17.5", "--fund", "10",
                 "--from", "2025-04-01"]) == 0
    assert "从 2025年4月1日起，社员 72.5%、合作社 17.5%、公共基金 10%" in capsys.readouterr().out
    assert main(["--db", db, "coop", "split", "A"]) == 0
    shown = capsys.readouterr().out
    assert "社员 72.5%" in shown and "2025-04-01\t72.5\t17.5\t10" in shown
    assert splits(db, "A")[0]["changed_by"].startswith("os:")


def test_the_split_outlives_undo_and_a_fresh_start_of_the_imported_data(tmp_path):
    from pipelines.build.afresh import start_afresh
    db = build_store(tmp_path, {"communities": "community_id,name\nA,A社区\n", "coop": COOP})
    set_split(db, "A", 60, 30, 10, effective_from=dt.date(2025, 1, 1))
    last = rows(db, "SELECT max(import_id) FROM imports")[0][0]
    undo(db, last)
    build(db)
    assert len(splits(db, "A")) == 1
    assert start_afresh(db) is True
    assert [float(s["members_pct"]) for s in splits(db, "A")] == [60]


def test_undo_of_a_coop_import_gives_back_the_books_before_it(tmp_path):
    db = build_store(tmp_path, {"communities": "community_id,name\nA,A社区\n", "coop": COOP})
    before = Kpi(db)
    # the June costs were 10, not 100: June makes a profit of 30 (members 21, fund 3), and the balance follows
    report = import_file(db, "coop", write(tmp_path / "fix.csv", "流水号,社区,记账日期,类型,金额\nE8,A,2025-06-12,成本支出,10\n"))
    assert build(db).mode == "incremental"
    fixed = Kpi(db)
    assert fixed("A", "month", "2025-06-01", "coop.members_share_yuan") == pytest.approx(21)
    assert fixed("A", "month", "2025-06-01", "coop.fund_balance_yuan") == pytest.approx(-27)
    assert fixed("A", "month", "2025-08-01", "coop.fund_balance_yuan") == pytest.approx(
        before("A", "month", "2025-08-01", "coop.fund_balance_yuan") + 3)
    undo(db, report.import_id)
    build(db)
    assert Kpi(db).values == before.values


def test_a_gbk_register_with_other_headers_and_chinese_dates_imports(tmp_path):
    text = ("社区手工坊2025年6月流水账\n凭证号,社区编号,日期,科目,发生额,社员,摘要\n"
            "V1,A,2025年6月3日,销售,88.8,M1,\nV2,A,2025/6/4,费用,8.8,,快递\nV3,A,2025-06-05,公共基金,10,,雨棚\n")
    db = tmp_path / "gbk.duckdb"
    import_file(db, "communities", write(tmp_path / "c.csv", "community_id,name\nA,A社区\n"))
    report = import_file(db, "合作社", write(tmp_path / "流水.csv", text, encoding="gbk"))
    assert report.rows_new == 3 and report.quarantined == []
    build(db)
    assert rows(db, "SELECT entry_id, booked_on::VARCHAR, kind, amount_yuan::DOUBLE, member_id, purpose FROM stg_coop "
                    "ORDER BY entry_id") == [("V1", "2025-06-03", "sale", 88.8, "M1", None),
                                             ("V2", "2025-06-04", "cost", 8.8, None, "快递"),
                                             ("V3", "2025-06-05", "fund_spend", 10.0, None, "雨棚")]
    assert Kpi(db)("A", "month", "2025-06-01", "coop.fund_balance_yuan") == pytest.approx(8.0 - 10)
