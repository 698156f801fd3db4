"""Process hygiene (SPEC §4): what --db may name, waiting for another process's lock, stopping `linli serve`.

Everything here runs `linli` as a real process, because exit status, stderr and signals are the contract.
Waits are on conditions (a line on a pipe, a port answering, a process gone), each with a deadline.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDERS = ("order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"
          "1,A,A-S1,group_buy,2025-03-11 10:00,10,paid\n")


def linli(args: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=kw.pop("timeout", 120), **kw)


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ, LINLI_KEY_FILE=str(tmp_path / "person.key"), LINLI_LANG="zh")
    e.pop("LINLI_DB", None)
    return e


@pytest.fixture
def orders(tmp_path) -> Path:
    f = tmp_path / "orders.csv"
    f.write_text(ORDERS, encoding="utf-8")
    return f


def _foreign_duckdb(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (id INTEGER, total DOUBLE)")
    con.execute("INSERT INTO sales VALUES (1, 9.5)")
    con.close()


def _xlsx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")


NOT_LINLI = {
    "csv": (lambda p: p.write_text("投诉编号,社区\n1,A\n", encoding="utf-8"), "register.csv", "文本文件", "text file"),
    "gbk_csv": (lambda p: p.write_bytes("编号,社区名称\n1,甲社区\n".encode("gb18030")), "old.csv", "文本文件", "text file"),
    "xlsx": (_xlsx, "book.xlsx", "zip", "zip archive"),
    "sqlite": (lambda p: p.write_bytes(b"SQLite format 3\x00" + bytes(4080)), "app.db", "SQLite", "SQLite"),
    "other": (lambda p: p.write_bytes(bytes(range(256)) * 4), "blob.bin", "另一个程序的文件", "another program's file"),
    "foreign_duckdb": (_foreign_duckdb, "sales.duckdb", "另一个程序的 DuckDB 数据库", "another program's DuckDB database"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("what", list(NOT_LINLI))
def test_db_that_is_not_a_linli_database_is_refused_and_left_untouched(tmp_path, env, orders, what, lang):
    make, name, says_zh, says_en = NOT_LINLI[what]
    target = tmp_path / name
    make(target)
    before = target.read_bytes()
    listing = sorted(p.name for p in tmp_path.iterdir())
    done = linli(["--db", str(target), "ingest", "orders", str(orders)], dict(env, LINLI_LANG=lang))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert target.read_bytes() == before, "the file was changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == listing, "files were created next to it"
    if lang == "zh":
        assert "不是 Linli 数据库" in done.stderr and says_zh in done.stderr and "没有被改动" in done.stderr
    else:
        assert "is not a Linli database" in done.stderr and says_en in done.stderr and "left untouched" in done.stderr
    assert name in done.stderr and "--db" in done.stderr
    assert "导入编号" not in done.stdout and "import id" not in done.stdout


def test_build_refuses_a_csv_as_db(tmp_path, env):
    target = tmp_path / "register.csv"
    target.write_text("a,b\n1,2\n", encoding="utf-8")
    done = linli(["--db", str(target), "build"], env)
    assert done.returncode == 2 and "不是 Linli 数据库" in done.stderr
    assert target.read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_new_path_empty_duckdb_and_linli_database_are_accepted(tmp_path, env, orders):
    new = tmp_path / "sub" / "new.duckdb"
    first = linli(["--db", str(new), "ingest", "orders", str(orders)], env)
    assert first.returncode == 0 and "导入编号 1" in first.stdout, first.stderr
    again = linli(["--db", str(new), "ingest", "orders", str(orders)], env)  # now an existing Linli database
    assert again.returncode == 0, again.stderr
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert linli(["--db", str(empty), "ingest", "orders", str(orders)], env).returncode == 0
    touched = tmp_path / "touched.duckdb"
    touched.touch()
    assert linli(["--db", str(touched), "ingest", "orders", str(orders)], env).returncode == 0


def _readline(stream, deadline: float) -> str:
    """One line from a pipe, failing the test if none comes before the deadline."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                return stream.readline()
    finally:
        sel.unregister(stream)
    pytest.fail("no line within the deadline")


@pytest.fixture
def locked_db(tmp_path, env, orders):
    """A Linli database whose write lock another process holds until its stdin is closed."""
    db = tmp_path / "linli.duckdb"
    assert linli(["--db", str(db), "ingest", "orders", str(orders)], env).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\nprint('locked', flush=True)\n"
                               "sys.stdin.read()\ncon.close()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert _readline(holder.stdout, time.monotonic() + 60).strip() == "locked"
        yield db, holder
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(timeout=30)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_locked_database_says_what_it_waits_for_then_gives_up_with_exit_1(locked_db, env, orders, tmp_path, lang):
    db, holder = locked_db
    other = tmp_path / "more.csv"
    other.write_text(ORDERS.replace("1,A,A-S1", "2,A,A-S1"), encoding="utf-8")
    started = time.monotonic()
    done = linli(["--db", str(db), "ingest", "orders", str(other)], dict(env, LINLI_LANG=lang, LINLI_LOCK_WAIT_SECONDS="2"))
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert time.monotonic() - started < 50, "the configured wait was not used"
    assert "IO Error" not in done.stderr and "IOException" not in done.stderr and "Conflicting lock" not in done.stderr
    waiting = "数据库正被另一个导入或构建占用" if lang == "zh" else "in use by another import or build"
    assert done.stderr.count(waiting) == 1, done.stderr
    if lang == "zh":
        assert "放弃" in done.stderr and "重新运行" in done.stderr
    else:
        assert "gave up" in done.stderr and "Run it again" in done.stderr
    assert str(holder.pid) in done.stderr          # names who holds it
    assert "导入编号" not in done.stdout and "import id" not in done.stdout


def test_locked_database_is_used_once_the_lock_is_released(locked_db, env, tmp_path):
    db, holder = locked_db
    other = tmp_path / "more.csv"
    other.write_text(ORDERS.replace("1,A,A-S1", "2,A,A-S1"), encoding="utf-8")
    waiter = subprocess.Popen([sys.executable, "-m", "pipelines", "--db", str(db), "ingest", "orders", str(other)],
                              env=dict(env, LINLI_LOCK_WAIT_SECONDS="120"), cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert "正在等待" in _readline(waiter.stderr, time.monotonic() + 60)
        holder.stdin.close()                       # the other process finishes
        out, err = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, err
        assert "导入编号 2" in out
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _group_members(pgid: int) -> list[int]:
    """Live processes in a process group (zombies are dead: they hold no port)."""
    members = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(d.name))
    return members


def _until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s")
        time.sleep(0.1)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_sigterm_to_serve_stops_the_server_and_frees_the_port(tmp_path, env):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipelines", "--db", str(tmp_path / "linli.duckdb"), "serve",
                             "--port", str(port)], env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _until(lambda: _answers(port) or proc.poll() is not None, 120, "the dashboard did not answer")
        assert proc.poll() is None, "linli serve exited"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        _until(lambda: not _answers(port), 30, "the port is still answered after SIGTERM")
        _until(lambda: not _group_members(proc.pid), 30, "processes of linli serve are still running")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # whatever the test found, leave nothing behind
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
