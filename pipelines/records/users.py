"""Accounts, roles and the failed-login backoff (SPEC §9); the `linli users` commands.

Accounts live in the store (`users`), next to a per-name count of failed logins
(`login_failures`); both are records, kept by builds, imports, undo and demo runs
(records/kept.py KEPT_TABLES) and never published to the dashboard's snapshot. Only argon2
hashes are stored. The backoff lives in the store, not in a browser session, so a
new session (or a second browser) starts where the last one stopped.

Every read and write goes through the process's shared connection (database.borrowed / writing), so
the dashboard's threads never fail one another; a failed login's count and audit row are written one
login at a time, so parallel tries are each counted. What was typed into the name box is kept only
for an account's own name: any other text (a phone number, a password typed into the wrong box) is
kept as a keyed hash of it, so its backoff still counts and the trail shows no typed text.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipelines.database import borrowed, has_table, retrying, writing
from pipelines.errors import UserError
from pipelines.feeds import Word
from pipelines.personal import KeyRefused, contains_personal, key_for_store, mask_text
from pipelines.records import audit

USERS = "users"
FAILURES = "login_failures"
# role -> what names its scope: one community, one street office's communities, or everything
ROLES = {"director": "community", "member": "community", "official": "street", "admin": None}
# role -> its words, declared once (i18n.label("users.role", …) reads them); the English words are the
# names `linli users add --role` takes
ROLE_WORDS = {"director": Word("社区主任", "director"), "member": Word("社区工作人员", "member"),
              "official": Word("街道干部", "official"), "admin": Word("管理员", "admin")}
NAME = re.compile(r"^[\w.\-]{1,32}$")     # \w: letters of any script, so 王主任 is a name too
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
# Backoff: a few free tries, then a lock that doubles with each further failure, to a ceiling.
FREE_TRIES = 3
FIRST_LOCK = dt.timedelta(seconds=30)
LONGEST_LOCK = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def now() -> dt.datetime:
    """The clock logins and the backoff read; tests replace it instead of sleeping."""
    return dt.datetime.now()


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    community_id: str | None
    street: str | None
    changed_at: dt.datetime      # a new password or role changes it: sessions opened before end

    def describe(self, lang: str = "zh") -> str:
        where = self.community_id or self.street
        role = ROLE_WORDS[self.role].zh if lang == "zh" else ROLE_WORDS[self.role].en
        return f"{self.name}（{role}{' · ' + where if where else ''}）" if lang == "zh" else \
            f"{self.name} ({role}{', ' + where if where else ''})"


@dataclass(frozen=True)
class LoginResult:
    account: Account | None
    wait: dt.timedelta | None = None    # locked: how long until the next try is heard

    @property
    def ok(self) -> bool:
        return self.account is not None


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {USERS} (
        name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, community_id VARCHAR, street VARCHAR,
        password_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, changed_at TIMESTAMP NOT NULL)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {FAILURES} (
        name VARCHAR PRIMARY KEY, failures INTEGER NOT NULL, last_failed_at TIMESTAMP NOT NULL,
        locked_until TIMESTAMP)""")


def normal_name(name: str) -> str:
    """Names compare without case or surrounding spaces: Admin and admin are one account, one backoff."""
    return name.strip().casefold()


def _existing_store(db_path):
    """A cursor on the store (database.borrowed: waits for another process's lock, never fails another
    thread), or None when there is none yet: reading accounts must never create a database."""
    return borrowed(Path(db_path), create=False)


# ---- reading -------------------------------------------------------------------------------------

def accounts_exist(db_path) -> bool:
    """False only when no account is configured: then Linli runs open, as a demo."""
    with _existing_store(db_path) as con:
        if con is None:
            return False
        return has_table(con, USERS) and con.execute(f"SELECT count(*) FROM {USERS}").fetchone()[0] > 0


def _account(row) -> Account:
    return Account(row[0], row[1], row[2], row[3], row[4])


def lookup(db_path, name: str) -> Account | None:
    with _existing_store(db_path) as con:
        if con is None or not has_table(con, USERS):
            return None
        row = con.execute(f"SELECT name, role, community_id, street, changed_at FROM {USERS} WHERE name = ?",
                          [normal_name(name)]).fetchone()
        return _account(row) if row else None


def list_accounts(db_path) -> list[Account]:
    with _existing_store(db_path) as con:
        if con is None or not has_table(con, USERS):
            return []
        return [_account(r) for r in con.execute(
            f"SELECT name, role, community_id, street, changed_at FROM {USERS} ORDER BY role, name").fetchall()]


# ---- changing ------------------------------------------------------------------------------------

def check_name(name: str) -> str:
    name = normal_name(name)
    if contains_personal(name):
        # a name is shown in the audit trail and on every page: no resident's or staff member's number
        shown = mask_text(name)
        raise UserError(f"用户名“{shown}”不可用：用户名不能是手机号或身份证号，因为它会出现在操作记录和页面上。"
                        "请换一个名字，例如姓名拼音（wang_li）或岗位名（a_director）。",
                        f"the user name '{shown}' cannot be used: a user name must not be a phone or ID-card number, "
                        "as it appears in the audit trail and on the pages. Choose another, such as a name in "
                        "pinyin (wang_li) or a post (a_director).")
    if not NAME.match(name):
        shown = mask_text(name)
        raise UserError(f"用户名“{shown}”不可用：只能由 1–32 个字母、汉字、数字或 _ . - 组成，不含空格。",
                        f"the user name '{shown}' cannot be used: 1–32 letters, digits or _ . - only, no spaces.")
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD or not password.strip():
        raise UserError(f"密码太短：至少需要 {MIN_PASSWORD} 个字符。请换一个更长的密码。",
                        f"the password is too short: it needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"密码太长：最多 {MAX_PASSWORD} 个字符。", f"the password is too long: at most {MAX_PASSWORD} characters.")


def known_communities(con) -> dict[str, str | None]:
    """community id -> street, for every community the store knows (its communities list or any data)."""
    found: dict[str, str | None] = {}
    if has_table(con, "raw_communities"):
        found.update(con.execute("SELECT community_id, street FROM cur_communities").fetchall())
    if has_table(con, "kpi"):
        for (c,) in con.execute("SELECT DISTINCT community_id FROM kpi").fetchall():
            found.setdefault(c, None)
    return found


def check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"角色“{role}”不存在。可用的角色：director（社区主任）、member（社区工作人员）、"
                        "official（街道干部）、admin（管理员）。",
                        f"there is no role '{role}'. Roles: director, member, official, admin.")


def _resolve_scope(con, role: str, community: str | None, street: str | None) -> tuple[str | None, str | None]:
    check_role(role)
    needs = ROLES[role]
    if needs != "community" and community:
        raise UserError(f"角色 {role} 不属于某一个社区，请去掉 --community。",
                        f"the role {role} belongs to no single community: drop --community.")
    if needs != "street" and street:
        raise UserError(f"只有 official（街道干部）按街道划定范围，角色 {role} 请去掉 --street。",
                        f"only an official's scope is a street: drop --street for the role {role}.")
    if needs is None:
        return None, None
    known = known_communities(con)
    if not known:
        raise UserError("数据库里还没有任何社区。请先导入社区名单（linli ingest communities 文件）并运行 linli build，"
                        "再为社区或街道建账号。",
                        "the database knows no community yet. Import the communities list "
                        "(linli ingest communities FILE) and run linli build first.")
    if needs == "community":
        if not community:
            raise UserError(f"角色 {role} 需要指定所属社区：--community 社区编号（可选：{'、'.join(sorted(known))}）。",
                            f"the role {role} needs its community: --community ID (one of {', '.join(sorted(known))}).")
        if community not in known:
            raise UserError(f"社区“{community}”不在数据库里。可选的社区编号：{'、'.join(sorted(known))}。",
                            f"there is no community '{community}'. Known community ids: {', '.join(sorted(known))}.")
        return community, None
    streets = sorted({s for s in known.values() if s})
    if not street:
        raise UserError(f"角色 official 需要指定街道：--street 街道名称（可选：{'、'.join(streets) or '无'}）。",
                        f"the role official needs its street: --street NAME (one of {', '.join(streets) or 'none'}).")
    if street not in streets:
        raise UserError(f"街道“{street}”不在社区名单里。可选的街道：{'、'.join(streets) or '（社区名单中没有填写街道）'}。",
                        f"no community lists the street '{street}'. Known streets: {', '.join(streets) or 'none'}.")
    return None, street


def add(db_path, name: str, role: str, password: str, community: str | None = None,
        street: str | None = None) -> Account:
    name = check_name(name)
    check_role(role)
    check_password(password)
    hashed = _hasher.hash(password)
    with writing(db_path) as con:
        ensure(con)
        if con.execute(f"SELECT count(*) FROM {USERS} WHERE name = ?", [name]).fetchone()[0]:
            raise UserError(f"用户“{name}”已经存在。改密码请用 linli users passwd {name}；改角色请先删除再添加。",
                            f"the user '{name}' exists already. Use linli users passwd {name} to change the password.")
        community, street = _resolve_scope(con, role, community, street)
        stamp = now()
        con.execute(f"INSERT INTO {USERS} VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [name, role, community, street, hashed, stamp, stamp])
        audit.record(con, "user.add", community_id=community, name=name, role=role, street=street)
        return Account(name, role, community, street, stamp)


def _existing(con, name: str) -> str:
    name = normal_name(name)
    if not has_table(con, USERS) or not con.execute(f"SELECT count(*) FROM {USERS} WHERE name = ?", [name]).fetchone()[0]:
        raise UserError(f"没有用户“{name}”。运行 linli users list 查看所有账号。",
                        f"there is no user '{name}'. Run linli users list to see the accounts.")
    return name


def passwd(db_path, name: str, password: str) -> None:
    check_password(password)
    hashed = _hasher.hash(password)
    with writing(db_path) as con:
        name = _existing(con, name)
        ensure(con)
        # a new changed_at ends every session opened with the old password
        con.execute(f"UPDATE {USERS} SET password_hash = ?, changed_at = ? WHERE name = ?", [hashed, now(), name])
        con.execute(f"DELETE FROM {FAILURES} WHERE name = ?", [name])
        audit.record(con, "user.passwd", name=name)


def remove(db_path, name: str) -> int:
    """Removes the account; returns how many accounts are left (0: Linli is open again)."""
    with writing(db_path) as con:
        name = _existing(con, name)
        ensure(con)
        con.execute(f"DELETE FROM {USERS} WHERE name = ?", [name])
        con.execute(f"DELETE FROM {FAILURES} WHERE name = ?", [name])
        audit.record(con, "user.remove", name=name)
        return con.execute(f"SELECT count(*) FROM {USERS}").fetchone()[0]


# ---- logging in ----------------------------------------------------------------------------------

def lock_after(failures: int) -> dt.timedelta | None:
    """How long a name is locked after its n-th failure in a row."""
    if failures < FREE_TRIES:
        return None
    return min(FIRST_LOCK * 2 ** (failures - FREE_TRIES), LONGEST_LOCK)


def _verify(hashed: str | None, password: str) -> bool:
    global _dummy_hash
    if hashed is None:
        # an unknown name costs the same time as a known one, so timing does not tell names apart
        _dummy_hash = _dummy_hash or _hasher.hash("linli-no-such-user")
        hashed = _dummy_hash
        password = password + "\x00"
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _typed_name_key(con, name: str) -> str:
    """What the store keeps of a name that is no account: '?' and a keyed hash (HMAC with the store's
    personal-data key), the same for the same typed text, so its backoff counts as a name's does and
    the trail can tell repeated tries apart, while neither holds what was typed."""
    remembered = None
    if has_table(con, "linli_meta"):
        found = con.execute("SELECT value FROM linli_meta WHERE name = 'key_fingerprint'").fetchone()
        remembered = found[0] if found else None
    try:
        key, _ = key_for_store(remembered)
    except KeyRefused:   # the key is lost: imports are refused and say so; a login only loses the detail
        return audit.UNKNOWN_PREFIX
    return audit.UNKNOWN_PREFIX + hmac.new(key, b"login name:" + name.encode(), hashlib.sha256).hexdigest()[:12]


def _locked_until(con, key: str) -> dt.datetime | None:
    if not has_table(con, FAILURES):
        return None
    locked = con.execute(f"SELECT locked_until FROM {FAILURES} WHERE name = ?", [key]).fetchone()
    return locked[0] if locked else None


def authenticate(db_path, name: str, password: str) -> LoginResult:
    """Check a login and record it (audit login.ok / login.failed); a locked name is refused unheard.
    The count and its audit row are written one login at a time, re-reading the lock, so parallel tries
    meet the backoff as tries in turn would; a transaction conflict is tried again, never lost."""
    name = normal_name(name)
    at = now()
    path = Path(db_path)
    with _existing_store(path) as con:
        if con is None:
            return LoginResult(None)
        row = con.execute(f"SELECT name, role, community_id, street, changed_at, password_hash FROM {USERS} "
                          "WHERE name = ?", [name]).fetchone() if has_table(con, USERS) else None
        typed = _typed_name_key(con, name)   # for every name: a known one costs the same time
        key = name if row else typed
        locked = _locked_until(con, key)
    # a locked name is not heard, so no password is checked for it
    good = not (locked and locked > at) and _verify(row[5] if row else None, password)
    return retrying(lambda: _record_login(path, key, row, good, password, at))


def _record_login(path: Path, key: str, row, good: bool, password: str, at: dt.datetime) -> LoginResult:
    with writing(path, create=False) as con:
        if con is None:   # the store went away meanwhile: nobody is let in
            return LoginResult(None)
        ensure(con)
        community = row[2] if row else None
        locked = _locked_until(con, key)
        if locked and locked > at:
            audit.record(con, "login.failed", user=key, community_id=community, reason="locked")
            return LoginResult(None, locked - at)
        if good and con.execute(f"SELECT password_hash FROM {USERS} WHERE name = ?", [key]).fetchone() != (row[5],):
            good = False   # the password was changed, or the account removed, since it was checked
        if good:
            con.execute(f"DELETE FROM {FAILURES} WHERE name = ?", [key])
            if _hasher.check_needs_rehash(row[5]):
                con.execute(f"UPDATE {USERS} SET password_hash = ? WHERE name = ?", [_hasher.hash(password), key])
            audit.record(con, "login.ok", user=key, community_id=community)
            return LoginResult(_account(row))
        # unknown names back off like known ones, so a lock does not tell which names exist
        failures = (con.execute(f"SELECT failures FROM {FAILURES} WHERE name = ?", [key]).fetchone() or [0])[0] + 1
        wait = lock_after(failures)
        con.execute(f"""INSERT INTO {FAILURES} VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET
                        failures = excluded.failures, last_failed_at = excluded.last_failed_at,
                        locked_until = excluded.locked_until""",
                    [key, failures, at, at + wait if wait else None])
        audit.record(con, "login.failed", user=key, community_id=community,
                     reason="password" if row else "unknown")
        return LoginResult(None, wait)
