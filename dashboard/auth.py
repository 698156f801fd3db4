"""Who is looking (SPEC §9): the login page, the session and its timeout, the demo banner; what the viewer
may do, asked of the one access policy (pipelines/records/access.py).

Accounts and the failed-login backoff live in the store (pipelines/records/users.py). A session
holds only the account's name, the time its password was last set and when it was
last used; the account itself is read back from the store on every run (cached for a few
seconds), so a removed account or a new password ends its sessions. Under `linli serve` the session
also lives in a signed HttpOnly cookie (dashboard/session_cookie.py), so a reload, a second tab or a
link opened later finds it. Logging out, or the idle timeout, forgets everything the browser session
held (upload previews, import results), not only the login. With no account configured Linli runs
open, as a demo, and says so on every page.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from dashboard import session_cookie
from pipelines.database import DatabaseBusy, default_path
from pipelines.present.format import plain
from pipelines.present.i18n import t
from pipelines.records import access, users

# How stale an account may be in this process: a removed user is shut out within this time.
ACCOUNT_TTL = dt.timedelta(seconds=10)
USER, STAMP, SEEN, OPENED, NOTE = "auth_user", "auth_stamp", "auth_seen", "auth_opened", "auth_note"
# the cookie's session, a ticket to swap for the cookie, and "clear the cookie" after a logout
SID, TICKET, CLEAR = "auth_sid", "auth_ticket", "auth_clear_cookie"
# What a logout keeps of the browser session: the language its note is shown in. Nothing else.
KEEP = ("w_lang",)
OPEN = access.OPEN    # the role of every viewer while no account exists


class NotSignedIn(PermissionError):
    """Data was asked for while accounts exist and nobody is signed in: nothing is shown."""

    def __init__(self):
        super().__init__("请先登录 / please log in first")


class StoreUnavailable(PermissionError):
    """Data is served but the accounts cannot be read: nothing is shown (failing open would show every
    community to anyone, as a renamed store once did)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@st.cache_data(ttl=ACCOUNT_TTL, show_spinner=False)
def _accounts_exist(db: str) -> bool:
    """False only on a true first run (no store and nothing served) or a store without accounts."""
    state = session_cookie.store_state(Path(db))
    if state.startswith("auth."):
        raise StoreUnavailable(state)
    return state == session_cookie.HAS_ACCOUNTS


@st.cache_data(ttl=ACCOUNT_TTL, show_spinner=False)
def _lookup(db: str, name: str) -> users.Account | None:
    return users.lookup(db, name)


def _db() -> str:
    return str(default_path())


def open_demo() -> bool:
    return not _accounts_exist(_db())


def viewer() -> users.Account | None:
    """The signed-in account; None while Linli runs open. Raises NotSignedIn otherwise, so a query
    run without a valid session (a page opened around the gate) returns nothing."""
    db = _db()
    if not _accounts_exist(db):
        return None
    name = st.session_state.get(USER)
    account = _lookup(db, name) if name else None
    if account is None or account.changed_at != st.session_state.get(STAMP):
        raise NotSignedIn()
    return account


def role() -> str:
    return access.role_of(viewer())


def can(action: str) -> bool:
    """May the viewer take `action` (an action of access.ACCESS)? Nobody may while signed out."""
    try:
        return access.may(role(), action)
    except NotSignedIn:
        return False


def writable(action: str) -> tuple[str, ...] | None:
    """The communities the viewer's `action` may write to: None for any (an admin, the open demo)."""
    return access.writable_communities(viewer(), action)


def user_name() -> str | None:
    """The name a write is recorded under; None in the open demo."""
    account = viewer()
    return None if account is None else account.name


def session_for(account: users.Account) -> dict:
    """The session keys of a signed-in account (set at login; tests set them to skip the form)."""
    at = users.now()
    return {USER: account.name, STAMP: account.changed_at, SEEN: at, OPENED: at}


def _forget(note_key: str | None = None) -> None:
    """End the session and forget all the browser session held, so the next person at this screen
    finds nothing of the last one's: previews, import buttons and results, filters."""
    session_cookie.SESSIONS.end(st.session_state.get(SID))
    kept = {key: st.session_state[key] for key in KEEP if key in st.session_state}
    st.session_state.clear()
    st.session_state.update(kept)
    st.session_state[CLEAR] = True
    if note_key:
        st.session_state[NOTE] = note_key


def _cookie() -> str | None:
    return st.context.cookies.get(session_cookie.COOKIE)     # None without a browser behind the run (AppTest)


def _restore() -> None:
    """Take up the session of the browser's cookie: a reload, another tab, a link opened later."""
    sid = session_cookie.unsign(_cookie())
    if sid is None:
        return
    row, why = session_cookie.SESSIONS.resume(sid)
    if row is None:
        if why == "auth.timed_out":
            st.session_state[NOTE] = why
        return
    st.session_state.update({USER: row.name, STAMP: row.stamp, SEEN: users.now(), OPENED: row.opened, SID: sid})


def _current(db: str) -> users.Account | None:
    """The session's account if it is still valid: known, same password, used within session_cookie.IDLE (the server's
    row says so for a cookie's session, shared by its tabs), at most 12 hours old."""
    if not st.session_state.get(USER):
        _restore()
    name = st.session_state.get(USER)
    if not name:
        return None
    sid = st.session_state.get(SID)
    if sid is not None:
        row, why = session_cookie.SESSIONS.resume(sid)
        if row is None:
            _forget(why or "auth.ended")
            return None
    else:
        seen, opened = st.session_state.get(SEEN), st.session_state.get(OPENED)
        if seen is None or opened is None or session_cookie.expired(seen, opened, users.now()):
            _forget("auth.timed_out")
            return None
    account = _lookup(db, name)
    if account is None or account.changed_at != st.session_state.get(STAMP):
        _forget("auth.ended")
        return None
    st.session_state[SEEN] = users.now()
    return account


def _wait_text(wait: dt.timedelta, lang: str) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 120:
        return t("auth.seconds", lang, n=seconds)
    return t("auth.minutes", lang, n=(seconds + 59) // 60)


def login_form(db: str, lang: str) -> None:
    st.title(t("auth.title", lang))
    st.html(session_cookie.remember_page_js(lang), unsafe_allow_javascript=True)
    if st.session_state.pop(CLEAR, False):
        st.html(session_cookie.clear_cookie_js(), unsafe_allow_javascript=True)
    note = st.session_state.pop(NOTE, None)
    if note:
        st.info(t(note, lang), icon=":material/logout:")
    with st.form("login", enter_to_submit=True):
        name = st.text_input(t("auth.name", lang), key="login_name", max_chars=64)
        password = st.text_input(t("auth.password", lang), type="password", key="login_password", max_chars=1024)
        submitted = st.form_submit_button(t("auth.submit", lang), type="primary")
    if not submitted:
        st.caption(t("auth.hint", lang))
        return
    if not name.strip() or not password:
        st.error(t("auth.missing", lang))
        return
    result = users.authenticate(db, name, password)
    if result.ok:
        _lookup.clear()
        st.session_state.pop("login_password", None)
        st.session_state.update(session_for(result.account))
        st.session_state[TICKET] = session_cookie.SESSIONS.ticket(result.account.name, result.account.changed_at)
        st.rerun()
    elif result.wait is not None:
        st.error(t("auth.locked", lang, wait=_wait_text(result.wait, lang)))
    else:
        st.error(t("auth.failed", lang))


def gate(lang: str) -> users.Account | None:
    """Run before the pages: the account, or None while Linli runs open (with the demo banner);
    without a valid session, the login page and a stop."""
    db = _db()
    try:
        if not _accounts_exist(db):
            if USER in st.session_state:
                _forget()
            st.info(t("auth.demo_banner", lang), icon=":material/lock_open:")
            return None
        account = _current(db)
        if account is None:
            login_form(db, lang)
            st.stop()
        ticket = st.session_state.pop(TICKET, None)
        if ticket:
            # to the cookie route and back to this very page (its path and its ?c=…)
            st.html(session_cookie.go_to_ticket_js(ticket), unsafe_allow_javascript=True)
    except DatabaseBusy:
        # fail closed: without the accounts nobody is let in
        st.error(t("auth.busy", lang))
        st.stop()
    except StoreUnavailable as exc:
        if USER in st.session_state:
            _forget()
        st.error(t(exc.key, lang, db=plain(Path(db).name)), icon=":material/lock:")
        st.stop()
    return account


def signed_in_box(account: users.Account | None, lang: str) -> None:
    """Below the sidebar's filters: who is signed in, and the way out."""
    if account is None:
        return
    st.sidebar.caption(t("auth.signed_in", lang, who=account.describe(lang)))
    if st.sidebar.button(t("auth.logout", lang), key="logout"):
        _forget("auth.logged_out")
        st.rerun()
