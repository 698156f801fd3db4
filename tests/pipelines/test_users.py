"""`linli users …` (SPEC §9): passwords from standard input, argon2 hashes only, clear refusals; the
failed-login backoff on an injected clock; imports, undo and logins in the audit trail."""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil

import duckdb
import pytest

from pipelines.cli.main import main
from pipelines.ingest.store import import_file, undo
from pipelines.records import audit, users
from tests.conftest import build_store, write

COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
B,B社区,金桥街道,1000,26.58,106.72
C,C社区,花溪街道,500,26.40,106.60
"""
ORDERS_A = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
O1,A,S1,group_buy,2025-06-03 10:00,10,1,paid
O2,A,S1,group_buy,2025-06-03 11:00,20,1,paid
"""
PASSWORD = "correct horse 9"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("users"), {"communities": COMMUNITIES})


@pytest.fixture
def db(built, tmp_path):
    copy = tmp_path / "t.duckdb"
    shutil.copy(built, copy)
    return copy


def run(db, *argv, stdin: str = "", monkeypatch=None) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))   # a StringIO is not a terminal: one line is read
    return main(["--db", str(db), "users", *argv])


def rows(db, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_add_reads_the_password_from_stdin_and_stores_only_an_argon2_hash(db, monkeypatch, capsys):
    assert run(db, "add", "Dir_A", "--role", "director", "--community", "A", stdin=PASSWORD + "\n",
               monkeypatch=monkeypatch) == 0
    assert "已添加账号 dir_a（社区主任 · A）" in capsys.readouterr().out
    [(name, role, community, street, hashed)] = rows(db, "SELECT name, role, community_id, street, password_hash FROM users")
    assert (name, role, community, street) == ("dir_a", "director", "A", None)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert users.authenticate(db, "DIR_A ", PASSWORD).account.community_id == "A"   # case and spaces do not matter


def test_list_shows_every_account_with_its_scope(db, monkeypatch, capsys):
    run(db, "add", "wang", "--role", "official", "--street", "金桥街道", stdin=PASSWORD, monkeypatch=monkeypatch)
    run(db, "add", "root", "--role", "admin", stdin=PASSWORD, monkeypatch=monkeypatch)
    capsys.readouterr()
    assert run(db, "list", monkeypatch=monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "用户名\t角色\t范围\t修改时间"
    assert [line.split("\t")[:3] for line in lines[1:]] == [["root", "管理员", "全部"], ["wang", "街道干部", "金桥街道"]]


@pytest.mark.parametrize("argv, message", [
    (["add", "x1", "--role", "boss"], "角色“boss”不存在。可用的角色：director（社区主任）、member（社区工作人员）"),
    (["add", "x1", "--role", "member", "--community", "Z"], "社区“Z”不在数据库里。可选的社区编号：A、B、C。"),
    (["add", "x1", "--role", "member"], "角色 member 需要指定所属社区：--community 社区编号（可选：A、B、C）。"),
    (["add", "x1", "--role", "official", "--street", "南明街道"], "街道“南明街道”不在社区名单里。可选的街道：花溪街道、金桥街道。"),
    (["add", "x1", "--role", "official", "--community", "A"], "角色 official 不属于某一个社区，请去掉 --community。"),
    (["add", "x1", "--role", "director", "--street", "金桥街道"], "只有 official（街道干部）按街道划定范围"),
    (["add", "两 个", "--role", "admin"], "用户名“两 个”不可用"),
    (["passwd", "nobody"], "没有用户“nobody”。运行 linli users list 查看所有账号。"),
    (["remove", "nobody"], "没有用户“nobody”。"),
])
def test_bad_input_is_refused_with_what_and_how_to_fix(db, monkeypatch, capsys, argv, message):
    assert run(db, *argv, stdin=PASSWORD, monkeypatch=monkeypatch) == 1
    assert message in capsys.readouterr().err
    assert users.list_accounts(db) == []


def test_a_short_or_missing_password_is_refused(db, monkeypatch, capsys):
    assert run(db, "add", "m1", "--role", "member", "--community", "A", stdin="short\n", monkeypatch=monkeypatch) == 1
    assert "密码太短：至少需要 8 个字符" in capsys.readouterr().err
    assert run(db, "add", "m1", "--role", "member", "--community", "A", stdin="", monkeypatch=monkeypatch) == 1
    assert "标准输入里没有密码" in capsys.readouterr().err


def test_a_community_account_needs_communities_in_the_store(tmp_path, monkeypatch, capsys):
    assert run(tmp_path / "new.duckdb", "add", "m1", "--role", "member", "--community", "A", stdin=PASSWORD,
               monkeypatch=monkeypatch) == 1
    assert "数据库里还没有任何社区。请先导入社区名单" in capsys.readouterr().err


def test_passwd_replaces_the_hash_and_ends_old_sessions(db, monkeypatch):
    run(db, "add", "m1", "--role", "member", "--community", "B", stdin=PASSWORD, monkeypatch=monkeypatch)
    before = users.lookup(db, "m1")
    monkeypatch.setattr(users, "now", lambda: before.changed_at + dt.timedelta(minutes=5))
    assert run(db, "passwd", "m1", stdin="another secret 7\n", monkeypatch=monkeypatch) == 0
    assert not users.authenticate(db, "m1", PASSWORD).ok
    assert users.authenticate(db, "m1", "another secret 7").ok
    assert users.lookup(db, "m1").changed_at == before.changed_at + dt.timedelta(minutes=5)


def test_removing_the_last_account_says_linli_is_open_again(db, monkeypatch, capsys):
    run(db, "add", "m1", "--role", "member", "--community", "B", stdin=PASSWORD, monkeypatch=monkeypatch)
    assert users.accounts_exist(db)
    assert run(db, "remove", "m1", "--yes", monkeypatch=monkeypatch) == 0     # the last one: asked (test_cli_safety)
    assert "已经没有任何账号，看板现在不需要登录" in capsys.readouterr().err
    assert not users.accounts_exist(db) and users.lookup(db, "m1") is None


def test_reading_accounts_never_creates_a_database(tmp_path):
    assert not users.accounts_exist(tmp_path / "none.duckdb")
    assert not (tmp_path / "none.duckdb").exists()


class Clock:
    def __init__(self, start: dt.datetime):
        self.at = start

    def __call__(self) -> dt.datetime:
        return self.at


def test_failed_logins_back_off_and_the_lock_outlives_the_session(db, monkeypatch):
    users.add(db, "m1", "member", PASSWORD, community="A")
    clock = Clock(dt.datetime(2025, 6, 2, 9, 0))
    monkeypatch.setattr(users, "now", clock)
    assert users.authenticate(db, "m1", "wrong-1").wait is None          # two free tries
    assert users.authenticate(db, "m1", "wrong-2").wait is None
    assert users.authenticate(db, "m1", "wrong-3").wait == dt.timedelta(seconds=30)
    clock.at += dt.timedelta(seconds=10)
    # locked: even the right password is not heard (the lock is in the store, so a new browser session meets it)
    locked = users.authenticate(db, "m1", PASSWORD)
    assert not locked.ok and locked.wait == dt.timedelta(seconds=20)
    clock.at += dt.timedelta(seconds=20)
    assert users.authenticate(db, "m1", "wrong-4").wait == dt.timedelta(seconds=60)   # doubles
    clock.at += dt.timedelta(seconds=60)
    assert users.authenticate(db, "m1", PASSWORD).ok
    assert users.authenticate(db, "m1", "wrong-5").wait is None          # a success starts the count again
    assert users.lock_after(20) == dt.timedelta(minutes=15)              # the ceiling


def test_unknown_names_back_off_like_known_ones(db, monkeypatch):
    monkeypatch.setattr(users, "now", Clock(dt.datetime(2025, 6, 2, 9, 0)))
    waits = [users.authenticate(db, "ghost", "x").wait for _ in range(3)]
    assert waits == [None, None, dt.timedelta(seconds=30)]


def test_logins_are_recorded_with_user_time_and_outcome(db, monkeypatch):
    users.add(db, "m1", "member", PASSWORD, community="A")
    users.authenticate(db, "m1", "wrong-1")
    users.authenticate(db, "m1", PASSWORD)
    logins = rows(db, "SELECT user_name, action, community_id, detail FROM audit_log WHERE action LIKE 'login%' ORDER BY seq")
    assert logins == [("m1", "login.failed", "A", json.dumps({"reason": "password"})), ("m1", "login.ok", "A", None)]
    assert PASSWORD not in str(rows(db, "SELECT * FROM audit_log"))


def test_imports_and_undo_are_recorded_with_the_user_and_their_communities(db, tmp_path):
    report = import_file(db, "orders", write(tmp_path / "orders_a.csv", ORDERS_A), user="dir_a")
    undo(db, report.import_id, user="dir_a")
    trail = rows(db, "SELECT user_name, action, community_id, detail FROM audit_log "
                     "WHERE action IN ('import', 'undo') AND user_name = 'dir_a' ORDER BY seq")
    assert [(u, a, c) for u, a, c, _ in trail] == [("dir_a", "import", "A"), ("dir_a", "undo", "A")]
    detail = json.loads(trail[0][3])
    assert (detail["import_id"], detail["communities"], detail["rows_new"], detail["file"]) == \
        (report.import_id, ["A"], 2, "orders_a.csv")
    con = duckdb.connect(str(db))
    try:
        assert report.import_id in audit.imports_of(con, ["A"])
        assert report.import_id not in audit.imports_of(con, ["B"])
        # the communities file held A, B and C: only someone who sees all three sees that import
        assert [r[3] for r in audit.trail(con, ["A"])] == ["undo", "import"]
    finally:
        con.close()
