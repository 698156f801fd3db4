"""Real browser, real `linli serve` (issue 15, items 11 and 17): a login survives a reload, a second tab
and a deep link; the cookie is HttpOnly and SameSite=Strict; logout and a new password end it. And the
server listens on 127.0.0.1 only and asks nobody on the network for anything while it starts.

Every wait is for a condition (a heading, a cookie, the script's run state), never for a length of time.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pipelines.present.i18n import t
from tests.e2e.serving import CHROMIUM, ROOT, copy_demo, serving
from tests.e2e.test_browser import SCRIPT_DONE, WAIT_MS

if not CHROMIUM and os.environ.get("CI") != "true":
    pytest.skip("no Chromium here (it runs in CI, where .ci/run installs it)", allow_module_level=True)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 9"
COOKIE = "linli_session"
LOGIN_TITLE = t("auth.title", "zh")


class Listener:
    """A local socket posing as the network's proxy: every connection the server tries to make through
    HTTP(S)_PROXY (requests honours them, as Streamlit's external-address lookup uses) lands here."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.seen: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(200))
                except OSError:
                    self.seen.append(b"?")

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="module")
def served(demo_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sessions")
    proxy = Listener()
    store = copy_demo(demo_store, folder)
    env, linli = store["env"], store["linli"]
    for name, role in (("dir_a", "director"), ("mem_a", "member"), ("dir_x", "director")):
        added = subprocess.run(linli + ["users", "add", name, "--role", role, "--community", "A"], env=env, cwd=ROOT,
                               input=PASSWORD + "\n", check=False, capture_output=True, text=True)
        assert added.returncode == 0, added.stderr
    log = folder / "serve.log"
    server_env = {k: v for k, v in env.items() if k.lower() not in ("no_proxy", "http_proxy", "https_proxy")}
    server_env.update(HTTP_PROXY=proxy.url, HTTPS_PROXY=proxy.url, http_proxy=proxy.url, https_proxy=proxy.url)
    try:
        with log.open("w") as out, serving(store, env=server_env, out=out) as running:
            yield {**running, "log": log, "proxy": proxy}
    finally:
        proxy.close()


def _heading(page, wanted: str) -> None:
    """Wait until the page's first heading reads `wanted` and its script run has finished."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function("(w) => { const h = document.querySelector('h1'); return h && h.innerText.trim() === w; }",
                               arg=wanted, timeout=WAIT_MS, polling=200)
    except PlaywrightTimeout:
        seen = page.evaluate("() => { const h = document.querySelector('h1'); return h ? h.innerText : null; }")
        pytest.fail(f"heading {wanted!r} not shown within {WAIT_MS // 1000} s: the page at {page.url} shows {seen!r}")
    page.wait_for_selector(SCRIPT_DONE, state="attached", timeout=WAIT_MS)


def _login(page, name: str, password: str = PASSWORD) -> None:
    _heading(page, LOGIN_TITLE)
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == COOKIE), None)


def _wait_cookie(context, present: bool) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while (_session_cookie(context) is not None) != present:
        assert time.monotonic() < deadline, f"the session cookie was {'never set' if present else 'never cleared'}"
        context.pages[0].wait_for_timeout(100)   # lets the browser work; the loop waits for the cookie itself


@contextlib.contextmanager
def _signed_in(served, browser, name: str):
    """A fresh browser context signed in as `name` on the overview, its cookie set; closed after."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{served['url']}/?lang=zh", timeout=WAIT_MS)
        _login(page, name)
        _heading(page, t("page.overview", "zh"))
        _wait_cookie(context, present=True)
        yield context, page
    finally:
        context.close()


def test_a_login_survives_a_reload_and_a_second_tab_and_its_cookie_is_httponly_and_strict(served, browser):
    with _signed_in(served, browser, "dir_a") as (context, page):
        cookie = _session_cookie(context)
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        assert page.evaluate("document.cookie").find(COOKIE) == -1        # no page script can read it
        assert "dir_a" not in cookie["value"]                              # it carries only the signed session id

        page.reload(timeout=WAIT_MS)
        _heading(page, t("page.overview", "zh"))
        assert page.get_by_text("已登录：dir_a").count() == 1

        second = context.new_page()
        second.goto(f"{served['url']}/monthly?lang=zh", timeout=WAIT_MS)
        _heading(second, t("page.monthly", "zh"))
        assert second.get_by_text("已登录：dir_a").count() == 1


def test_a_deep_link_opened_while_logged_out_lands_on_that_page_after_login(served, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{served['url']}/weekly?lang=zh&c=A", timeout=WAIT_MS)
        _login(page, "dir_a")
        _heading(page, t("page.weekly", "zh"))
        assert "/weekly?" in page.url and "c=A" in page.url
    finally:
        context.close()


def test_a_deep_link_survives_the_address_bar_rewritten_before_the_tickets_script_runs(served, browser):
    """The run after a login opens the default page and rewrites the address bar; a loaded browser ran the
    ticket's script after that and came back to 总览 (CI: 指标说明 not shown within 60 s, the page showed
    总览). Rewritten here before the click, as it was then: the page of the login form is still the one."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{served['url']}/glossary?lang=zh", timeout=WAIT_MS)
        _heading(page, LOGIN_TITLE)
        page.wait_for_function("() => sessionStorage.getItem('linli.next') !== null", timeout=WAIT_MS)
        page.evaluate("() => history.replaceState(null, '', '/?lang=zh&c=A')")
        _login(page, "dir_a")
        _heading(page, t("page.glossary", "zh"))
        assert "/glossary?" in page.url
    finally:
        context.close()


def test_logout_ends_the_session_so_a_reload_shows_the_login_page(served, browser):
    with _signed_in(served, browser, "dir_x") as (context, page):
        stolen = _session_cookie(context)
        page.get_by_role("button", name=t("auth.logout", "zh")).click()
        _heading(page, LOGIN_TITLE)
        assert page.get_by_text(t("auth.logged_out", "zh")).count() == 1
        _wait_cookie(context, present=False)
        page.reload(timeout=WAIT_MS)
        _heading(page, LOGIN_TITLE)

        # the old cookie, kept by someone and sent again, names an ended session
        other = browser.new_context()
        try:
            other.add_cookies([stolen])
            replay = other.new_page()
            replay.goto(f"{served['url']}/?lang=zh", timeout=WAIT_MS)
            _heading(replay, LOGIN_TITLE)
        finally:
            other.close()


def test_a_new_password_ends_the_session_opened_with_the_old_one(served, browser):
    with _signed_in(served, browser, "mem_a") as (_, page):
        changed = subprocess.run(served["linli"] + ["users", "passwd", "mem_a"], env=served["env"], cwd=ROOT,
                                 input="a brand new secret 2\n", check=False, capture_output=True, text=True)
        assert changed.returncode == 0, changed.stderr
        # the dashboard rereads an account within auth.ACCOUNT_TTL (10 s): reload until the login page shows
        deadline = time.monotonic() + WAIT_MS / 1000
        while True:
            page.reload(timeout=WAIT_MS)
            page.wait_for_selector("h1", timeout=WAIT_MS)
            page.wait_for_selector(SCRIPT_DONE, state="attached", timeout=WAIT_MS)
            if page.locator("h1").first.inner_text().strip() == LOGIN_TITLE:
                break
            assert time.monotonic() < deadline, "the old password's session still lets the viewer in"


def test_a_download_link_works_in_the_session_and_not_for_anyone_else_holding_it(served, browser):
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{served['url']}/glossary?lang=zh", timeout=WAIT_MS)
        _login(page, "dir_a")
        _heading(page, t("page.glossary", "zh"))
        with page.expect_download(timeout=WAIT_MS) as download:
            page.get_by_role("button", name=t("download", "zh")).first.click()
        link = download.value.url
        saved = Path(download.value.path()).read_bytes()
        assert "/media/" in link and len(saved) > 100
        again = context.request.get(link)            # the same browser, with its cookie
        assert again.status == 200 and again.body() == saved
        stranger = browser.new_context()
        try:
            assert stranger.request.get(link).status == 403
        finally:
            stranger.close()
    finally:
        context.close()


def _listening_addresses(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on `port`, from /proc (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]) if len(address) == 8
                          else address)
    return found


def test_serve_listens_on_127_0_0_1_only_and_asks_the_network_nothing(served):
    assert _listening_addresses(served["port"]) == {"127.0.0.1"}
    log = served["log"].read_text()
    assert "Did not auto detect external IP" not in log and "External URL" not in log and "Network URL" not in log
    assert f"URL: http://localhost:{served['port']}" in log
    assert served["proxy"].seen == []       # no lookup of the machine's external address, nor anything else
