"""Sessions (issue 15, items 3, 8, 11): what a logout forgets, failing closed when the accounts cannot be
read, and the server-side rows and routes behind the login cookie (dashboard/session_cookie.py). The
browser half (reload, second tab, deep link, the cookie's flags) is tests/e2e/test_sessions.py."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest
from starlette.requests import Request
from streamlit.testing.v1 import AppTest

from dashboard import auth, session_cookie
from pipelines.build.runner import serving_dir
from pipelines.present.format import plain
from pipelines.present.i18n import t
from pipelines.records import users
from tests.conftest import build_store

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse 9"
COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
B,B社区,花溪街道,1000,26.58,106.72
"""
ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
O1,A,S1,group_buy,2025-06-02 10:00,100,paid
"""
# X's upload: its name and a row that will be quarantined, so the results show both
X_MARK = "X的私人名单"      # the file name as a page shows it, whatever its escaping of the dot
X_FILE = X_MARK + ".csv"
X_DATA = (b"order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"
          b"X1,A,S1,group_buy,2025-06-03 10:00,30,paid\n"
          b"X2,A,S1,group_buy,2025-06-03 11:00,-7,paid\n")
X_KEY = "imp_" + hashlib.sha256(X_DATA).hexdigest()[:12]


@pytest.fixture
def store(tmp_path, monkeypatch):
    db = build_store(tmp_path, {"communities": COMMUNITIES, "orders": ORDERS})
    users.add(db, "dir_x", "director", PASSWORD, community="A")
    users.add(db, "dir_y", "director", PASSWORD, community="B")   # sees none of A's stored imports
    monkeypatch.setenv("LINLI_DB", str(db))
    auth._accounts_exist.clear()
    auth._lookup.clear()
    return db


class Clock:
    def __init__(self):
        self.at = dt.datetime(2026, 3, 1, 9, 0)

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(users, "now", c)
    return c


def fresh() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", "c": "A", "g": "week", "p": "2025-06-02"})
    return at.run()


def login(at: AppTest, name: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(PASSWORD)
    return at.button[0].click().run()


def shown(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success")
             for e in getattr(at, kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [b.label for b in at.button] + [b.label for b in at.get("download_button")]
    return "\n".join(parts)


# ---- item 3: a logout forgets everything the browser session held ----------------------------------------

def test_after_x_logs_out_y_in_the_same_tab_sees_nothing_of_xs_upload_or_import(store):
    at = login(fresh(), "dir_x")
    at.switch_page("screens/data_import.py").run()
    at.file_uploader[0].set_value((X_FILE, X_DATA, "text/csv")).run()
    at.button(key=f"{X_KEY}_go").click().run()
    assert not at.exception
    seen_by_x = shown(at)
    assert X_MARK in seen_by_x and "隔离 1 行" in seen_by_x       # X's own results, as a baseline

    at.sidebar.button(key="logout").click().run()
    assert at.title[0].value == t("auth.title", "zh") and at.info[0].value == t("auth.logged_out", "zh")
    held = [k for k in ("import_previews", "import_results", f"{X_KEY}_recognised", f"{X_KEY}_kind", "w_community",
                        "view", auth.USER) if k in at.session_state]
    assert held == [] and at.session_state["w_lang"] == "zh"

    login(at, "dir_y")
    at.switch_page("screens/data_import.py").run()
    assert not at.exception
    seen_by_y = shown(at)
    assert X_MARK not in seen_by_y and "隔离 1 行" not in seen_by_y and "X2" not in seen_by_y
    assert not [b for b in at.button if b.key == f"{X_KEY}_go"]


def test_the_idle_timeout_forgets_the_upload_preview_too(store, clock):
    at = login(fresh(), "dir_x")
    at.switch_page("screens/data_import.py").run()
    at.file_uploader[0].set_value((X_FILE, X_DATA, "text/csv")).run()
    assert X_MARK in shown(at)
    clock.at += dt.timedelta(minutes=31)
    at.run()
    assert at.info[0].value == t("auth.timed_out", "zh")
    assert "import_previews" not in at.session_state and f"{X_KEY}_recognised" not in at.session_state


def test_removing_the_account_ends_its_session(store):
    at = login(fresh(), "dir_x")
    assert at.title[0].value == t("page.overview", "zh")
    users.remove(store, "dir_x")
    auth._lookup.clear()      # the dashboard rereads accounts every few seconds; the test does not wait
    at.run()
    assert at.title[0].value == t("auth.title", "zh") and at.info[0].value == t("auth.ended", "zh")


def test_a_tab_used_every_29_minutes_is_still_logged_out_12_hours_after_login(store, clock):
    at = login(fresh(), "dir_x")
    opened = clock.at
    while clock.at + dt.timedelta(minutes=29) - opened <= dt.timedelta(hours=12):
        clock.at += dt.timedelta(minutes=29)
        assert at.run().title[0].value == t("page.overview", "zh")
    clock.at += dt.timedelta(minutes=29)
    assert at.run().title[0].value == t("auth.title", "zh")


# ---- item 8: fail closed ---------------------------------------------------------------------------------

def test_a_renamed_store_while_its_snapshot_is_served_shows_no_page_at_all(store):
    assert login(fresh(), "dir_x").title[0].value == t("page.overview", "zh")
    store.rename(store.with_name("moved.duckdb"))
    auth._accounts_exist.clear()          # the dashboard rereads within ACCOUNT_TTL; the test does not wait
    at = fresh()
    assert [e.value for e in at.error] == [t("auth.store_missing", "zh", db=plain("t.duckdb"))]
    assert not at.title and not at.metric and not at.dataframe and not at.text_input and not at.sidebar.selectbox
    assert t("auth.demo_banner", "zh") not in shown(at)


def test_a_store_that_cannot_be_read_shows_no_page_either(store):
    data = bytearray(store.read_bytes())
    data[8:12] = b"JUNK"                  # no longer a DuckDB file
    store.write_bytes(bytes(data))
    at = fresh()
    assert [e.value for e in at.error] == [t("auth.store_unreadable", "zh", db=plain("t.duckdb"))]
    assert not at.title and not at.metric and not at.text_input


def test_a_data_folder_moved_away_while_serving_is_no_first_run(store):
    # store and snapshots both gone looks like a first run; a server that saw accounts there stays closed
    assert login(fresh(), "dir_x").title[0].value == t("page.overview", "zh")
    store.unlink()
    shutil.rmtree(serving_dir(store))
    auth._accounts_exist.clear()
    at = fresh()
    assert [e.value for e in at.error] == [t("auth.store_missing", "zh", db=plain("t.duckdb"))]
    assert t("auth.demo_banner", "zh") not in shown(at) and not at.title


def test_only_a_true_first_run_with_no_store_and_no_snapshot_is_the_open_demo(store):
    store.unlink()
    shutil.rmtree(serving_dir(store))
    at = fresh()
    assert not at.error and at.info[0].value == t("auth.demo_banner", "zh")


# ---- item 11: the server's session rows, tickets and routes --------------------------------------------

def test_a_ticket_is_good_once_and_for_one_minute(clock):
    rows = session_cookie.Sessions()
    stamp = clock.at
    ticket = rows.ticket("dir_x", stamp)
    sid = rows.redeem(ticket)
    assert sid is not None and len(sid) >= 43                   # 32 random bytes, url-safe
    assert rows.redeem(ticket) is None                          # used
    late = rows.ticket("dir_x", stamp)
    clock.at += dt.timedelta(seconds=61)
    assert rows.redeem(late) is None
    assert rows.redeem("made-up") is None


def test_a_session_used_every_29_minutes_still_ends_12_hours_after_login(clock):
    rows = session_cookie.Sessions()
    opened = clock.at
    busy = rows.redeem(rows.ticket("dir_x", clock.at))
    while clock.at + dt.timedelta(minutes=29) - opened <= dt.timedelta(hours=12):
        clock.at += dt.timedelta(minutes=29)
        assert rows.resume(busy)[0] is not None
    clock.at += dt.timedelta(minutes=29)
    assert rows.resume(busy) == (None, "auth.timed_out")
    assert rows.resume(busy) == (None, "auth.ended")             # the note is given once


def test_logout_ends_the_session_on_the_server(clock):
    rows = session_cookie.Sessions()
    sid = rows.redeem(rows.ticket("dir_x", clock.at))
    assert rows.resume(sid)[0].name == "dir_x"
    rows.end(sid)
    assert rows.resume(sid) == (None, "auth.ended")


def test_a_session_is_kept_for_29_idle_minutes_and_lost_at_31(clock):
    rows = session_cookie.Sessions()
    sid = rows.redeem(rows.ticket("dir_x", clock.at))
    clock.at += dt.timedelta(minutes=29)
    assert rows.resume(sid)[0] is not None
    clock.at += dt.timedelta(minutes=31)
    assert rows.resume(sid) == (None, "auth.timed_out")


def test_the_cookie_is_signed_and_a_changed_one_is_refused():
    value = session_cookie.sign("abc")
    assert value != "abc" and session_cookie.unsign(value) == "abc"
    assert session_cookie.unsign(value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]) is None
    assert session_cookie.unsign("abc") is None and session_cookie.unsign(None) is None


@pytest.mark.parametrize("target,expected", [
    ("/weekly?c=A&g=week", "/weekly?c=A&g=week"), ("/", "/"), (None, "/"), ("", "/"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("weekly", "/"),
    ("javascript:alert(1)", "/"), ("/_linli/logout", "/"), ("/a\r\nSet-Cookie: x=1", "/"),
    # urlsplit reads '///evil' as an empty host and the path '/evil'; a browser goes to evil
    ("///evil.example/x", "/"), ("////evil.example", "/"), ("/_linli/../_linli/logout", "/"),
])
def test_after_login_the_browser_goes_back_only_to_a_page_of_this_server(target, expected):
    assert session_cookie.safe_next(target) == expected


def _request(path: str, query: str = "", headers: dict | None = None, method: str = "GET",
             scheme: str = "http") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in {"host": "127.0.0.1:8501", **(headers or {})}.items()]
    return Request({"type": "http", "method": method, "path": path, "query_string": query.encode(), "headers": raw,
                    "scheme": scheme, "server": ("127.0.0.1", 8501), "root_path": ""})


def _set_cookie(response) -> str:
    return next(v.decode() for k, v in response.raw_headers if k == b"set-cookie")


def test_the_ticket_route_sets_an_httponly_strict_cookie_and_returns_to_the_page_asked_for(clock):
    ticket = session_cookie.SESSIONS.ticket("dir_x", clock.at)
    response = asyncio.run(session_cookie.take_ticket(
        _request("/_linli/session", f"ticket={ticket}&next=%2Fweekly%3Fc%3DA")))
    assert response.status_code == 303 and response.headers["location"] == "/weekly?c=A"
    cookie = _set_cookie(response)
    assert cookie.startswith(f"{session_cookie.COOKIE}=")
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and flags["samesite"] == "SameSite=strict" and flags["path"] == "Path=/"
    assert "secure" not in flags and flags["max-age"] == "Max-Age=43200"
    sid = session_cookie.unsign(cookie.split(";")[0].split("=", 1)[1])
    assert session_cookie.SESSIONS.resume(sid)[0].name == "dir_x"
    again = asyncio.run(session_cookie.take_ticket(_request("/_linli/session", f"ticket={ticket}&next=/weekly")))
    assert again.headers["location"] == "/weekly" and "set-cookie" not in again.headers     # a ticket is used once


def test_a_ticket_in_a_link_on_another_site_signs_nobody_in(clock):
    ticket = session_cookie.SESSIONS.ticket("dir_x", clock.at)
    for site in ("cross-site", "same-site", "none"):
        response = asyncio.run(session_cookie.take_ticket(_request("/_linli/session", f"ticket={ticket}",
                                                                   headers={"sec-fetch-site": site})))
        assert response.status_code == 303 and "set-cookie" not in response.headers
    ours = asyncio.run(session_cookie.take_ticket(_request("/_linli/session", f"ticket={ticket}",
                                                           headers={"sec-fetch-site": "same-origin"})))
    assert _set_cookie(ours).startswith(f"{session_cookie.COOKIE}=")


def test_over_https_the_cookie_is_secure(clock):
    ticket = session_cookie.SESSIONS.ticket("dir_x", clock.at)
    response = asyncio.run(session_cookie.take_ticket(_request("/_linli/session", f"ticket={ticket}",
                                                               scheme="https")))
    assert "; secure" in _set_cookie(response).lower()


def test_logout_route_ends_the_session_and_clears_the_cookie_but_only_for_this_sites_pages(clock):
    sid = session_cookie.SESSIONS.redeem(session_cookie.SESSIONS.ticket("dir_x", clock.at))
    cookie = {"cookie": f"{session_cookie.COOKIE}={session_cookie.sign(sid)}"}
    foreign = asyncio.run(session_cookie.log_out(_request("/_linli/logout", method="POST", headers={
        **cookie, "origin": "https://evil.example"})))
    assert foreign.status_code == 403 and session_cookie.SESSIONS.resume(sid)[0] is not None
    done = asyncio.run(session_cookie.log_out(_request("/_linli/logout", method="POST", headers={
        **cookie, "origin": "http://127.0.0.1:8501"})))
    assert done.status_code == 204 and session_cookie.SESSIONS.resume(sid) == (None, "auth.ended")
    assert 'linli_session=""' in _set_cookie(done) and "max-age=0" in _set_cookie(done).lower()


def test_a_websocket_from_another_sites_page_is_refused_before_streamlit_sees_it():
    reached: list[str] = []
    sent: list[dict] = []

    async def streamlit(scope, receive, send):
        reached.append(scope["type"])

    async def send(message):
        sent.append(message)

    guard = session_cookie.Guard(streamlit)

    def open_socket(origin: str | None):
        headers = [(b"host", b"192.168.1.5:8501")] + ([(b"origin", origin.encode())] if origin else [])
        asyncio.run(guard({"type": "websocket", "headers": headers}, None, send))

    open_socket("http://evil.example")
    assert reached == [] and sent == [{"type": "websocket.close", "code": 1008}]
    open_socket("http://192.168.1.5:8501")
    open_socket(None)
    assert reached == ["websocket", "websocket"]


def _get_media(guard, cookie: str | None, path: str = "/media/abc.csv") -> tuple[list[str], list[dict]]:
    reached: list[str] = []
    sent: list[dict] = []

    async def streamlit(scope, receive, send):
        reached.append(scope["path"])

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    headers = [(b"host", b"127.0.0.1:8501")] + ([(b"cookie", cookie.encode())] if cookie else [])
    asyncio.run(session_cookie.Guard(streamlit)({"type": "http", "method": "GET", "path": path,
                                                 "headers": headers, "query_string": b""}, receive, send))
    return reached, sent


def test_a_download_link_is_served_only_to_a_browser_with_a_live_session(store, clock, monkeypatch):
    monkeypatch.setattr(session_cookie, "_open_cache", [0.0, False])
    sid = session_cookie.SESSIONS.redeem(session_cookie.SESSIONS.ticket("dir_x", users.lookup(store, "dir_x").changed_at))
    good = f"{session_cookie.COOKIE}={session_cookie.sign(sid)}"
    assert _get_media(None, good)[0] == ["/media/abc.csv"]
    reached, sent = _get_media(None, None)
    assert reached == [] and sent[0]["status"] == 403
    assert _get_media(None, f"{session_cookie.COOKIE}=forged")[0] == []
    users.passwd(store, "dir_x", "a new secret 12")          # the session's password is no longer the account's
    assert _get_media(None, good)[0] == []


def test_download_links_stay_open_while_the_dashboard_runs_open(tmp_path, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(tmp_path / "none.duckdb"))     # a true first run
    monkeypatch.setattr(session_cookie, "_open_cache", [0.0, False])
    assert _get_media(None, None)[0] == ["/media/abc.csv"]


def test_a_download_link_under_a_base_url_path_needs_a_session_too(store, clock, monkeypatch):
    """server.baseUrlPath (a config file's or STREAMLIT_SERVER_BASE_URL_PATH, for a proxy's /linli/) moves
    Streamlit's media route to /linli/media/: it was served to anyone holding the link."""
    from streamlit import config
    monkeypatch.setattr(session_cookie, "_open_cache", [0.0, False])
    real = config.get_option
    monkeypatch.setattr(config, "get_option", lambda key: "/linli/" if key == "server.baseUrlPath" else real(key))
    reached, sent = _get_media(None, None, "/linli/media/abc.csv")
    assert reached == [] and sent[0]["status"] == 403
    sid = session_cookie.SESSIONS.redeem(session_cookie.SESSIONS.ticket("dir_x", users.lookup(store, "dir_x").changed_at))
    good = f"{session_cookie.COOKIE}={session_cookie.sign(sid)}"
    assert _get_media(None, good, "/linli/media/abc.csv")[0] == ["/linli/media/abc.csv"]
    assert _get_media(None, None, "/linli/weekly")[0] == ["/linli/weekly"]      # pages are the gate's to refuse
