"""每月检查's feedback round on a hand-made store: each building's feedback beside its complaints, a round
entered by hand through the form (kpi moves exactly, the import history lists it, undo removes it, a phone
number in a comment is masked), and an official sees no form."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines.present.i18n import metric_name
from pipelines.records import users
from tests.conftest import Kpi, build_store
from tests.dashboard.conftest import hand_worked_feeds, store_copy

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
JUNE = "2025-06-01"
# June in A: B1 has F1, F2, F5 (2 of 3 dissatisfied; 1 of 3 heard noise), B2 F3, F4 (1 of 2; F3 not asked,
# so 1 of 1); F7 names no building, so it counts in kpi but in no building's row. F6 is May's; F8 B's.
FEEDBACK = """
编号,社区编号,回访日期,楼栋编号,评价,夜间是否听到直播噪音,意见
F1,A,2025-06-20,B1,不满意,是,晚上11点还在直播
F2,A,2025-06-20,B1,满意,否,
F3,A,2025-06-21,B2,一般,,
F4,A,2025-06-21,B2,不满意,是,
F5,A,2025-06-22,B1,不满意,否,
F6,A,2025-05-20,B1,满意,否,
F7,A,2025-06-22,,满意,是,
F8,B,2025-06-22,,不满意,是,
"""
PASSWORD = "correct horse 9"


@pytest.fixture(scope="module")
def feedback_db(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("feedback"), hand_worked_feeds(feedback=FEEDBACK))
    users.add(db, "off_j", "official", PASSWORD, street="金桥街道")
    users.add(db, "dir_a", "director", PASSWORD, community="A")
    return db


@pytest.fixture
def db(feedback_db, tmp_path, monkeypatch):
    """A copy per test: the form changes the store."""
    return store_copy(feedback_db, tmp_path, monkeypatch)


def monthly(db, name: str | None = "dir_a") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", "c": "A", "g": "month", "p": JUNE})
    if name:
        for key, value in auth.session_for(users.lookup(db, name)).items():
            at.session_state[key] = value
    at.switch_page("screens/monthly.py").run()   # straight to the page, as a link opens it
    assert not at.exception, [e.message for e in at.exception]
    return at


def table(at: AppTest, column: str):
    """The table (full or scrolling) holding `column`; st.table escapes Markdown, taken off here."""
    found = next(t.value for t in [*at.table, *at.dataframe] if column in t.value.columns)
    return found.map(lambda x: re.sub(r"\\(.)", r"\1", x) if isinstance(x, str) else x)


def test_each_building_shows_its_feedback_beside_its_noise_complaints(db):
    at = monthly(db)
    assert "各楼栋的回访与噪音投诉" in [s.value for s in at.subheader]
    rows = table(at, "夜间听到噪音占比")
    # B1: 2 of 3 dissatisfied, 1 of 3 heard noise, C1 and C2; B2: 1 of 2, 1 of 1 asked, C3 and C6
    assert list(rows["楼栋名称"]) == ["1栋", "2栋"]            # the higher dissatisfied share first
    assert list(rows["回访户数"]) == ["3", "2"]
    assert list(rows["不满意占比"]) == ["66.7%", "50.0%"]
    assert list(rows["夜间听到噪音占比"]) == ["33.3%", "100.0%"]
    assert list(rows["本月噪音投诉"]) == ["2", "2"]
    # the month's three numbers: 6 responses in June, 3 of them dissatisfied, 3 yes of 5 asked
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[metric_name("feedback.responses", "zh")] == "6"
    assert tiles[metric_name("feedback.dissatisfied_share", "zh")] == "50.0%"
    assert tiles[metric_name("feedback.late_noise_share", "zh")] == "60.0%"


def test_the_building_download_holds_numbers(db, monkeypatch):
    import streamlit

    offered = {}
    original = streamlit.download_button

    def record(label, data, *args, **kwargs):
        offered[kwargs.get("key")] = data
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", record)
    monthly(db)
    text = offered["dl_check_feedback_buildings"].decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "楼栋名称,回访户数,不满意占比,夜间听到噪音占比,本月噪音投诉"
    name, responses, share, noise, complaints = lines[1].split(",")
    assert (name, responses, complaints) == ("1栋", "3", "2")
    assert float(share) == pytest.approx(2 / 3) and float(noise) == pytest.approx(1 / 3)


def enter_round(at: AppTest, rows: list[dict], day=None) -> AppTest:
    key = "feedback_rows_A_2025-06-01"
    at.session_state[key] = {"edited_rows": {}, "added_rows": rows, "deleted_rows": []}
    if day is not None:
        at.date_input(key="feedback_day_A_2025-06-01").set_value(day)
    at.button(key=next(b.key for b in at.button if b.label == "导入这一轮回访")).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_round_entered_by_hand_changes_kpi_and_can_be_undone(db):
    import datetime as dt

    at = monthly(db)
    before = Kpi(db)
    assert before("A", "month", JUNE, "feedback.responses") == 6
    enter_round(at, [
        {"楼栋": "2栋", "评价": "不满意", "夜间是否听到直播噪音": "是", "意见": "请回电 13812345678"},
        {"楼栋": "1栋", "评价": "不满意", "夜间是否听到直播噪音": "未问", "意见": ""},
    ], day=dt.date(2025, 6, 25))
    assert any("已导入 2025年6月25日 的 2 户回访" in s.value for s in at.success), [s.value for s in at.success]
    after = Kpi(db)
    # 8 responses, 5 of them dissatisfied; the second was not asked about noise: 4 yes of 6 asked
    assert after("A", "month", JUNE, "feedback.responses") == 8
    assert after("A", "month", JUNE, "feedback.dissatisfied_share") == pytest.approx(5 / 8)
    assert after("A", "month", JUNE, "feedback.late_noise_share") == pytest.approx(4 / 6)
    rows = table(at, "夜间听到噪音占比")          # the page reads the new build
    assert list(rows["楼栋名称"]) == ["1栋", "2栋"] and list(rows["回访户数"]) == ["4", "3"]
    assert list(rows["不满意占比"]) == ["75.0%", "66.7%"]

    con = duckdb.connect(str(db), read_only=True)
    try:
        history = con.execute("SELECT import_id, file_name, kind, status FROM imports ORDER BY import_id").fetchall()
        stored = dict(con.execute("SELECT response_id, comment FROM cur_feedback WHERE community_id = 'A' "
                                  "AND response_id LIKE 'A-H%'").fetchall())
    finally:
        con.close()
    import_id, file_name, kind, status = history[-1]
    assert (file_name, kind, status) == ("手工录入 2025年6月回访", "feedback", "applied")
    # the ids name the community, the day and a number; the phone number never reached the store
    assert sorted(stored) == ["A-H20250625-1", "A-H20250625-2"]
    assert "13812345678" not in stored["A-H20250625-1"] and "****" in stored["A-H20250625-1"]

    imports_page = at.switch_page("screens/data_import.py").run()
    listed = table(imports_page, "导入编号")
    assert list(listed.loc[listed["文件"] == "手工录入 2025年6月回访", "状态"]) == ["已生效"]

    imports_page.selectbox(key="undo_pick").set_value(import_id).run()     # undone like any import
    imports_page.button(key="undo_go").click().run()
    imports_page.button(key="undo_yes").click().run()       # the first click only asks
    assert not imports_page.exception
    listed = table(imports_page, "导入编号")
    assert list(listed.loc[listed["文件"] == "手工录入 2025年6月回访", "状态"]) == ["已撤销"]
    undone = Kpi(db)
    assert undone("A", "month", JUNE, "feedback.responses") == 6
    assert undone("A", "month", JUNE, "feedback.dissatisfied_share") == pytest.approx(0.5)


def test_a_second_round_on_the_same_day_takes_new_ids(db):
    import datetime as dt

    at = monthly(db)
    enter_round(at, [{"楼栋": "1栋", "评价": "满意", "夜间是否听到直播噪音": "否", "意见": ""}], day=dt.date(2025, 6, 25))
    enter_round(at, [{"楼栋": "1栋", "评价": "一般", "夜间是否听到直播噪音": "否", "意见": ""}], day=dt.date(2025, 6, 25))
    assert Kpi(db)("A", "month", JUNE, "feedback.responses") == 8     # neither replaced the other


def test_a_row_without_a_rating_is_refused_with_its_row_number(db):
    at = enter_round(monthly(db), [{"楼栋": "1栋", "评价": None, "夜间是否听到直播噪音": "是", "意见": "吵"}])
    assert "第 1 行没有选评价：每户都要选“满意”“一般”或“不满意”；不需要的行请选中后删除。" in [e.value for e in at.error]
    assert Kpi(db)("A", "month", JUNE, "feedback.responses") == 6


def test_an_official_sees_the_round_but_no_form(db):
    at = monthly(db, "off_j")
    assert list(table(at, "夜间听到噪音占比")["楼栋名称"]) == ["1栋", "2栋"]
    assert not [b for b in at.button if b.label == "导入这一轮回访"]
    assert not at.data_editor or all(not (e.key or "").startswith("feedback_rows") for e in at.data_editor)
    assert "这个账号只能查看回访结果；录入回访请联系本社区主任或治理小组成员。" in [c.value for c in at.caption]


def test_the_section_reads_in_english_too(db):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "en", "c": "A", "g": "month", "p": JUNE})
    for key, value in auth.session_for(users.lookup(db, "dir_a")).items():
        at.session_state[key] = value
    at.switch_page("screens/monthly.py").run()   # straight to the page, as a link opens it
    assert not at.exception, [e.message for e in at.exception]
    rows = table(at, "Heard noise at night")
    assert list(rows["Households asked"]) == ["3", "2"]
    assert [b for b in at.button if b.label == "Import this round"]
