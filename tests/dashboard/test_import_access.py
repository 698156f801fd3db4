"""The 数据导入 page under accounts (SPEC §9): who may import, a director held to his community on import
and undo, the history and quarantine cut to the viewer's communities, audit rows naming the user."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines.present.format import plain
from pipelines.present.i18n import t
from pipelines.records import users
from tests.conftest import Kpi, build_store
from tests.dashboard.conftest import BUILDINGS
from tests.pipelines import test_kpi as fx

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse 9"
COMMUNITIES = """
community_id,name,street,households
A,A社区,金桥街道,2000
B,B社区,花溪街道,1000
"""
B_BUILDINGS = """
building_id,community_id,name,households
B9,B,9栋,80
"""
# rows 3 and 4 are B's; one bad amount on row 4 would have been quarantined, had the file been taken
MIXED = ("order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"
         "N1,A,S1,group_buy,2025-06-03 10:00,30,paid\n"
         "N2,B,S9,group_buy,2025-06-03 11:00,70,paid\n"
         "N3,B,S9,group_buy,2025-06-04 11:00,-1,paid\n").encode()
OWN = ("order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"
       "N1,A,S1,group_buy,2025-06-03 10:00,30,paid\n"
       "N4,A,S2,group_buy,2025-06-04 10:00,20,paid\n").encode()
WEEK = "2025-06-02"


@pytest.fixture
def db(tmp_path, monkeypatch):
    # import 1: communities (A and B), 2: A's buildings, 3: B's buildings, 4: orders of A and B
    path = build_store(tmp_path, {"communities": COMMUNITIES, "buildings": BUILDINGS, "orders": fx.ORDERS})
    from pipelines.build.runner import build
    from pipelines.ingest.store import import_file
    from tests.conftest import write
    import_file(path, "buildings", write(tmp_path / "b_buildings.csv", B_BUILDINGS))
    build(path)
    users.add(path, "dir_a", "director", PASSWORD, community="A")
    users.add(path, "mem_b", "member", PASSWORD, community="B")
    users.add(path, "root", "admin", PASSWORD)
    monkeypatch.setenv("LINLI_DB", str(path))
    return path


def import_page(db, name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", "g": "week", "p": WEEK})
    for key, value in auth.session_for(users.lookup(db, name)).items():
        at.session_state[key] = value
    return at.switch_page("screens/data_import.py").run()   # straight to the page, as a link opens it


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception and not at.error
    return at.button(key=f"imp_{hashlib.sha256(data).hexdigest()[:12]}_go").click().run()


def kpi_of(db, community: str) -> dict:
    return {k: v for k, v in Kpi(db).values.items() if k[0] == community}


def store(db, sql: str) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_member_has_no_import_page_and_the_page_refuses_on_its_own(db, monkeypatch):
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in auth.session_for(users.lookup(db, "mem_b")).items():
        at.session_state[key] = value
    at.run()
    with pytest.raises(ValueError):      # not registered: the member's navigation lacks it
        at.switch_page("screens/data_import.py").run()
    # reached another way (the navigation listing it by mistake): the page itself says no, and offers nothing
    allowed = auth.can
    monkeypatch.setattr(auth, "can", lambda action: action != "import" and allowed(action))
    at = import_page(db, "dir_a")
    assert not at.exception
    assert at.title[0].value == t("page.import", "zh")
    assert at.warning[0].value == t("import.not_allowed", "zh")
    assert not at.file_uploader and not at.dataframe
    assert [b.key for b in at.button] == ["logout"]


def test_a_director_uploading_a_and_b_rows_is_refused_and_b_is_untouched(db):
    before_b, before_a = kpi_of(db, "B"), kpi_of(db, "A")
    imports_before = store(db, "SELECT import_id, status FROM imports ORDER BY 1")
    at = import_page(db, "dir_a")
    assert at.caption[0].value == t("import.scope_note", "zh", community="A")
    upload(at, "混合.csv", MIXED)
    assert not at.exception
    assert at.error[0].value == plain("文件《混合.csv》无法导入：第 3、4 行属于其他社区（B），这个账号只能导入本社区（A）的数据。"
                                       "文件没有导入任何一行；请删去这些行后重新上传，或请管理员导入。")
    assert kpi_of(db, "B") == before_b and kpi_of(db, "A") == before_a
    assert store(db, "SELECT import_id, status FROM imports ORDER BY 1") == imports_before
    assert store(db, "SELECT count(*) FROM quarantine WHERE file_name = '混合.csv'") == [(0,)]


def test_a_directors_own_file_imports_and_undoes_under_his_name_and_b_is_untouched(db):
    before_b = kpi_of(db, "B")
    orders_a = Kpi(db)("A", "week", WEEK, "orders.count")
    at = import_page(db, "dir_a")
    # his history and undo list: A's buildings (import 2) only; not the communities (A and B),
    # B's buildings (3) or the orders of A and B (4)
    assert at.selectbox(key="undo_pick").options == ["2 · buildings.csv"]
    history = at.dataframe[0].value
    assert list(history["导入编号"]) == [2]
    upload(at, "本社区.csv", OWN)
    assert not at.exception
    assert any("新增 2" in s.value for s in at.success)
    assert Kpi(db)("A", "week", WEEK, "orders.count") == orders_a + 2
    assert kpi_of(db, "B") == before_b
    user, action, community, detail = store(db, """SELECT user_name, action, community_id, detail FROM audit_log
                                                   WHERE action = 'import' ORDER BY seq DESC LIMIT 1""")[0]
    assert (user, action, community, json.loads(detail)["file"]) == ("dir_a", "import", "A", "本社区.csv")

    assert at.selectbox(key="undo_pick").options == ["5 · 本社区.csv", "2 · buildings.csv"]
    at.selectbox(key="undo_pick").set_value("5 · 本社区.csv")
    at.button(key="undo_go").click().run()
    at.button(key="undo_yes").click().run()       # the first click only asks
    assert any(s.value == t("import.undone", "zh", id=5, name=plain("本社区.csv")) for s in at.success)
    assert Kpi(db)("A", "week", WEEK, "orders.count") == orders_a
    assert store(db, "SELECT user_name, community_id FROM audit_log WHERE action = 'undo'") == [("dir_a", "A")]


def test_the_quarantine_shows_a_director_his_communitys_rows_only(db):
    # an admin's file of A and B, each with one bad amount: the admin sees both, A's director A's
    bad = ("order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"
           "Q1,A,S1,group_buy,2025-06-03 10:00,-3,paid\n"
           "Q2,B,S9,group_buy,2025-06-03 11:00,-4,paid\n").encode()
    admin = import_page(db, "root")
    upload(admin, "两个社区.csv", bad)
    assert not admin.exception
    rows = admin.dataframe[-1].value
    assert sorted(json.loads(r)["order_id"] for r in rows["原始内容"]) == ["Q1", "Q2"]
    director = import_page(db, "dir_a")
    rows = director.dataframe[-1].value
    assert [json.loads(r)["order_id"] for r in rows["原始内容"]] == ["Q1"]
    assert 5 not in set(director.dataframe[0].value["导入编号"])       # the file held B's rows: not his to undo
