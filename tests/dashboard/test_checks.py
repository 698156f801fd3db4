"""每周检查 and 每月检查 on the hand-worked fixture: each point, the overdue list, the complaints to
follow up, the printable sheet, and the window rule's start marked on the noise chart."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def open_page(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh", **params})
    at.switch_page(f"screens/{page}.py").run()   # straight to the page, as a link opens it (总览 not rendered first)
    assert not at.exception, [e.message for e in at.exception]
    return at


def table(at: AppTest, column: str):
    """The table holding `column`, as the viewer reads it: st.table renders Markdown, so the page escapes
    every cell (12\\:00 shows as 12:00); the escapes are taken off here."""
    found = next(t.value for t in at.table if column in t.value.columns)
    return found.map(lambda x: re.sub(r"\\(.)", r"\1", x) if isinstance(x, str) else x)


@pytest.fixture
def weekly(fixture_db, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(fixture_db))
    return open_page("weekly", c="A", g="week", p="2025-06-02")


def test_weekly_check_shows_each_point_against_its_capacity(weekly):
    points = table(weekly, "峰值占用率")
    # 东门驿站 (capacity 4) held K1, K2, K3 at 11:00 on 2 June: 3 of 4; K3 and K4 waited past 72 hours there
    row = points[points["代收点名称"] == "东门驿站"].iloc[0]
    assert (row["容量"], row["峰值在库"], row["峰值占用率"], row["状态"], row["超时包裹"]) == ("4", "3", "75.0%", "正常", "2")


def test_weekly_check_lists_the_overdue_parcels_with_their_point(weekly):
    heads = [s.value for s in weekly.subheader]
    assert "超时包裹清单（2 件）" in heads
    overdue = table(weekly, "运单号")
    # K4 never picked up (still waiting first), K3 picked up after 73 hours; K2's exactly 72 hours is not overdue
    assert list(overdue["运单号"]) == ["K4", "K3"]
    assert list(overdue["代收点名称"]) == ["东门驿站", "东门驿站"]
    assert list(overdue["取件时间"]) == ["仍未取", "2025年6月5日 12:00"]
    assert "楼栋" not in overdue.columns        # the fixture's parcels record no building


def test_weekly_check_lists_the_complaints_still_open_at_the_week_end(weekly):
    follow = table(weekly, "投诉编号")
    # C2 never resolved; C4 resolved at 00:00 on 9 June, which is after the week's end (SPEC §5)
    assert list(follow["投诉编号"]) == ["C2", "C4"]
    assert list(follow["类型"]) == ["直播噪音", "快递堆放"]
    repeat = table(weekly, "楼栋名称")
    assert list(repeat["楼栋名称"]) == ["1栋"] and list(repeat["噪音投诉"]) == [2]


def test_the_printable_sheet_holds_the_sections_of_the_page(weekly):
    sheet = next(b for b in weekly.get("download_button") if b.proto.label == "下载可打印检查表（HTML）")
    assert sheet is not None
    assert "linli-print-hint" in "".join(h.proto.body for h in weekly.get("html"))


def test_alert_rule_editor_lists_the_defaults(weekly):
    rules = next(e for e in weekly.dataframe if "阈值" in e.value.columns).value
    assert list(rules["rule"])[:3] == ["noise_outside", "repeat_buildings", "overdue"]
    assert rules[rules["rule"] == "near_capacity"]["阈值"].iloc[0] == pytest.approx(90.0)   # a share, as a percentage


def test_monthly_check_marks_the_day_the_window_rule_started(tmp_path_factory, monkeypatch):
    from pipelines.ingest.store import set_rules
    from tests.conftest import build_store
    from tests.dashboard.conftest import BUILDINGS, POINTS
    from tests.pipelines import test_kpi as fx
    folder = tmp_path_factory.mktemp("rule")
    db = build_store(folder, {"communities": fx.COMMUNITIES, "buildings": BUILDINGS, "points": POINTS,
                              "orders": fx.ORDERS, "parcels": fx.PARCELS, "complaints": fx.COMPLAINTS})
    set_rules(db, "A", "09:00", "20:00", None, __import__("datetime").date(2025, 6, 3))
    monkeypatch.setenv("LINLI_DB", str(db))
    at = open_page("monthly", c="A", g="month", p="2025-06-01")
    assert "虚线：直播时段 09:00–20:00 自2025年6月3日起执行。" in [c.value for c in at.caption]
    assert "没有去年同月的数据，只与上月比较。" in [c.value for c in at.caption]
    numbers = table(at, "上期")
    assert "去年同期" not in numbers.columns



# One point, capacity 20, holding 17 parcels from 10:00 to 20:00 on 2 June: its peak is 85 %.
NEAR_POINTS = """
point_id,community_id,name,kind,capacity
PN,A,北门驿站,station,20
"""
NEAR_PARCELS = "parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at\n" + "".join(
    f"N{i},A,PN,中通,2025-06-02 10:00,2025-06-02 20:00\n" for i in range(17))


@pytest.fixture(scope="module")
def near_db(tmp_path_factory):
    from tests.conftest import build_store
    from tests.pipelines import test_kpi as fx
    return build_store(tmp_path_factory.mktemp("near"), {"communities": fx.COMMUNITIES, "points": NEAR_POINTS,
                                                         "parcels": NEAR_PARCELS})


@pytest.mark.parametrize("near_rule, state", [(None, "正常"), (0.8, "接近满载")])
def test_a_points_state_follows_the_communitys_near_capacity_rule_as_its_alert_does(near_db, tmp_path, monkeypatch,
                                                                                    near_rule, state):
    """The weekly point table reads the same stored rule as the alert box: at the default (90 %) a point at 85 %
    is 正常 and raises no alert; where the community set its near-capacity rule to 80 % it is 接近满载 in the
    table and the alert names it."""
    from dashboard import queries
    from pipelines.build.runner import serving_dir
    from pipelines.database import writing
    from pipelines.records import alert_rules
    db = tmp_path / "t.duckdb"
    shutil.copy(near_db, db)
    shutil.copytree(serving_dir(near_db), serving_dir(db))
    if near_rule is not None:
        with writing(db) as con:
            alert_rules.set_rule(con, "A", "near_capacity", account=None, threshold=near_rule)
    queries._alert_rules.clear()     # the pages reread the rules every few seconds; the test does not wait
    monkeypatch.setenv("LINLI_DB", str(db))
    at = open_page("weekly", c="A", g="week", p="2025-06-02")
    row = table(at, "峰值占用率").iloc[0]
    assert (row["代收点名称"], row["容量"], row["峰值在库"], row["峰值占用率"], row["状态"]) == \
        ("北门驿站", "20", "17", "85.0%", state)
    alerts = [w.value for w in at.warning] + [e.value for e in at.error]
    near_alert = "北门驿站峰值占用达到容量的 85.0%，接近满载。建议延长取件时间或临时增设存放点，并提醒居民尽快取件。"
    assert (near_alert in alerts) == (near_rule is not None), alerts
