"""Accounts under concurrency (issue 15 item 12): the dashboard's threads read accounts while another
session holds the store open, and parallel wrong passwords are each counted and audited. Real threads,
joined; no sleeps. Also the login name box (item 5): what an unknown name leaves in the store."""
from __future__ import annotations

import hashlib
import hmac
import io
import os
import threading
from pathlib import Path

import duckdb
import pytest

from pipelines.database import reading, writing
from pipelines.errors import UserError
from pipelines.records import users
from tests.conftest import build_store, private_copy, rows

COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
"""
PASSWORD = "correct horse 9"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("users_concurrency"), {"communities": COMMUNITIES})
    users.add(db, "dir_a", "director", PASSWORD, community="A")
    return db


@pytest.fixture
def db(built, tmp_path):
    return private_copy(built, tmp_path / "t.duckdb")


def run_threads(n: int, work) -> list[BaseException]:
    """Start n threads at once (a barrier), join them all; the exceptions they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def body(i):
        start.wait()
        try:
            work(i)
        except BaseException as exc:   # noqa: BLE001 - every failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_account_reads_never_fail_while_another_session_holds_the_store_open(db):
    holding, done = threading.Event(), threading.Event()
    held: list = []

    def holder():
        with reading(db) as con:
            held.append(con.execute("SELECT count(*) FROM users").fetchone()[0])
            holding.set()
            done.wait()

    keeper = threading.Thread(target=holder)
    keeper.start()
    holding.wait()
    answers: list[tuple] = []

    def work(i):
        for _ in range(200):
            exists = users.accounts_exist(db)
            found = users.lookup(db, "dir_a" if i % 2 else "nobody")
            answers.append((i % 2, exists, found.community_id if found else None))

    try:
        errors = run_threads(8, work)
    finally:
        done.set()
        keeper.join()
    assert held == [1]
    assert errors == []
    assert len(answers) == 1600
    assert set(answers) == {(1, True, "A"), (0, True, None)}


def test_every_parallel_wrong_password_is_counted_and_audited(db, monkeypatch):
    monkeypatch.setattr(users, "FREE_TRIES", 100)   # no lock intervenes: the counter alone is under test
    results = []
    errors = run_threads(16, lambda i: results.append(users.authenticate(db, "dir_a", f"wrong-{i}")))
    assert errors == []
    assert [r.ok for r in results] == [False] * 16
    assert rows(db, "SELECT name, failures FROM login_failures") == [("dir_a", 16)]
    assert rows(db, "SELECT user_name, detail, count(*) FROM audit_log WHERE action = 'login.failed' "
                    "GROUP BY ALL") == [("dir_a", '{"reason": "password"}', 16)]


def test_parallel_wrong_passwords_meet_the_backoff_exactly_as_in_turn(db):
    errors = run_threads(16, lambda i: users.authenticate(db, "dir_a", f"wrong-{i}"))
    assert errors == []
    # the third failure locks the name; the other 13 are refused unheard, and each is in the trail
    assert rows(db, "SELECT failures FROM login_failures WHERE name = 'dir_a'") == [(users.FREE_TRIES,)]
    assert rows(db, "SELECT detail, count(*) FROM audit_log WHERE action = 'login.failed' GROUP BY ALL ORDER BY 1") \
        == [('{"reason": "locked"}', 13), ('{"reason": "password"}', 3)]


# ---- item 5: the name box keeps no typed text but an account's own name ----------------------------

def typed_key(text: str) -> str:
    """The stored form of a name that is no account: '?' and 12 hex of HMAC-SHA256 with the store's key."""
    key = bytes.fromhex(Path(os.environ["LINLI_KEY_FILE"]).read_text().strip())
    return "?" + hmac.new(key, b"login name:" + text.encode(), hashlib.sha256).hexdigest()[:12]


@pytest.mark.parametrize("typed", ["13912345678", "110105194912310021", "my secret pass 7"])
def test_an_unknown_name_is_kept_only_as_a_keyed_hash(db, typed):
    users.authenticate(db, typed, "whatever-1")
    users.authenticate(db, typed, "whatever-2")
    stored = typed_key(typed)
    assert rows(db, "SELECT name, failures FROM login_failures") == [(stored, 2)]
    assert rows(db, "SELECT user_name, community_id, detail FROM audit_log WHERE action = 'login.failed'") == \
        [(stored, None, '{"reason": "unknown"}')] * 2
    everything = str(rows(db, "SELECT * FROM audit_log")) + str(rows(db, "SELECT * FROM login_failures"))
    assert typed not in everything and typed[:7] not in everything


def test_the_backoff_still_counts_each_typed_name_apart(db, monkeypatch):
    waits = [users.authenticate(db, "13912345678", "x").wait for _ in range(3)]
    assert waits == [None, None, users.FIRST_LOCK]
    assert users.authenticate(db, "13912345679", "x").wait is None      # another text, its own count
    assert users.authenticate(db, " 13912345678 ", "x").wait is not None   # the same name, spaces aside
    assert rows(db, "SELECT failures FROM login_failures ORDER BY failures") == [(1,), (3,)]


def test_an_account_name_stays_as_it_is_in_the_trail(db):
    users.authenticate(db, "Dir_A", "wrong")
    assert rows(db, "SELECT user_name, community_id FROM audit_log WHERE action = 'login.failed'") == [("dir_a", "A")]
    assert rows(db, "SELECT name FROM login_failures") == [("dir_a",)]


@pytest.mark.parametrize("name, shown", [("13912345678", "139****5678"), ("+8613912345678", "+86139****5678"),
                                         ("11010519491231002X", "110***********002x"),
                                         ("139-1234-5678", "139****5678")])
def test_a_phone_or_id_number_is_refused_as_an_account_name(db, name, shown):
    with pytest.raises(UserError) as refused:
        users.add(db, name, "admin", PASSWORD)
    assert refused.value.message("zh").startswith(f"用户名“{shown}”不可用：用户名不能是手机号或身份证号")
    assert refused.value.message("en").startswith(f"the user name '{shown}' cannot be used: a user name must not "
                                                  "be a phone or ID-card number")
    assert name not in refused.value.message("zh") + refused.value.message("en")
    assert [a.name for a in users.list_accounts(db)] == ["dir_a"]


def test_linli_users_add_refuses_a_phone_number(db, monkeypatch, capsys):
    from pipelines.cli.main import main
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--db", str(db), "users", "add", "13912345678", "--role", "admin"]) == 1
    assert "用户名“139****5678”不可用：用户名不能是手机号或身份证号" in capsys.readouterr().err
    assert rows(db, "SELECT name FROM users") == [("dir_a",)]


def test_a_password_changed_while_a_login_is_checked_lets_the_old_one_in_no_more(db, monkeypatch):
    checked = users._verify

    def verify_then_change(hashed, password):
        good = checked(hashed, password)
        users.passwd(db, "dir_a", "another secret 7")   # another session changes it meanwhile
        return good

    monkeypatch.setattr(users, "_verify", verify_then_change)
    assert not users.authenticate(db, "dir_a", PASSWORD).ok
    assert rows(db, "SELECT user_name, detail FROM audit_log WHERE action LIKE 'login%'") == \
        [("dir_a", '{"reason": "password"}')]


def test_a_failed_login_meeting_a_transaction_conflict_is_tried_again_not_lost(db, monkeypatch):
    record, conflicts = users._record_login, []

    def conflict_first(*args):
        if not conflicts:
            conflicts.append(1)
            with writing(db) as con:   # written, then refused at the end as DuckDB refuses a conflict
                con.execute("INSERT INTO audit_log (action) VALUES ('rolled back')")
                raise duckdb.TransactionException("TransactionContext Error: Conflict on tuple deletion!")
        return record(*args)

    monkeypatch.setattr(users, "_record_login", conflict_first)
    assert users.authenticate(db, "dir_a", "wrong").wait is None
    assert conflicts == [1]
    assert rows(db, "SELECT name, failures FROM login_failures") == [("dir_a", 1)]
    assert rows(db, "SELECT action FROM audit_log WHERE action IN ('login.failed', 'rolled back')") == [("login.failed",)]


def test_an_unknown_login_name_reads_as_such_in_the_trail_never_as_typed():
    from pipelines.records.audit import who
    assert who("?3fa2c1d9e0b7", "命令行", "zh") == "未知用户名（3fa2c1）"
    assert who("?3fa2c1d9e0b7", "command line", "en") == "unknown name (3fa2c1)"
    assert who("?", "命令行", "zh") == "未知用户名"        # the key was lost: one bucket, no tag
    assert who("wang", "命令行", "zh") == "wang"
