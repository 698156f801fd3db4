"""Access (SPEC §9): every role × every page × a foreign community asked for by URL; what each role's
navigation holds; downloads; queries asked directly for a foreign community; the login page, its
failures and backoff (on an injected clock), the idle timeout, and the demo banner while no account exists."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines.build.runner import serving_dir
from pipelines.present.i18n import t
from pipelines.records import access, users
from tests.conftest import build_store
from tests.dashboard.conftest import hand_worked_feeds

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse 9"
# B is on another street, so the 金桥街道 official sees A alone.
COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
B,B社区,花溪街道,1000,26.58,106.72
"""
ALL_PAGES = ["overview", "orders", "parcels", "complaints", "training", "coop", "map", "weekly", "monthly", "cases", "street",
             "data_import", "audit", "glossary"]
TITLE = {"overview": "page.overview", "orders": "page.orders", "parcels": "page.parcels", "complaints": "page.complaints",
         "training": "page.training", "coop": "page.coop_books", "map": "page.map", "weekly": "page.weekly", "monthly": "page.monthly",
         "cases": "page.cases", "street": "page.street", "data_import": "page.import", "audit": "auth.page.audit", "glossary": "page.glossary"}
# account -> (role, its communities, a community it must never see, the pages its navigation holds)
READ = ["overview", "orders", "parcels", "complaints", "training", "coop", "map", "weekly", "monthly", "cases", "glossary"]
ACCOUNTS = {
    "dir_a": ("director", ["A"], "B", READ + ["data_import", "audit"]),
    "mem_b": ("member", ["B"], "A", READ),
    "off_j": ("official", ["A"], "B", READ + ["street"]),
    "root": ("admin", ["A", "B"], None, ALL_PAGES),
}
NAMES = {"A": "A社区", "B": "B社区"}


@pytest.fixture(scope="module")
def access_db(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("access"), hand_worked_feeds(communities=COMMUNITIES))
    users.add(db, "dir_a", "director", PASSWORD, community="A")
    users.add(db, "mem_b", "member", PASSWORD, community="B")
    users.add(db, "off_j", "official", PASSWORD, street="金桥街道")
    users.add(db, "root", "admin", PASSWORD)
    return db


@pytest.fixture
def db(access_db, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(access_db))
    return access_db


@pytest.fixture
def own_db(access_db, tmp_path, monkeypatch):
    """A copy for tests that change the store (failed logins, locks)."""
    copy = tmp_path / "t.duckdb"
    shutil.copy(access_db, copy)
    shutil.copytree(serving_dir(access_db), serving_dir(copy))
    monkeypatch.setenv("LINLI_DB", str(copy))
    return copy


@pytest.fixture
def downloads(monkeypatch):
    offered: list[bytes] = []
    original = streamlit.download_button

    def record(label, data, *args, **kwargs):
        offered.append(data if isinstance(data, bytes) else str(data).encode())
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", record)
    return offered


def signed_in(db, name: str | None, page: str = "overview", **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh", "g": "week", "p": "2025-06-02", **params})
    if name:
        for key, value in auth.session_for(users.lookup(db, name)).items():
            at.session_state[key] = value
    if page != "overview":   # straight to the page, as a link opens it, not after 总览
        at.switch_page(f"screens/{page}.py")
    return at.run()


def open_as(db, name: str, page: str, **params) -> AppTest:
    return signed_in(db, name, page, **params)


def shown_text(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success")
             for e in getattr(at, kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [str(o) for s in at.selectbox for o in s.options]
    return "\n".join(parts)


@pytest.mark.parametrize("page", ALL_PAGES)
@pytest.mark.parametrize("name", list(ACCOUNTS))
def test_no_role_sees_a_foreign_community_on_any_page_by_url(db, downloads, name, page):
    role, own, foreign, pages = ACCOUNTS[name]
    asked = foreign or "Z"
    if page not in pages:
        # not in the role's navigation: not registered, so no URL or switch reaches it
        at = signed_in(db, name, c=asked)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"screens/{page}.py")
        return
    at = open_as(db, name, page, c=asked)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t(TITLE[page], "zh")
    picker = at.sidebar.selectbox[0]
    assert picker.options == [NAMES[c] for c in own] and picker.value == own[0]
    assert any(f"网址里的社区“{asked}”不存在或无权查看" in w.value for w in at.warning)
    if foreign:
        assert NAMES[foreign] not in shown_text(at)
        assert not [d for d in downloads if NAMES[foreign].encode() in d]


@pytest.mark.parametrize("name", list(ACCOUNTS))
def test_each_roles_navigation_holds_exactly_its_pages(db, name):
    at = signed_in(db, name)
    # the pages the role may open are those its navigation registered (switch_page refuses the rest)
    reached = []
    for page in ALL_PAGES:
        try:
            at.switch_page(f"screens/{page}.py").run()
        except ValueError:
            continue
        assert at.title[0].value == t(TITLE[page], "zh")
        reached.append(page)
    assert sorted(reached) == sorted(ACCOUNTS[name][3])


@pytest.mark.parametrize("name", list(ACCOUNTS))
def test_each_roles_forms_on_the_weekly_check_are_what_the_policy_allows(db, name):
    """The alert-rule editor and the action-item forms are offered exactly where pipelines/records/access.py
    allows them: a member edits action items but only reads alert rules, an official edits nothing."""
    role, own, _, _ = ACCOUNTS[name]
    at = open_as(db, name, "weekly", c=own[0])
    assert not at.exception, [e.value for e in at.exception]
    captions = [c.value for c in at.caption]
    forms = {b.proto.form_id for b in at.button if b.proto.form_id}
    assert (t("rules.read_only", "zh") not in captions) is access.may(role, "alert_rules")
    assert any(f.startswith("rules_new_") for f in forms) is access.may(role, "alert_rules")
    assert (t("gov.read_only", "zh") not in captions) is access.may(role, "actions")
    assert any(f.startswith("gov_by_hand_") for f in forms) is access.may(role, "actions")


def test_the_street_comparison_of_an_official_holds_only_her_street(db):
    at = open_as(db, "off_j", "street")
    assert list(at.dataframe[0].value["社区"]) == ["A社区"]
    assert not [s for s in at.selectbox if s.label == "街道"]       # her one street, no choice of another
    at = open_as(db, "root", "street")
    assert list(at.dataframe[0].value["社区"]) == ["A社区"]      # one street at a time, each can be picked
    assert [s for s in at.selectbox if s.label == "街道"][0].options == ["金桥街道", "花溪街道"]


def ask_queries():
    """A page that ignores the view and asks for everything: the query layer must still refuse."""
    import datetime as dt

    import streamlit as st

    from dashboard import queries as q
    snap = q.snapshot()
    st.text("visible:" + ",".join(q.visible_communities(snap)))
    st.text("street:" + ",".join(sorted(set(q.street_measures(snap, ("A", "B"), "week", dt.date(2025, 6, 2))["community_id"]))))
    st.text("ends:" + ",".join(sorted(q.data_ends(snap, ("A", "B")))))
    try:
        q.kpi_series(snap, ("A", "B"), "B", "week", dt.date(2025, 5, 1), dt.date(2025, 7, 1))
        st.text("B:read")
    except q.OutOfScope as exc:
        st.text("B:refused " + str(exc))


def run_queries(db, name: str | None) -> list[str]:
    at = AppTest.from_function(ask_queries, default_timeout=60)
    if name:
        for key, value in auth.session_for(users.lookup(db, name)).items():
            at.session_state[key] = value
    at.run()
    return [e.value for e in at.text] if not at.exception else [e.value for e in at.exception]


def test_queries_refuse_a_foreign_community_and_cut_a_wide_scope_even_after_an_admin_filled_the_cache(db):
    assert run_queries(db, "root")[:3] == ["visible:A,B", "street:A,B", "ends:A,B"]     # cached for (A, B) first
    lines = run_queries(db, "dir_a")
    assert lines[:3] == ["visible:A", "street:A", "ends:A"]
    assert lines[3].startswith("B:refused 无权查看社区“B”的数据")


def test_queries_without_a_session_show_nothing_while_accounts_exist(db):
    assert "请先登录" in run_queries(db, None)[0]


def login(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def test_the_login_page_is_in_chinese_and_shows_no_data(db):
    at = signed_in(db, None)
    assert [w.label for w in at.text_input] == ["用户名", "密码"]
    assert at.button[0].label == "登录"
    assert at.title[0].value == "登录邻里治理看板"
    assert not at.dataframe and not at.metric and not at.sidebar.selectbox


class Clock:
    def __init__(self):
        self.at = dt.datetime.now()

    def __call__(self) -> dt.datetime:
        return self.at


def test_a_wrong_password_fails_then_locks_and_a_new_session_meets_the_lock(own_db, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(users, "now", clock)
    at = signed_in(own_db, None)
    login(at, "dir_a", "wrong password")
    assert at.error[0].value == t("auth.failed", "zh")
    login(at, "dir_a", "wrong again")
    login(at, "dir_a", "wrong thrice")
    assert at.error[0].value == t("auth.locked", "zh", wait=" 30 秒")
    fresh = signed_in(own_db, None)           # another browser: the lock is in the store
    login(fresh, "dir_a", PASSWORD)
    assert at.error and fresh.error[0].value == t("auth.locked", "zh", wait=" 30 秒")
    clock.at += dt.timedelta(seconds=31)
    login(fresh, "dir_a", PASSWORD)
    assert not [e for e in fresh.error if "登录" in e.value]
    assert fresh.title[0].value == t("page.overview", "zh")
    assert any(c.value == "已登录：dir_a（社区主任 · A）" for c in fresh.sidebar.caption)


def test_an_idle_session_times_out_and_logout_ends_it(own_db, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(users, "now", clock)
    at = login(signed_in(own_db, None), "mem_b", PASSWORD)
    assert at.title[0].value == t("page.overview", "zh")
    clock.at += dt.timedelta(minutes=29)
    assert at.run().title[0].value == t("page.overview", "zh")     # used within 30 minutes: still in
    clock.at += dt.timedelta(minutes=31)
    at.run()
    assert at.title[0].value == "登录邻里治理看板" and at.info[0].value == t("auth.timed_out", "zh")
    login(at, "mem_b", PASSWORD)
    at.sidebar.button(key="logout").click().run()
    assert at.title[0].value == "登录邻里治理看板" and at.info[0].value == t("auth.logged_out", "zh")


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(own_db):
    at = signed_in(own_db, "mem_b")
    assert at.title[0].value == t("page.overview", "zh")
    users.passwd(own_db, "mem_b", "a new secret 1")
    auth._lookup.clear()      # the dashboard rereads accounts every few seconds; the test does not wait
    at.run()
    assert at.title[0].value == "登录邻里治理看板" and at.info[0].value == t("auth.ended", "zh")


def test_the_audit_page_shows_a_director_her_communitys_trail_and_an_admin_all(own_db):
    at = signed_in(own_db, None)
    login(at, "ghost", "nobody's password")     # a failed login under no community: admins only
    login(at, "dir_a", PASSWORD)
    at.switch_page("screens/audit.py").run()
    mine = at.dataframe[0].value
    # A's own: its director's login and account, the imports whose rows were all A's (buildings, points)
    assert set(mine["操作"]) == {"登录成功", "添加账号", "导入"} and set(mine["社区"]) == {"A"}
    assert set(mine["操作人"]) == {"dir_a", "命令行"}
    admin = open_as(own_db, "root", "audit").dataframe[0].value
    assert {"登录失败", "登录成功", "添加账号", "导入"} <= set(admin["操作"])
    # a name that is no account is shown as a keyed hash, never as typed (issue 15 item 5)
    assert "ghost" not in set(admin["操作人"]) and any(u.startswith("未知用户名（") for u in admin["操作人"])


@pytest.mark.parametrize("page", ["overview", "street", "data_import", "glossary"])
def test_with_no_account_linli_runs_open_and_says_so_on_every_page(fixture_db, monkeypatch, page):
    monkeypatch.setenv("LINLI_DB", str(fixture_db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh", "c": "B"})
    if page != "overview":   # straight to the page, as a link opens it
        at.switch_page(f"screens/{page}.py")
    at.run()
    assert not at.exception
    assert at.info[0].value == t("auth.demo_banner", "zh")
    assert at.title[0].value == t(TITLE[page], "zh")
