"""The demo lives in the present (issue 16 item 6, SPEC §2): its data ends on the last Sunday before the day
it is run, or on `--end`, and its stories move with the data."""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

import pipelines.demo.generate as demo
from pipelines.cli.main import main


@pytest.mark.parametrize("today, sunday", [
    (dt.date(2026, 12, 7), dt.date(2026, 12, 6)),     # a Monday: yesterday
    (dt.date(2026, 12, 9), dt.date(2026, 12, 6)),     # a Wednesday
    (dt.date(2026, 12, 6), dt.date(2026, 11, 29)),    # a Sunday: the week before, today is not over
])
def test_the_default_end_is_the_last_sunday_before_today(today, sunday):
    assert demo.last_sunday_before(today) == sunday


def test_demo_files_written_today_end_on_last_sunday(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "today", lambda: dt.date(2026, 12, 9))
    files = {p.name: p for _, p in demo.write_demo_files(tmp_path, communities=1, weeks=2, seed=3)}
    orders = pl.read_csv(files["A社区_订单导出.csv"].read_bytes().decode("gb18030").split("\n", 1)[1].encode())
    days = {s.split(" ")[0] for s in orders["下单时间"]}
    # two whole weeks, Monday 23 Nov to Sunday 6 Dec, every day of them with orders
    assert min(days) == "2026/11/23" and max(days) == "2026/12/6"
    assert len(days) == 14


@pytest.fixture(scope="module")
def pinned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo_end")
    db = folder / "linli.duckdb"
    assert main(["--db", str(db), "demo", "--yes", "--communities", "1", "--weeks", "30", "--end", "2026-11-29",
                 "--out", str(folder / "demo")]) == 0
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def test_end_gives_data_whose_latest_event_is_on_that_sunday(pinned):
    (end,) = pinned.execute("SELECT max(data_end) FROM period_spine WHERE community_id = 'A'").fetchone()
    assert end.date() == dt.date(2026, 11, 29)
    (last_order,) = pinned.execute("SELECT max(ordered_at) FROM cur_orders").fetchone()
    assert last_order.date() == dt.date(2026, 11, 29)
    (first_week,) = pinned.execute("SELECT min(period_start) FROM kpi WHERE grain = 'week'").fetchone()
    assert first_week == dt.date(2026, 5, 4)        # 30 whole weeks: Monday 4 May to Sunday 29 November


def test_the_stories_move_with_the_data(pinned):
    # 30 weeks from Monday 4 May 2026: the rule in week 14 (10 Aug), the gate point in week 26 (2 Nov)
    cases = pinned.execute("SELECT title, step, agreed_on FROM consult_cases ORDER BY case_id").fetchall()
    assert cases == [("夜间直播噪音扰民", "supervise", dt.date(2026, 8, 10)),
                     ("快递在单元门口堆放", "supervise", dt.date(2026, 11, 2)),
                     ("老年人不会用手机取件、网购", "invite", None)]
    (solution,) = pinned.execute("SELECT solution FROM consult_cases WHERE case_id = 2").fetchone()
    assert solution.endswith("11月2日启用")
    rules = pinned.execute("SELECT effective_from FROM community_rules_history WHERE community_id = 'A'").fetchall()
    assert rules == [(dt.date(2026, 8, 10),)]
    # the late-night noise falls after the rule, as before
    before, after = pinned.execute("""
        SELECT avg(value) FILTER (WHERE period_start < DATE '2026-08-10'),
               avg(value) FILTER (WHERE period_start >= DATE '2026-08-10')
        FROM kpi WHERE grain = 'week' AND community_id = 'A' AND metric = 'complaints.noise_outside_hours'""").fetchone()
    assert after < before / 2
    # the residents' own measure is linked to the noise case
    linked = {m for (m,) in pinned.execute("SELECT metric FROM consult_metrics WHERE case_id = 1").fetchall()}
    assert "feedback.late_noise_share" in linked
    # every state of an action item, none created after the data ends
    actions = pinned.execute("SELECT status, created_at FROM action_items").fetchall()
    assert {s for s, _ in actions} == {"open", "in_progress", "done"}
    assert max(c for _, c in actions).date() <= dt.date(2026, 11, 29)
    # the open items fall due after the data's end (this week and next), so the demo is not overdue at once
    due = pinned.execute("SELECT due_on FROM action_items WHERE status = 'open' ORDER BY 1").fetchall()
    assert due == [(dt.date(2026, 12, 4),), (dt.date(2026, 12, 11),)]


def test_end_must_be_a_sunday(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(tmp_path / "linli.duckdb"), "demo", "--end", "2026-11-30"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "2026-11-30 不是星期日" in err and "2026-11-29" in err
    assert not (tmp_path / "linli.duckdb").exists()
