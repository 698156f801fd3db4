"""The demo's cooperative (issue 20 item 5, pipelines/demo/coop.py): community A's 社区手工坊 keeps books from
the data's second quarter; its fund pays for the gate point's rain canopy and a children's reading corner,
and its balance is what it accrued less what it spent.

44 weeks ending Sunday 9 November 2025 start on Monday 6 January: the books open on 1 May (13 weeks in,
on a month's first), the gate point on 7 July (week 26), the canopy is paid on 28 July, the reading corner
on 27 October; the third month (July) misses its last six days of sales."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.build.runner import current_snapshot
from pipelines.demo.generate import run_demo
from pipelines.records.coop_split import splits


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo_coop") / "linli.duckdb"
    run_demo(db, communities=1, weeks=44, seed=7, say=lambda _: None, end=dt.date(2025, 11, 9))
    con = duckdb.connect(str(current_snapshot(db)), read_only=True)
    yield db, con
    con.close()


def test_the_fund_balance_is_what_it_accrued_less_what_it_spent(demo):
    _, con = demo
    accrued, spent, balance, last = con.execute("""
        SELECT sum(fund_accrued_yuan), sum(fund_spent_yuan), arg_max(fund_balance_yuan, period_start),
               max(period_start)
        FROM mart_coop_period WHERE community_id = 'A' AND grain = 'month'""").fetchone()
    assert last == dt.date(2025, 11, 1)
    assert accrued > 0 and spent == 6800 + 5600
    assert balance == pytest.approx(accrued - spent, abs=0.005)
    ledger = con.execute("""SELECT sum(amount_yuan) FILTER (WHERE kind = 'accrued'),
                                   sum(amount_yuan) FILTER (WHERE kind = 'spent'), arg_max(balance_yuan, day)
                            FROM mart_coop_fund_ledger WHERE community_id = 'A'""").fetchone()
    assert ledger[0] == pytest.approx(accrued, abs=0.005) and ledger[1] == spent
    assert ledger[2] == pytest.approx(balance, abs=0.005)
    kpi = con.execute("""SELECT value FROM kpi WHERE community_id = 'A' AND grain = 'month'
                         AND period_start = DATE '2025-11-01' AND metric = 'coop.fund_balance_yuan'""").fetchone()
    assert kpi[0] == pytest.approx(balance, abs=0.005)


def test_the_fund_pays_for_the_canopy_and_the_reading_corner(demo):
    _, con = demo
    paid = con.execute("""SELECT day, amount_yuan, purpose FROM mart_coop_fund_ledger
                          WHERE community_id = 'A' AND kind = 'spent' ORDER BY day""").fetchall()
    assert paid == [(dt.date(2025, 7, 28), 6800.0, "门口代收点雨棚"), (dt.date(2025, 10, 27), 5600.0, "儿童阅读角")]
    # never more than the fund holds: the canopy comes after May's and June's accruals
    assert con.execute("""SELECT min(balance_yuan) FROM mart_coop_fund_ledger WHERE community_id = 'A'""").fetchone()[0] > 0


def test_the_books_start_in_the_second_quarter_and_follow_the_coop_store(demo):
    _, con = demo
    rows = con.execute("""SELECT period_start, coop_sales_yuan, over_threshold FROM mart_coop_reconcile
                          WHERE community_id = 'A' AND grain = 'month' AND period_start >= DATE '2025-05-01'
                          ORDER BY 1""").fetchall()
    assert [r[0] for r in rows][0] == dt.date(2025, 5, 1) and all(r[1] > 0 for r in rows)
    assert con.execute("""SELECT max(sales_yuan) FROM mart_coop_period WHERE community_id = 'A' AND grain = 'month'
                          AND period_start < DATE '2025-05-01'""").fetchone()[0] == 0
    # every month matches the paid co-op store orders but July, whose last six days were never booked
    assert [r[0] for r in rows if r[2]] == [dt.date(2025, 7, 1)]


def test_costs_are_packaging_and_courier_and_rent_starts_with_the_gate_point(demo):
    db, _ = demo
    con = duckdb.connect(str(db), read_only=True)
    try:
        purposes = {r[0] for r in con.execute("SELECT DISTINCT purpose FROM stg_coop WHERE kind = 'cost'").fetchall()}
        first_rent = con.execute("SELECT min(booked_on) FROM stg_coop WHERE kind = 'rent'").fetchone()[0]
    finally:
        con.close()
    assert purposes == {"包装材料", "快递费"}
    assert first_rent == dt.date(2025, 7, 9)   # two days after the gate point opens


def test_the_split_is_the_committee_s_record_from_the_books_first_month(demo):
    db, _ = demo
    history = splits(db, "A")
    assert [(s["effective_from"], int(s["members_pct"]), int(s["coop_pct"]), int(s["fund_pct"])) for s in history] \
        == [(dt.date(2025, 12, 1), 65, 20, 15), (dt.date(2025, 5, 1), 70, 20, 10)]
