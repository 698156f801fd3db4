"""AppTest: the 协商议题 page and the 整改事项 panel of the check pages, on a small store whose weekly
noise complaints are worked out by hand.

Noise complaints a week: 10, 12, 11, 13 in the four weeks before the agreement (2025-04-14, a Monday)
and 8, 9, 7, 8 in the four after; a complaint on 2025-05-12 makes the last of those weeks complete.
Effect (see tests/pipelines/test_effect.py): before 11.5, after 8.0, change −3.5, threshold √3 ≈ 1.7.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.database import writing
from pipelines.records import actions, cases
from tests.conftest import build_store
from tests.dashboard.test_pages import rows_in

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
AGREED = dt.date(2025, 4, 14)
WEEKLY_NOISE = [10, 12, 11, 13, 8, 9, 7, 8]
COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
"""


def _complaints() -> str:
    lines = ["complaint_id,community_id,received_at,occurred_at,category,building_id,seller_id,source,resolved_at"]
    first = AGREED - dt.timedelta(weeks=4)
    for week, n in enumerate(WEEKLY_NOISE):
        day = first + dt.timedelta(weeks=week, days=1)
        for i in range(n):
            t = f"{day} 15:{i:02d}"
            lines.append(f"N{week}-{i},A,{t},{t},livestream_noise,B1,,wechat,{day} 18:00")
    lines.append("X1,A,2025-05-12 10:00,2025-05-12 10:00,other,B1,,wechat,2025-05-12 12:00")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("cases"), {"communities": COMMUNITIES, "complaints": _complaints()})


@pytest.fixture
def db(built, tmp_path, monkeypatch):
    copy = tmp_path / "t.duckdb"
    shutil.copy(built, copy)
    shutil.copytree(built.with_name(built.stem + ".serving"), copy.with_name(copy.stem + ".serving"))
    monkeypatch.setenv("LINLI_DB", str(copy))
    from dashboard import queries
    queries._governance.clear()     # the cache is keyed by path; every test's store is new
    return copy


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12))


def record_case(db) -> int:
    with writing(db) as con:
        case = cases.add_case(con, "A", "夜间直播噪音", on=dt.date(2025, 3, 3), at=at_noon(dt.date(2025, 3, 3)))
        cases.add_party(con, case, "3栋居民代表", "居民", on=dt.date(2025, 3, 10), at=at_noon(dt.date(2025, 3, 10)))
        cases.add_meeting(con, case, dt.date(2025, 4, 2), "各方同意限时直播，联系电话 13800138000", "居民 4 人",
                            at=at_noon(dt.date(2025, 4, 2)))
        cases.agree(con, case, "直播只在白天进行", AGREED, at=at_noon(AGREED))
        cases.link_metric(con, case, "complaints.noise", at=at_noon(AGREED))
    return case


def open_page(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh", **params})
    at.switch_page(f"screens/{page}.py").run()   # straight to the page, as a link opens it (总览 not rendered first)
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def submit(at: AppTest, form: str) -> AppTest:
    (button,) = [b for b in at.button if b.proto.form_id == form]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def stored(db, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_case_page_shows_steps_parties_meetings_timeline_and_the_effect(db):
    record_case(db)
    at = open_page("cases")
    assert at.title[0].value == "协商议题"
    shown = markdown(at)
    assert "收集议题 ✓ → 邀请各方 ✓ → 协商会议 ✓ → **形成方案** → 监督落实 → 已结案" in shown
    assert "**方案**（2025年4月14日）：直播只在白天进行" in shown
    assert any("第 1 次会议 · 2025年4月2日 · 居民 4 人" in m and "138\\*\\*\\*\\*8000" in m for m in shown)
    assert not any("13800138000" in m for m in shown)
    assert ("直播噪音投诉：方案前 4 周平均 11.5，方案后 4 周平均 8.0，变化 −3.5，超出平常的周波动（±1.7），"
            "可以认为有变化，方向是变好。") in shown
    parties, timeline = at.table[0].value, at.table[1].value
    assert list(parties["参与方"]) == ["3栋居民代表"] and list(parties["身份"]) == ["居民"]
    assert list(timeline["日期"]) == ["2025年3月3日", "2025年3月10日", "2025年4月2日", "2025年4月14日", "2025年4月14日",
                                     "2025年4月14日"]
    assert list(timeline["经过"])[:3] == ["进入步骤：收集议题", "邀请参与方：3栋居民代表（居民）", "召开会议：第 1 次会议"]
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["方案前", "方案后"]
    assert rows_in(chart) == 8      # a point for each of the 4 weeks before and the 4 after


def test_a_case_recorded_on_the_page_is_stored_with_its_history(db):
    at = open_page("cases")
    assert "还没有协商议题。" in [i.value for i in at.info]
    at.text_input(key="new_case_title").input("电梯口堆放杂物")
    at.date_input(key="new_case_on").set_value(dt.date(2025, 5, 6))
    submit(at, "new_case")
    assert "已保存。" in [s.value for s in at.success]
    assert stored(db, "SELECT case_id, title, step FROM consult_cases") == [(1, "电梯口堆放杂物", "collect")]
    assert stored(db, "SELECT event_on::VARCHAR, kind, text FROM consult_timeline") == [("2025-05-06", "step", "collect")]
    # moved on to 邀请各方 from its own form, dated
    at.selectbox(key="case1_step_pick").set_value("invite")
    at.date_input(key="case1_step_on").set_value(dt.date(2025, 5, 9))
    submit(at, "case1_step")
    assert stored(db, "SELECT field, old_value, new_value FROM consult_history ORDER BY rowid")[-1] == (
        "step", "collect", "invite")
    assert "收集议题 ✓ → **邀请各方** → 协商会议 → 形成方案 → 监督落实 → 已结案" in markdown(at)


def test_the_weekly_check_lists_items_marks_the_overdue_and_shows_last_weeks(db):
    with writing(db) as con:
        # recorded in the week before 2025-05-05, about the noise count (13 → 8 → … see the module doc)
        actions.add_action(con, "A", "楼栋长上门提醒", metric="complaints.noise", owner="楼栋长",
                              due_on=dt.date(2025, 5, 2), at=at_noon(dt.date(2025, 4, 30)))
        done = actions.add_action(con, "A", "群内发布直播时段", due_on=dt.date(2025, 4, 20),
                                     at=at_noon(dt.date(2025, 4, 15)))
        actions.update_action(con, done, status="done")
    at = open_page("weekly", c="A", g="week", p="2025-05-05")
    late = f"待办 · 已逾期 {(dt.date.today() - dt.date(2025, 5, 2)).days} 天"    # the status in words, once
    shown = markdown(at)
    assert shown.index("**#1 楼栋长上门提醒**") < shown.index("**#2 群内发布直播时段**")
    assert f":red[**{late}**]" in shown and "**已完成**" in shown       # done: never overdue
    assert "有 1 项整改事项已过截止日期仍未完成（标为“已逾期”）。" in [w.value for w in at.warning]
    assert "**上周（2025年第18周 · 4月28日–5月4日）定下的整改事项，以及指标此后的变化**" in markdown(at)
    last = [t.value for t in at.table if "上周" in t.value.columns][0]
    assert last.to_dict("records") == [{"事项": "楼栋长上门提醒", "状态": late, "指标": "直播噪音投诉",
                                        "上周": "7", "本周": "8", "变化": "+1"}]


def test_an_item_added_by_hand_on_the_check_page_then_done(db):
    at = open_page("weekly", c="A", g="week", p="2025-05-05")
    at.text_input(key="gov_title").input("联系 13912345678 的住户")
    at.selectbox(key="gov_metric").set_value("complaints.noise")
    at.text_input(key="gov_owner").input("王芳")
    submit(at, "gov_by_hand_A")
    assert stored(db, "SELECT action_id, title, metric, owner, status, source FROM action_items") == [
        (1, "联系 139****5678 的住户", "complaints.noise", "王芳", "open", "hand")]
    at.button(key="gov_set_1_done").click().run()     # one tap on the item itself
    assert stored(db, "SELECT status FROM action_items") == [("done",)]
    assert stored(db, "SELECT field, old_value, new_value FROM action_items_history ORDER BY rowid")[-1] == (
        "status", "open", "done")
    assert stored(db, "SELECT action FROM audit_log WHERE action LIKE 'action.%' ORDER BY seq") == [
        ("action.add",), ("action.status",)]


def test_an_empty_title_is_refused_on_the_page_and_nothing_is_stored(db):
    with writing(db) as con:
        actions.ensure(con)
    at = open_page("weekly", c="A", g="week", p="2025-05-05")
    submit(at, "gov_by_hand_A")
    assert any("整改事项需要一个标题" in e.value for e in at.error)
    assert stored(db, "SELECT count(*) FROM action_items") == [(0,)]


def test_the_glossary_states_the_effect_method(db):
    at = open_page("glossary")
    assert "协商议题的“效果”怎么算" in [s.value for s in at.subheader]
    assert any("2 × σ × √(1/方案前周数 + 1/方案后周数)" in m for m in markdown(at))


def test_an_official_reads_cases_and_items_but_gets_no_form(db):
    from dashboard import auth
    from pipelines.records import users
    record_case(db)
    users.add(db, "off_j", "official", "correct horse 9", street="金桥街道")
    for page, params in (("cases", {}), ("weekly", {"c": "A", "g": "week", "p": "2025-05-05"})):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update({"lang": "zh", **params})
        for key, value in auth.session_for(users.lookup(db, "off_j")).items():
            at.session_state[key] = value
        at.switch_page(f"screens/{page}.py").run()   # straight to the page, as a link opens it
        assert not at.exception, [e.value for e in at.exception]
        assert not [b for b in at.button if b.proto.form_id], page      # no form to submit
        if page == "cases":
            assert "收集议题 ✓ → 邀请各方 ✓ → 协商会议 ✓ → **形成方案** → 监督落实 → 已结案" in markdown(at)
    assert "街道干部账号只能查看整改事项和协商议题，不能修改。" in [c.value for c in at.caption]


def test_an_item_made_from_an_alert_takes_its_short_title_metric_and_subject(db):
    at = open_page("weekly", c="A", g="week", p="2025-05-05")
    picked = at.selectbox(key="gov_alert_pick")
    # the fixture's week: no parcel feed (a stale-feed alert), and B1's 8 noise complaints
    assert picked.options[1] == "B1本期收到 8 次直播噪音投诉，建议入户沟通。"
    picked.set_value(1).run()
    assert at.text_input(key="gov_alert_title_1").value == "B1直播噪音入户沟通"
    at.text_input(key="gov_alert_owner").input("楼栋长")
    submit(at, "gov_from_alert_A")
    assert stored(db, "SELECT title, metric, subject, owner, status, source FROM action_items") == [
        ("B1直播噪音入户沟通", "complaints.repeat_buildings", "B1", "楼栋长", "open", "alert")]
