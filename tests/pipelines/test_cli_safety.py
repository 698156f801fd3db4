"""The command line never destroys what it was not asked to (issue 15, items 1 and 17).

`linli report -o` refuses the store, its WAL, its snapshots, its profiles and the person key (through
symlinks and hard links too), never replaces a file of another kind without --force, and writes whole
and owner-only. Every command runs under umask 077. Changes from the command line are audited under
the OS account, and the 操作记录 page says so in words. Removing the last account or the last admin asks.
"""
from __future__ import annotations

import io
import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.build.runner import current_snapshot, serving_dir
from pipelines.cli.main import main
from pipelines.ingest.profiles import user_dir
from pipelines.personal import create_key, key_path
from pipelines.records import users
from tests.conftest import build_store, private_copy
from tests.dashboard.conftest import BUILDINGS, POINTS
from tests.pipelines import test_kpi as fx

WEEK = "2025-06-02"
PASSWORD = "correct horse 9"
ROOT = Path(__file__).resolve().parents[2]
OS_USER = pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("cli_safety"), {
        "communities": fx.COMMUNITIES, "buildings": BUILDINGS, "points": POINTS, "orders": fx.ORDERS,
        "parcels": fx.PARCELS, "complaints": fx.COMPLAINTS, "training": fx.TRAINING, "jobs": fx.JOBS})
    users.add(db, "root", "admin", PASSWORD)
    return db


@pytest.fixture
def store(built, tmp_path):
    """A private copy (the test may try to destroy it) with its snapshot folder."""
    return private_copy(built, tmp_path / "data" / "linli.duckdb", snapshots=True)


def _contents(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return (con.execute("SELECT import_id, kind, file_name, status FROM imports ORDER BY 1").fetchall(),
                con.execute("SELECT name, role FROM users ORDER BY 1").fetchall())
    finally:
        con.close()


def _report(db: Path, out: Path | str, *more: str, fmt: str = "xlsx") -> int:
    return main(["--db", str(db), "report", "--community", "A", "--week", WEEK, "--format", fmt, "-o", str(out), *more])


# ---- item 1: no command overwrites the store ------------------------------------------------------

def test_report_onto_the_store_is_refused_and_the_store_keeps_its_imports_and_users(store, capsys):
    before = _contents(store)
    assert len(before[0]) == 8 and before[1] == [("root", "admin")]
    size = store.stat().st_size
    assert _report(store, store) == 2
    err = capsys.readouterr().err
    assert f"不会写入《{store}》" in err and "Linli 的数据库" in err and "没有写入任何内容" in err
    assert store.stat().st_size == size
    assert _contents(store) == before
    assert not list(store.parent.glob(".*.partial"))


def test_report_refusal_is_in_english_too(store, capsys, monkeypatch):
    monkeypatch.setenv("LINLI_LANG", "en")
    assert _report(store, store, "--force") == 2     # --force never reaches the store
    err = capsys.readouterr().err
    assert f"Will not write '{store}': it is the Linli database" in err and "Nothing was written" in err


@pytest.mark.parametrize("which", ["wal", "snapshot", "pointer", "snapshot_folder", "profile", "key"])
def test_report_onto_the_wal_snapshots_profiles_or_key_is_refused(store, which, capsys):
    key = key_path()
    if not key.exists():      # made by the first import with a phone or ID number
        create_key(key)
    profiles = user_dir(store)
    profiles.mkdir(exist_ok=True)
    (profiles / "mine.toml").write_text('name = "mine"\n')
    target = {"wal": store.with_name(store.name + ".wal"), "snapshot": current_snapshot(store),
              "pointer": serving_dir(store) / "CURRENT", "snapshot_folder": serving_dir(store) / "brief.xlsx",
              "profile": profiles / "mine.toml", "key": key}[which]
    before = target.read_bytes() if target.exists() else None
    assert _report(store, target, "--force") == 2
    assert "没有写入任何内容" in capsys.readouterr().err
    assert (target.read_bytes() if target.exists() else None) == before
    assert _contents(store)[1] == [("root", "admin")]


def test_report_through_a_symlink_or_a_hard_link_to_the_store_is_refused(store, tmp_path, capsys):
    before = _contents(store)
    link = tmp_path / "brief.xlsx"
    link.symlink_to(store)
    assert _report(store, link) == 2
    assert f"经链接指向《{store}》" in capsys.readouterr().err
    dangling = tmp_path / "wal-brief.xlsx"     # a link to the WAL, which does not exist now
    dangling.symlink_to(store.with_name(store.name + ".wal"))
    assert _report(store, dangling) == 2
    assert not store.with_name(store.name + ".wal").exists()
    hard = tmp_path / "hard.xlsx"
    os.link(store, hard)
    assert _report(store, hard, "--force") == 2
    assert _contents(store) == before


def test_a_relative_path_to_the_store_is_refused_without_calling_it_a_link(store, tmp_path, capsys, monkeypatch):
    (store.parent / "sub").mkdir()
    monkeypatch.chdir(store.parent / "sub")
    assert _report(store, "../linli.duckdb") == 2
    err = capsys.readouterr().err
    assert "不会写入《../linli.duckdb》：它是Linli 的数据库，写入会毁掉它" in err and "经链接" not in err
    assert _report(store, f"../{serving_dir(store).name}/../linli.duckdb.wal") == 2
    err = capsys.readouterr().err
    assert "Linli 数据库的日志文件（.wal），写入会毁掉它" in err and "经链接" not in err
    assert _contents(store)[1] == [("root", "admin")]


def test_an_existing_file_of_another_kind_is_replaced_only_with_force(store, tmp_path, capsys):
    notes = tmp_path / "会议记录.xlsx"
    notes.write_text("周一例会：讨论快递柜\n", encoding="utf-8")
    assert _report(store, notes) == 2
    err = capsys.readouterr().err
    assert "不是Excel 工作簿" in err and "--force" in err
    assert notes.read_text(encoding="utf-8") == "周一例会：讨论快递柜\n"
    assert _report(store, notes, "--force") == 0
    assert notes.read_bytes()[:2] == b"PK"
    # a workbook is no PDF either
    assert _report(store, notes, fmt="pdf") == 2
    assert notes.read_bytes()[:2] == b"PK"


def test_another_duckdb_database_is_never_replaced(store, built, tmp_path, capsys):
    other = tmp_path / "other.xlsx"
    shutil.copy(built, other)
    assert _report(store, other, "--force") == 2
    assert "DuckDB" in capsys.readouterr().err
    assert other.read_bytes() == built.read_bytes()


def test_an_existing_brief_is_replaced_whole_and_owner_only(store, tmp_path):
    out = tmp_path / "brief.xlsx"
    assert _report(store, out) == 0
    first = out.read_bytes()
    os.chmod(out, 0o644)
    assert _report(store, out) == 0     # the same kind: no --force needed
    assert out.read_bytes()[:2] == b"PK" and len(out.read_bytes()) == pytest.approx(len(first), rel=0.05)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.partial"))
    png = tmp_path / "card.png"
    assert _report(store, png, fmt="png") == 0 and _report(store, png, fmt="png") == 0
    assert png.read_bytes().startswith(b"\x89PNG")


def test_demo_files_never_go_into_the_snapshot_folder(store, capsys):
    before = sorted(p.name for p in serving_dir(store).iterdir())
    assert main(["--db", str(store), "demo", "--yes", "--communities", "1", "--weeks", "3",
                 "--out", str(serving_dir(store))]) == 2
    assert "看板快照文件夹" in capsys.readouterr().err
    assert sorted(p.name for p in serving_dir(store).iterdir()) == before
    assert len(_contents(store)[0]) == 8      # refused before anything was deleted


def test_demo_does_not_overwrite_a_register_of_the_same_name(tmp_path, capsys):
    out = tmp_path / "files"
    out.mkdir()
    mine = out / "楼栋信息.csv"
    mine.write_text("楼栋编号,社区编号,楼栋名称\nB1,A,我们的1栋\n", encoding="utf-8")
    db = tmp_path / "data" / "linli.duckdb"
    assert main(["--db", str(db), "demo", "--communities", "1", "--weeks", "3", "--out", str(out)]) == 2
    assert "不是同名的演示文件" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8").endswith("我们的1栋\n")
    assert not db.exists()


# ---- item 17: owner-only files, the OS account in the audit, confirming removals ------------------

def test_linli_demo_writes_only_owner_only_files(tmp_path):
    data = tmp_path / "data"
    env = dict(os.environ, LINLI_KEY_FILE=str(data / "keys" / "person.key"), LINLI_LANG="zh")
    result = subprocess.run([sys.executable, "-m", "pipelines.cli.main", "--db", str(data / "linli.duckdb"), "demo",
                             "--communities", "1", "--weeks", "3"], check=False, cwd=ROOT, env=env, capture_output=True,
                            text=True, preexec_fn=lambda: os.umask(0o022), timeout=300)
    assert result.returncode == 0, result.stderr
    found = {p.relative_to(data).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [data, *data.rglob("*")]}
    assert {"linli.duckdb", "keys/person.key", "linli.serving/CURRENT", "demo/楼栋信息.csv"} <= set(found)
    assert any(name.startswith("linli.serving/build-") for name in found)
    assert {name: mode for name, mode in found.items() if mode & 0o077} == {}


def test_main_gives_back_the_callers_umask(tmp_path):
    old = os.umask(0o022)
    try:
        main(["--db", str(tmp_path / "x.duckdb"), "imports"])
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(old)


def test_command_line_changes_are_audited_under_the_os_account(store, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--db", str(store), "users", "add", "dir_a", "--role", "director", "--community", "A"]) == 0
    assert main(["--db", str(store), "rules", "A", "--overdue-hours", "36"]) == 0
    assert main(["--db", str(store), "undo", "8"]) == 0
    users.passwd(store, "dir_a", "another secret 2")     # not through the command line: no OS account
    con = duckdb.connect(str(store), read_only=True)
    rows = con.execute("SELECT action, user_name FROM audit_log WHERE action IN "
                       "('user.add', 'rules', 'undo', 'user.passwd') ORDER BY seq").fetchall()
    con.close()
    assert rows == [("user.add", None), ("user.add", f"os:{OS_USER}"), ("rules", f"os:{OS_USER}"),
                    ("undo", f"os:{OS_USER}"), ("user.passwd", None)]


def test_the_audit_page_names_the_command_line_and_its_os_account(store, monkeypatch):
    from tests.dashboard.test_access import open_as
    assert main(["--db", str(store), "rules", "A", "--overdue-hours", "36"]) == 0
    monkeypatch.setenv("LINLI_DB", str(store))
    at = open_as(store, "root", "audit")
    assert not at.exception
    shown = at.dataframe[0].value
    by = dict(zip(shown["操作"], shown["操作人"]))
    assert by["修改规则"] == f"命令行（{OS_USER}）"
    assert by["添加账号"] == "命令行"       # added before the command line named itself (users.add in the fixture)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _remove(db: Path, name: str, *more: str, stdin=None, monkeypatch) -> int:
    monkeypatch.setattr(sys, "stdin", stdin if stdin is not None else io.StringIO(""))
    return main(["--db", str(db), "users", "remove", name, *more])


def test_removing_the_last_account_asks_first(store, monkeypatch, capsys):
    assert _remove(store, "root", monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "最后一个账号" in err and "--yes" in err
    assert _contents(store)[1] == [("root", "admin")]
    assert _remove(store, "root", stdin=Tty("n\n"), monkeypatch=monkeypatch) == 1
    assert "继续吗？[y/N]" in capsys.readouterr().err
    assert _contents(store)[1] == [("root", "admin")]
    assert _remove(store, "root", stdin=Tty("y\n"), monkeypatch=monkeypatch) == 0
    assert _contents(store)[1] == []


def test_removing_the_last_admin_warns_and_asks(store, monkeypatch, capsys):
    users.add(store, "dir_a", "director", PASSWORD, community="A")
    assert _remove(store, "root", monkeypatch=monkeypatch) == 1
    assert "最后一个管理员" in capsys.readouterr().err
    assert _contents(store)[1] == [("dir_a", "director"), ("root", "admin")]
    assert _remove(store, "root", "--yes", monkeypatch=monkeypatch) == 0
    assert _contents(store)[1] == [("dir_a", "director")]


def test_removing_an_account_that_is_neither_asks_nothing(store, monkeypatch):
    users.add(store, "dir_a", "director", PASSWORD, community="A")
    users.add(store, "root2", "admin", PASSWORD)
    assert _remove(store, "dir_a", monkeypatch=monkeypatch) == 0
    assert _remove(store, "root", monkeypatch=monkeypatch) == 0      # another admin is left
    assert _contents(store)[1] == [("root2", "admin")]
