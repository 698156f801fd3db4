"""The login that outlives a tab (SPEC §9): a reload, a second tab and a deep link keep the viewer signed in.

The session lives on the server, in this process's memory: a random 32-byte id, the account's name and the
time its password was last set, when it was opened and last used, and whether it was ended. The browser
holds only that id, signed with itsdangerous, in an HttpOnly, SameSite=Strict cookie, so the page's
scripts never see it and no other site's page can send it. Every run checks the row here (30 minutes
idle, 12 hours at most, ended by logout) and the account in the store (removed, or a new password since
the session was opened), so all of them end a session whatever the cookie says. Restarting `linli
serve` ends every session: the rows and the signing key are gone with the process.

The cookie can only be set by an HTTP response, not by the Streamlit script (which talks over a
WebSocket). So a successful login issues a one-time ticket, valid for a minute; the page then navigates
to TICKET_ROUTE, which swaps the ticket for a session, sets the cookie and sends the browser back to the
page that was asked for. Logging out ends the session at once; LOGOUT_ROUTE then clears the cookie.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

from pipelines.build.runner import serving_dir
from pipelines.database import DatabaseBusy, default_path
from pipelines.errors import FileRefused
from pipelines.records import users

COOKIE = "linli_session"
IDLE = dt.timedelta(minutes=30)
LONGEST = dt.timedelta(hours=12)
TICKET_LIFE = dt.timedelta(minutes=1)


def expired(seen: dt.datetime, opened: dt.datetime, at: dt.datetime) -> bool:
    """A session unused for IDLE, or opened more than LONGEST ago, is over: a cookie's and a tab's alike."""
    return at - seen > IDLE or at - opened > LONGEST
TICKET_ROUTE = "/_linli/session"
LOGOUT_ROUTE = "/_linli/logout"


@dataclass
class Session:
    name: str
    stamp: dt.datetime        # the account's changed_at when the session was opened
    opened: dt.datetime
    seen: dt.datetime
    ended: bool = False


class Sessions:
    """The server's session rows and the tickets waiting to become sessions; safe across threads (the
    routes run on the event loop, the scripts on their own threads)."""

    def __init__(self):
        self._rows: dict[str, Session] = {}
        self._tickets: dict[str, tuple[str, dt.datetime, dt.datetime]] = {}
        self._lock = threading.Lock()

    def ticket(self, name: str, stamp: dt.datetime) -> str:
        with self._lock:
            at = users.now()
            self._tickets = {k: v for k, v in self._tickets.items() if v[2] > at}
            ticket = secrets.token_urlsafe(32)
            self._tickets[ticket] = (name, stamp, at + TICKET_LIFE)
            return ticket

    def redeem(self, ticket: str) -> str | None:
        """A new session's id for a ticket not yet used and not expired; None otherwise."""
        with self._lock:
            found = self._tickets.pop(ticket, None)
            at = users.now()
            if found is None or found[2] <= at:
                return None
            # rows past the longest a session may live are of no use to anyone
            self._rows = {k: v for k, v in self._rows.items() if at - v.opened <= LONGEST}
            sid = secrets.token_urlsafe(32)
            self._rows[sid] = Session(found[0], found[1], at, at)
            return sid

    def resume(self, sid: str) -> tuple[Session | None, str | None]:
        """The live session and marks it used; else None and why ("auth.timed_out", "auth.ended", or
        None for an id this server never issued)."""
        with self._lock:
            row = self._rows.get(sid)
            if row is None:
                return None, None
            at = users.now()
            if row.ended:
                return None, "auth.ended"
            if expired(row.seen, row.opened, at):
                row.ended = True
                return None, "auth.timed_out"
            row.seen = at
            return row, None

    def end(self, sid: str | None) -> None:
        with self._lock:
            if sid in self._rows:
                self._rows[sid].ended = True


SESSIONS = Sessions()
# A key of this process: cookies signed by an earlier server are refused, like its sessions.
_signer = URLSafeTimedSerializer(secrets.token_bytes(32), salt="linli.session")


def sign(sid: str) -> str:
    return _signer.dumps(sid)


def unsign(value: str | None) -> str | None:
    """The session id in a cookie value, or None when it was not signed here or is over LONGEST old."""
    if not value:
        return None
    try:
        sid = _signer.loads(value, max_age=int(LONGEST.total_seconds()))
    except BadSignature:
        return None
    return sid if isinstance(sid, str) else None


def safe_next(target: str | None) -> str:
    """A path on this server to go back to after login: never another site (`//evil`, `https://…`,
    `/\\evil`) nor one of these routes."""
    # '//' first, on the text as given: urlsplit reads '///evil' as no host and the path '/evil', while a
    # browser follows it to evil
    if not target or any(ord(c) < 0x20 for c in target) or "\\" in target or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//") \
            or parts.path.startswith("/_linli/"):
        return "/"
    return target


NEXT_KEY = "linli.next"


def remember_page_js(lang: str) -> str:
    """The login page's script: the address the viewer asked for (a deep link to 指标说明, its ?c=…), kept
    in the tab while the login form shows. The run after a successful login already opens the default page
    and rewrites the address bar; a busy browser may run the ticket's script only after that, so the page
    to come back to is read here, not there. `lang` in the text: a language switch renews it."""
    return (f"<script>/* {lang} */ sessionStorage.setItem({json.dumps(NEXT_KEY)}, "
            "window.location.pathname + window.location.search);</script>")


def go_to_ticket_js(ticket: str) -> str:
    """The page script that swaps a ticket for the cookie and comes back to the page the login form was
    shown on (remember_page_js), or the page the viewer is on."""
    route = json.dumps(f"{TICKET_ROUTE}?ticket={quote(ticket)}&next=")
    key = json.dumps(NEXT_KEY)
    return (f"<script>(() => {{ const next = sessionStorage.getItem({key}) || "
            f"(window.location.pathname + window.location.search); sessionStorage.removeItem({key}); "
            f"window.location.replace({route} + encodeURIComponent(next)); }})();</script>")


def clear_cookie_js() -> str:
    return f"<script>fetch({json.dumps(LOGOUT_ROUTE)}, {{method: 'POST', credentials: 'same-origin'}});</script>"


# ---- the HTTP side (Starlette, mounted by dashboard/server.py) -------------------------------------------

def _cookie_args(request) -> dict:
    # Secure whenever the browser reached us over https (directly, or through a TLS proxy that says so)
    https = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    return {"httponly": True, "samesite": "strict", "path": "/", "secure": https}


async def take_ticket(request):
    from starlette.responses import RedirectResponse
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    # Only our own page's navigation may swap a ticket: a link on another site carrying someone's ticket
    # would sign its visitor in as that someone (login CSRF). Browsers that send no Sec-Fetch-Site pass.
    if request.headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return response
    sid = SESSIONS.redeem(request.query_params.get("ticket", ""))
    if sid is not None:
        response.set_cookie(COOKIE, sign(sid), max_age=int(LONGEST.total_seconds()), **_cookie_args(request))
    return response


def _same_origin(headers) -> bool:
    origin = headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == headers.get("host")


async def log_out(request):
    from starlette.responses import Response
    if not _same_origin(request.headers):
        return Response(status_code=403)
    SESSIONS.end(unsign(request.cookies.get(COOKIE)))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, **_cookie_args(request))
    return response


def routes() -> list:
    from starlette.routing import Route
    return [Route(TICKET_ROUTE, take_ticket, methods=["GET"]), Route(LOGOUT_ROUTE, log_out, methods=["POST"])]


# Whether the dashboard runs open, asked of the store at most this often by the media check below.
OPEN_TTL_SECONDS = 10.0
_open_cache: list = [0.0, False]


# store_state's answers besides the two message keys; named, so that no comparison in the dashboard
# reads like a role test (the policy alone names roles)
RUNS_OPEN, HAS_ACCOUNTS = "open", "accounts"
# The stores this process has seen holding accounts. Moving the whole data folder away (store and
# snapshots both gone) looks like a first run; a server that has seen accounts there knows better and
# stays closed until it is restarted, so nobody can import into a new, account-less store in its place.
_HAD_ACCOUNTS: set[str] = set()


def store_state(db: Path) -> str:
    """Whether the dashboard runs open, the one answer for the pages (dashboard/auth.py) and the guard
    below: "open" for a store without accounts or a true first run (no store and nothing served),
    "accounts" when they exist, else why they cannot be read ("auth.store_missing": data is served
    but the store is gone; "auth.store_unreadable"). Both of the last fail closed. DatabaseBusy passes."""
    if not db.exists():
        gone = serving_dir(db).exists() or str(db.resolve()) in _HAD_ACCOUNTS
        return "auth.store_missing" if gone else RUNS_OPEN
    try:
        if users.accounts_exist(db):
            _HAD_ACCOUNTS.add(str(db.resolve()))
            return HAS_ACCOUNTS
        return RUNS_OPEN
    except (FileRefused, OSError):
        return "auth.store_unreadable"


def runs_open() -> bool:
    """True only while Linli runs as the open demo (store_state); a busy store counts as closed."""
    if time.monotonic() < _open_cache[0]:
        return _open_cache[1]
    try:
        found = store_state(default_path()) == RUNS_OPEN
    except DatabaseBusy:
        found = False
    _open_cache[:] = [time.monotonic() + OPEN_TTL_SECONDS, found]
    return found


def signed_in(cookie_value: str | None) -> bool:
    """Whether a request's cookie names a live session of an account whose password is unchanged."""
    sid = unsign(cookie_value)
    if sid is None:
        return False
    row, _ = SESSIONS.resume(sid)
    if row is None:
        return False
    try:
        account = users.lookup(default_path(), row.name)
    except (FileRefused, OSError, DatabaseBusy):
        return False
    return account is not None and account.changed_at == row.stamp


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie_of(headers: dict[str, str]) -> str | None:
    from http.cookies import CookieError, SimpleCookie
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:
        return None
    return jar[COOKIE].value if COOKIE in jar else None


def _is_media(path: str) -> bool:
    """A path of Streamlit's media route: /media/…, or under server.baseUrlPath (a config file or
    STREAMLIT_SERVER_BASE_URL_PATH may set one for a proxy's /linli/, moving the route to /linli/media/)."""
    from streamlit import config
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return path.startswith("/media/") or (bool(base) and path.startswith(f"/{base}/media/"))


class Guard:
    """In front of Streamlit, two checks no Streamlit setting gives:

    - a WebSocket opened by another site's page is refused before Streamlit sees it. Streamlit would
      otherwise compare such an origin with the machine's addresses, asking checkip.amazonaws.com for
      the external one (SPEC §7: no network at run time), and a page of another site has no business here;
    - a download or image under /media/ is served only to a browser with a live session (unless the
      dashboard runs open): Streamlit serves these to anyone holding the link, and a link's id is a hash
      of the file's content, not a secret."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = _headers(scope)
            if "origin" in headers and not _same_origin(headers):
                await send({"type": "websocket.close", "code": 1008})
                return
        elif scope["type"] == "http" and _is_media(scope.get("path", "")):
            from starlette.concurrency import run_in_threadpool
            headers = _headers(scope)
            # the store is read off the event loop: a slow disk must not stall every other tab
            allowed = await run_in_threadpool(lambda: runs_open() or signed_in(_cookie_of(headers)))
            if not allowed:
                from starlette.responses import Response
                await Response("请先登录 / please log in first", status_code=403,
                               headers={"Cache-Control": "no-store"})(scope, receive, send)
                return
        await self.app(scope, receive, send)
