"""AppTest: 操作记录 (issue 16 item 10). Each entry reads as a sentence in the UI language; the person,
kind and date filters narrow the list; in the open demo a change made in the browser is the browser's
(浏览器（演示）), not the command line's."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines.database import writing
from pipelines.records import actions, users
from tests.conftest import build_store
from tests.pipelines import test_kpi as fx

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse 9"
COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("audit"), {"communities": COMMUNITIES, "orders": fx.ORDERS})


def copy_of(built: Path, folder: Path) -> Path:
    copy = folder / "t.duckdb"
    shutil.copy(built, copy)
    shutil.copytree(built.with_name(built.stem + ".serving"), copy.with_name(copy.stem + ".serving"))
    return copy


def stored(db, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def trail_db(built, tmp_path_factory):
    """Accounts root (admin) and 王干部 (A's director); 王干部 logs in on 3 June and closes item 1 on
    4 June; the accounts were added from the command line on 2 June."""
    db = copy_of(built, tmp_path_factory.mktemp("trail"))
    users.add(db, "root", "admin", PASSWORD)
    users.add(db, "王干部", "director", PASSWORD, community="A")
    users.authenticate(db, "王干部", PASSWORD)
    with writing(db) as con:
        item = actions.add_action(con, "A", "3栋门口快递堆放", user="王干部")
        actions.update_action(con, item, status="done", user="王干部")
        con.execute("""UPDATE audit_log SET recorded_at = CASE
                         WHEN action IN ('import', 'user.add') THEN TIMESTAMP '2025-06-02 09:00'
                         WHEN action = 'login.ok' THEN TIMESTAMP '2025-06-03 09:00'
                         ELSE TIMESTAMP '2025-06-04 10:30' END""")
    return db


def audit_page(db, monkeypatch, name: str | None) -> AppTest:
    monkeypatch.setenv("LINLI_DB", str(db))
    from dashboard import queries
    queries._audit_trail.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh"})
    if name:
        for key, value in auth.session_for(users.lookup(db, name)).items():
            at.session_state[key] = value
    at.switch_page("screens/audit.py").run()   # straight to the page, as a link opens it
    assert not at.exception, [e.value for e in at.exception]
    return at


def entries(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["内容"]) if at.dataframe else []


def test_each_entry_reads_as_a_sentence_newest_first(trail_db, monkeypatch):
    at = audit_page(trail_db, monkeypatch, "root")
    shown = entries(at)
    assert shown[:3] == ["王干部 把整改事项 1 改为已完成（原为待办）", "王干部 新增了整改事项 1（手动添加）", "王干部 登录成功"]
    assert "命令行 添加了账号 王干部（社区主任，A）" in shown
    table = at.dataframe[0].value
    assert list(table.columns) == ["时间", "内容", "操作人", "操作", "社区"]
    assert table["时间"].iloc[0] == "2025年6月4日 10:30"
    assert not any("{" in s or "action." in s for s in shown)
    # the newest as lines read whole (a phone's grid cuts a sentence at its column's edge)
    lines = next(m.value for m in at.markdown if m.value.startswith("- **")).split("\n")
    assert lines[0] == "- **2025年6月4日 10:30** 王干部 把整改事项 1 改为已完成（原为待办） · A"
    assert len(lines) == len(shown)


def test_the_filters_narrow_the_list_by_person_kind_and_dates(trail_db, monkeypatch):
    at = audit_page(trail_db, monkeypatch, "root")
    everything = len(entries(at))
    at.selectbox(key="audit_person").set_value("王干部").run()
    assert entries(at) == ["王干部 把整改事项 1 改为已完成（原为待办）", "王干部 新增了整改事项 1（手动添加）", "王干部 登录成功"]
    at.selectbox(key="audit_kind").set_value("actions").run()
    assert entries(at) == ["王干部 把整改事项 1 改为已完成（原为待办）", "王干部 新增了整改事项 1（手动添加）"]
    at.selectbox(key="audit_person").set_value("").run()
    at.selectbox(key="audit_kind").set_value("").run()
    assert len(entries(at)) == everything
    at.date_input(key="audit_days").set_value((dt.date(2025, 6, 2), dt.date(2025, 6, 3))).run()
    narrowed = entries(at)
    assert "王干部 登录成功" in narrowed and not any("整改事项" in s for s in narrowed)
    assert len(narrowed) == everything - 2
    assert any("显示" in c.value and f"共 {everything} 条" in c.value for c in at.caption)
    at.selectbox(key="audit_kind").set_value("actions").run()
    assert entries(at) == [] and at.info[-1].value == "没有符合这些条件的记录。请放宽操作人、类型或日期。"


def test_the_kind_filter_offers_kinds_in_words(trail_db, monkeypatch):
    at = audit_page(trail_db, monkeypatch, "root")
    kind = at.selectbox(key="audit_kind")
    assert kind.options[0] == "全部"
    assert {"整改事项", "导入与撤销", "账号", "登录成功"} <= set(kind.options)
    assert at.selectbox(key="audit_person").options == ["全部", "命令行", "王干部"]


def test_in_the_open_demo_a_change_made_in_the_browser_is_the_browsers(built, tmp_path, monkeypatch):
    db = copy_of(built, tmp_path)
    monkeypatch.setenv("LINLI_DB", str(db))
    from dashboard import queries
    queries._governance.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh", "c": "A", "g": "week", "p": "2025-06-02"})
    at.switch_page("screens/weekly.py").run()   # straight to the page, as a link opens it
    at.text_input(key="gov_title").input("联系驿站加派人手")
    (button,) = [b for b in at.button if b.proto.form_id == "gov_by_hand_A"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert stored(db, "SELECT user_name FROM audit_log WHERE action = 'action.add'") == [("web:demo",)]
    page = audit_page(db, monkeypatch, None)
    assert entries(page)[0] == "浏览器（演示）新增了整改事项 1（手动添加）"
    assert page.dataframe[0].value["操作人"].iloc[0] == "浏览器（演示）"
    assert "命令行" not in page.dataframe[0].value["操作人"].iloc[0]
