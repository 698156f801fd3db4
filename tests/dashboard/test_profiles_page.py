"""Import profiles on the 数据导入 page (issue 15 items 7, 13, 18): the page offers and applies only the
profiles the account's imports may use, says which one an import will apply (name, owner, shipped)
before its button, saves a profile for the saver's community, refuses a name that is taken, warns of a
profile file it skipped, and the results say how many rows a profile's filter skipped."""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.ingest import profiles
from pipelines.records import users
from tests.conftest import build_store, rows
from tests.dashboard.conftest import BUILDINGS, open_import_page
from tests.pipelines import test_kpi as fx
from tests.pipelines.test_profiles_trust import A_FILE, B_FILE, a_profile

PASSWORD = "correct horse 9"
COMMUNITIES = """
community_id,name,street,households
A,A社区,金桥街道,2000
B,B社区,花溪街道,1000
"""


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = build_store(tmp_path, {"communities": COMMUNITIES, "buildings": BUILDINGS, "orders": fx.ORDERS})
    users.add(path, "dir_a", "director", PASSWORD, community="A")
    users.add(path, "dir_b", "director", PASSWORD, community="B")
    users.add(path, "root", "admin", PASSWORD)
    # A's director saved a mapping for A's export: every row A's, only paid orders
    profiles.save(path, replace(a_profile(), filter={"状态": ("已支付",)}), user="dir_a", communities=("A",))
    monkeypatch.setenv("LINLI_DB", str(path))
    return path


def import_page(db, name: str) -> AppTest:
    return open_import_page(users.lookup(db, name))


def upload(at: AppTest, name: str, data: bytes) -> str:
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception
    return "imp_" + hashlib.sha256(data).hexdigest()[:12]


def unescaped(text: str) -> str:
    """The text as the reader sees it: Markdown elements show dir\\_a as dir_a."""
    return re.sub(r"\\(.)", r"\1", text)


def will_apply(at: AppTest) -> str:
    return next(unescaped(c.value) for c in at.caption
                if "导入档案" in c.value and ("将使用" in c.value or "不使用" in c.value))


A_EXPORT = (A_FILE + "A3,A,S1,团购,2025-06-04 10:00,9,已退款,一群\n").encode()


def test_as_director_sees_and_gets_his_profile_and_the_rows_its_filter_skipped(db):
    at = import_page(db, "dir_a")
    key = upload(at, "A_orders.csv", A_EXPORT)
    assert will_apply(at) == "导入时将使用导入档案：快团团（社区 A 的档案，dir_a 保存）"
    at.button(key=f"{key}_go").click().run()
    assert not at.exception and not at.error
    assert any("新增 2" in s.value for s in at.success)
    assert any("导入档案“快团团”的筛选跳过了 1 行：“状态”列不是已支付" in unescaped(c.value) for c in at.caption)
    assert rows(db, "SELECT order_id, community_id, seller_id FROM cur_orders WHERE order_id LIKE 'A%' ORDER BY 1") == [
        ("A1", "A", "一群"), ("A2", "A", "一群")]


def test_bs_director_is_not_offered_as_profile_and_imports_his_own_file(db):
    at = import_page(db, "dir_b")
    key = upload(at, "B_orders.csv", B_FILE.encode())
    # before: A's profile was chosen by the headers, and B's own file was refused as A's rows
    assert not at.error
    assert will_apply(at) == "不使用导入档案：按 Linli 认识的表头导入。"
    assert "快团团" not in at.selectbox(key=f"{key}_profile").options
    at.button(key=f"{key}_go").click().run()
    assert not at.exception and not at.error
    assert rows(db, "SELECT order_id, community_id FROM cur_orders WHERE order_id LIKE 'B%' ORDER BY 1") == [
        ("B1", "B"), ("B2", "B")]


def test_an_admin_may_name_as_profile_but_it_is_not_chosen_for_him(db):
    at = import_page(db, "root")
    key = upload(at, "B_orders.csv", B_FILE.encode())
    assert will_apply(at) == "不使用导入档案：按 Linli 认识的表头导入。"
    assert "快团团" in at.selectbox(key=f"{key}_profile").options
    at.selectbox(key=f"{key}_profile").set_value("快团团").run()
    assert will_apply(at) == "导入时将使用导入档案：快团团（社区 A 的档案，dir_a 保存）"


def test_a_shipped_profile_is_named_as_shipped(db):
    at = import_page(db, "root")
    data = "Unique Key,Created Date,Closed Date,Agency,Complaint Type,Descriptor,Status,Open Data Channel Type,BBL,Borough\n" \
           "1,05/01/2022 12:00:03 AM,,NYPD,Noise - Residential,Loud Music,Open,PHONE,1,BROOKLYN\n"
    upload(at, "311.csv", data.encode())
    assert will_apply(at) == "导入时将使用导入档案：NYC 311 服务请求（随 Linli 提供）"


def test_saving_on_the_page_is_for_the_savers_community_and_never_over_another(db):
    at = import_page(db, "dir_b")
    data = "跟团号,社区编号,团长编号,渠道,下单时间,实付金额,状态\nT1,B,S1,团购,2025-06-03 10:00,30,已支付\n".encode()
    key = upload(at, "团购.csv", data)
    next(s for s in at.selectbox if s.label == "跟团号").set_value("order_id").run()
    at.text_input(key=f"{key}_save_name").set_value("快团团").run()           # A's name
    at.button(key=f"{key}_save").click().run()
    assert any("没有保存" in e.value and "换一个名称" in e.value for e in at.error)
    assert tomllib.loads((db.parent / "profiles" / "快团团.toml").read_text(encoding="utf-8"))["community"] == "A"
    at.text_input(key=f"{key}_save_name").set_value("B团购").run()
    at.button(key=f"{key}_save").click().run()
    saved = tomllib.loads((db.parent / "profiles" / "B团购.toml").read_text(encoding="utf-8"))
    assert (saved["community"], saved["saved_by"], saved["columns"]["跟团号"]) == ("B", "dir_b", "order_id")
    assert rows(db, "SELECT user_name, community_id FROM audit_log WHERE action = 'profile.save' ORDER BY seq") == [
        ("dir_a", "A"), ("dir_b", "B")]


def test_a_profile_file_that_cannot_be_read_is_named_and_imports_go_on(db):
    (db.parent / "profiles" / "坏的.toml").write_text("kind = [\n", encoding="utf-8")
    at = import_page(db, "dir_b")
    assert any("坏的.toml" in unescaped(w.value) and "已跳过这个档案" in w.value for w in at.warning)
    key = upload(at, "B_orders.csv", B_FILE.encode())
    at.button(key=f"{key}_go").click().run()
    assert not at.exception and any("新增 2" in s.value for s in at.success)
