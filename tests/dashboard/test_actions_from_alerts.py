"""An action item from an alert, and moving items on (issue 16, item 5): a short title to edit, the points
the alert names as its subjects, one tap for done or in progress, the status in words once."""
from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from pipelines.database import writing
from pipelines.records import actions
from tests.dashboard.test_checks import open_page

# 东门驿站 (capacity 2) holds 3 parcels from 10:00 on 2 June: 150 %, over capacity. Six parcels are never
# picked up: 3 at 东门驿站, 2 at 西门驿站, 1 at 快递柜, so the overdue alert names all three points.
POINTS = """
point_id,community_id,name,kind,capacity
PA,A,东门驿站,station,2
PB,A,西门驿站,station,10
PC,A,快递柜,locker,10
"""
PARCELS = """parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at
P1,A,PA,中通,2025-06-02 10:00,
P2,A,PA,中通,2025-06-02 10:00,
P3,A,PA,中通,2025-06-02 10:00,
P4,A,PB,中通,2025-06-02 10:00,
P5,A,PB,中通,2025-06-02 10:00,
P6,A,PC,中通,2025-06-02 10:00,
P7,A,PC,中通,2025-06-08 22:00,2025-06-08 23:00
"""
OVERDUE = "6 件包裹超过 72 小时未取（占到件 85.7%）。其中东门驿站 3 件、西门驿站 2 件、快递柜 1 件。"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from tests.conftest import build_store
    from tests.pipelines import test_kpi as fx
    return build_store(tmp_path_factory.mktemp("from_alerts"), {"communities": fx.COMMUNITIES, "points": POINTS,
                                                                "parcels": PARCELS})


@pytest.fixture
def db(built, tmp_path, monkeypatch):
    from dashboard import queries
    copy = tmp_path / "t.duckdb"
    shutil.copy(built, copy)
    shutil.copytree(built.with_name(built.stem + ".serving"), copy.with_name(copy.stem + ".serving"))
    monkeypatch.setenv("LINLI_DB", str(copy))
    queries._governance.clear()     # keyed by path; every test's store is new
    return copy


def stored(db, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def submit(at, form: str):
    (button,) = [b for b in at.button if b.proto.form_id == form]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]


def pick(at, text_start: str) -> int:
    picker = at.selectbox(key="gov_alert_pick")
    i = next(i for i, o in enumerate(picker.options) if o.startswith(text_start))
    picker.set_value(i).run()
    return i


def test_a_capacity_alert_prefills_a_short_title_and_its_point(db):
    at = open_page("weekly", c="A", g="week", p="2025-06-02")
    i = pick(at, "东门驿站峰值占用达到容量的 150.0%，超出容量。")
    assert at.text_input(key=f"gov_alert_title_{i}").value == "东门驿站超出容量"
    assert at.multiselect(key=f"gov_alert_subjects_{i}").value == ["PA"]
    at.text_input(key=f"gov_alert_title_{i}").input("东门驿站周末加派一人")   # the title is the user's to edit
    at.text_input(key="gov_alert_owner").input("驿站负责人")
    submit(at, "gov_from_alert_A")
    assert stored(db, "SELECT title, metric, subject, owner, source FROM action_items") == [
        ("东门驿站周末加派一人", "parcels.peak_occupancy_ratio", "PA", "驿站负责人", "alert")]


def test_the_overdue_alerts_subjects_are_the_three_points_it_names(db):
    at = open_page("weekly", c="A", g="week", p="2025-06-02")
    i = pick(at, OVERDUE)
    assert at.text_input(key=f"gov_alert_title_{i}").value == "清理超时包裹（6 件）"
    subjects = at.multiselect(key=f"gov_alert_subjects_{i}")
    assert subjects.value == ["PA", "PB", "PC"]          # 东门驿站, 西门驿站, 快递柜, as the alert lists them
    submit(at, "gov_from_alert_A")
    assert stored(db, "SELECT title, metric, subject FROM action_items") == [
        ("清理超时包裹（6 件）", "parcels.overdue", "PA、PB、PC")]
    # the item's card names the points, not their ids
    assert "对象 东门驿站、西门驿站、快递柜 · 指标 超时包裹" in [c.value for c in at.caption]


def test_one_tap_marks_an_item_in_progress_then_done_and_the_status_reads_once(db):
    today = dt.date.today()
    with writing(db) as con:
        late = actions.add_action(con, "A", "联系东门驿站加派人手", metric="parcels.overdue", subject="PA",
                                  due_on=today - dt.timedelta(days=3))
    at = open_page("weekly", c="A", g="week", p="2025-06-02")
    words = [m.value for m in at.markdown]
    assert ":red[**待办 · 已逾期 3 天**]" in words
    assert not [w for w in words if "（已逾期）" in w]
    at.button(key=f"gov_set_{late}_in_progress").click().run()
    with writing(db) as con:
        assert actions.get_action(con, late).status == "in_progress"
    assert ":red[**进行中 · 已逾期 3 天**]" in [m.value for m in at.markdown]
    at.button(key=f"gov_set_{late}_done").click().run()
    with writing(db) as con:
        assert actions.get_action(con, late).status == "done"
    assert "**已完成**" in [m.value for m in at.markdown]      # done: never overdue
    assert stored(db, "SELECT field, old_value, new_value FROM action_items_history WHERE field = 'status' "
                      "ORDER BY rowid") == [("status", None, "open"), ("status", "open", "in_progress"),
                                            ("status", "in_progress", "done")]
