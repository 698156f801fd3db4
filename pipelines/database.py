"""Opening the store (SPEC §4): only a Linli database or a new path, and a clear wait for the lock.

DuckDB happily "opens" almost anything: a path ending in .csv becomes an in-memory
database with the CSV as a view, so an import into it succeeds and vanishes. So the
file is identified by its header bytes before DuckDB sees it, and a DuckDB file must
hold Linli's tables (or none at all) before anything is written to it.
"""
from __future__ import annotations

import codecs
import contextlib
import os
import re
import sys
import threading
import time
from pathlib import Path

import duckdb

from pipelines.errors import FileRefused, ui_lang

LOCK_WAIT_SECONDS = 60
# `reading` gives up on another process's lock after this: long enough for that process's own short
# read (the dashboard and `linli report` each hold the store for milliseconds), short enough that a
# page says "busy" at once behind an import
READ_GRACE_SECONDS = 1.0
DEFAULT_PATH = "data/linli.duckdb"
DUCKDB_MAGIC = b"DUCK"        # at byte offset 8 of every DuckDB database file
# A database holding one of these tables was written by Linli (any version: ensure_schema upgrades
# or refuses it, store._schema_version).
LINLI_TABLES = ("imports", "linli_meta")
# Which communities each import brought rows of (stored or seen unchanged): what coverage and an import's audit
# trail read to know whose an import was, noted once at import (pipelines/ingest/store.py note_communities)
# instead of reading every version of a feed.
IMPORT_COMMUNITIES = "import_communities"
# Names an empty file may have and still be taken as a new database (`touch data/linli.duckdb`).
DB_SUFFIXES = ("", ".duckdb", ".db", ".ddb")

# Files already checked in this process, by path and inode: a read-only probe next to an open
# read-write connection of the same process clashes, and a replaced file has a new inode.
_verified: dict[str, int] = {}
_probing = threading.RLock()


def default_path() -> Path:
    """The store when no --db is given (SPEC §2): LINLI_DB, else data/linli.duckdb. The dashboard always
    reads this one; `linli serve --db` passes its path on as LINLI_DB."""
    return Path(os.environ.get("LINLI_DB") or DEFAULT_PATH)


def lock_wait_seconds() -> float:
    """How long to wait for another process's lock; tests shorten it with LINLI_LOCK_WAIT_SECONDS."""
    try:
        return float(os.environ.get("LINLI_LOCK_WAIT_SECONDS", LOCK_WAIT_SECONDS))
    except ValueError:
        return LOCK_WAIT_SECONDS


class DatabaseRefused(FileRefused):
    """--db names something that is not a Linli database: refused (exit 2), left as it was."""

    def __init__(self, path: Path, zh: str, en: str):
        super().__init__(str(path), zh, en)
        self.zh = (f"--db 指向的《{path}》不是 Linli 数据库：{zh}。该文件没有被改动。"
                   f"请让 --db 指向 Linli 数据库（默认 data/linli.duckdb）或一个尚不存在的新路径。")
        self.en = (f"--db '{path}' is not a Linli database: {en}. The file was left untouched. "
                   f"Point --db at a Linli database (default data/linli.duckdb) or at a path that does not exist yet.")
        Exception.__init__(self, self.en)


class DatabaseBusy(Exception):
    """Another import or build kept the write lock for longer than the wait (exit 1)."""

    def __init__(self, path: Path, seconds: float, holder: str):
        self.zh = (f"数据库《{path}》在 {seconds:g} 秒内一直被另一个导入或构建占用{holder_zh(holder)}，本次操作已放弃，"
                   f"数据没有改动。请等那个操作结束后重新运行本命令；如果它已卡住，结束该进程后再试。")
        self.en = (f"The database '{path}' stayed locked by another import or build{holder_en(holder)} for "
                   f"{seconds:g} s, so this command gave up and changed nothing. Run it again when that one has "
                   f"finished; if it is stuck, stop that process first.")
        super().__init__(self.en)

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


def holder_zh(holder: str) -> str:
    return f"（进程 {holder}）" if holder else ""


def holder_en(holder: str) -> str:
    return f" (process {holder})" if holder else ""


def _is_text(head: bytes) -> bool:
    body = head.removeprefix(b"\xef\xbb\xbf")
    if not body or b"\x00" in body:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:   # incremental: the sample may end inside a character
            codecs.getincrementaldecoder(encoding)().decode(body, final=False)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _what_it_is(head: bytes, name: str) -> tuple[str, str]:
    """A plain description of a file that is not a DuckDB database, from its first bytes."""
    if head.startswith(b"SQLite format 3\x00"):
        return "这是一个 SQLite 数据库文件（另一个程序的数据）", "it is an SQLite database (another program's data)"
    if head.startswith(b"PK\x03\x04"):
        return (f"这是一个 zip 压缩文件（Excel .xlsx 也是这种格式）；要导入表格，请用 `linli ingest 类型 {name}`",
                f"it is a zip archive (an Excel .xlsx is one); to import a spreadsheet use `linli ingest KIND {name}`")
    if head.startswith(b"PAR1"):
        return "这是一个 Parquet 数据文件", "it is a Parquet data file"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "这是一个旧版 Office 文件（如 .xls）", "it is an old Office file (such as .xls)"
    if head.startswith(b"%PDF"):
        return "这是一个 PDF 文件", "it is a PDF file"
    if _is_text(head):
        return (f"这是一个文本文件（例如 CSV 表格）；要导入表格，请用 `linli ingest 类型 {name}`",
                f"it is a text file (such as a CSV table); to import a table use `linli ingest KIND {name}`")
    return "这是另一个程序的文件，不是 DuckDB 数据库", "it is another program's file, not a DuckDB database"


def check_path(db_path: str | Path) -> bool:
    """Refuse (DatabaseRefused) anything at db_path that is not a DuckDB file or a new path.

    Returns True when the path is new (nothing there, or an empty file with a database's name).
    Reads only the first bytes, so a refused file is never opened by DuckDB at all.
    """
    path = Path(db_path)
    if not path.exists():
        return True
    if path.is_dir():
        raise DatabaseRefused(path, "这是一个文件夹", "it is a folder")
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise DatabaseRefused(path, f"文件无法读取（{exc.strerror}）", f"it cannot be read ({exc.strerror})") from exc
    if not head:
        if path.suffix.lower() in DB_SUFFIXES:
            return True
        raise DatabaseRefused(path, "这是一个空文件，文件名不像数据库", "it is an empty file whose name is not a database's")
    if head[8:12] != DUCKDB_MAGIC:
        raise DatabaseRefused(path, *_what_it_is(head, path.name))
    return False


def _holder(message: str) -> str:
    found = re.search(r"PID (\d+)", message)
    return found.group(1) if found else ""


def _open(path: Path, read_only: bool, wait: bool | float = True) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting while another process holds the lock (True: the lock wait, saying so once;
    a number: that many seconds, quietly; False: not at all), then DatabaseBusy. A read-write open that
    clashes with this process's read-only one (the one-time probe of `connect`) is waited out the same way."""
    wait_for = lock_wait_seconds() if wait is True else float(wait)
    deadline = time.monotonic() + wait_for
    told = False
    while True:
        try:
            # absolute, so that DuckDB reads no special meaning (":memory:", "md:") into the name
            con = duckdb.connect(str(path.absolute()), read_only=read_only)
            # DuckDB draws its own bar on the terminal for a statement past 2 s (a big build on a busy machine):
            # across `linli ingest`'s own progress, in English
            con.execute("SET enable_progress_bar = false")
            return con
        except duckdb.ConnectionException:
            # DuckDB allows one configuration per file per process: a read-write open waits out another
            # thread's momentary read-only probe; a read-only open beside read-write ones fails at once
            if read_only or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" not in message.lower():
                if path.exists():
                    raise DatabaseRefused(path, f"DuckDB 无法打开它（{message}）",
                                          f"DuckDB cannot open it ({message})") from exc
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(path, wait_for, _holder(message)) from None
            if not told and wait is True:
                told = True
                holder = _holder(message)
                print(f"数据库正被另一个导入或构建占用{holder_zh(holder)}，正在等待…（最多 {wait_for:g} 秒）" if ui_lang() == "zh"
                      else f"The database is in use by another import or build{holder_en(holder)}; waiting… "
                           f"(up to {wait_for:g} s)", file=sys.stderr, flush=True)
            time.sleep(0.2 if wait is True else 0.02)


def _refuse_foreign(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal"
    ).fetchall()]
    if tables and not any(t in tables for t in LINLI_TABLES):
        shown = "、".join(sorted(tables)[:5]) + ("…" if len(tables) > 5 else "")
        shown_en = ", ".join(sorted(tables)[:5]) + ("…" if len(tables) > 5 else "")
        raise DatabaseRefused(path, f"这是另一个程序的 DuckDB 数据库（含表 {shown}，没有 Linli 的导入记录）",
                              f"it is another program's DuckDB database (tables {shown_en}, no Linli import history)")


def connect(db_path: str | Path, read_only: bool = False, wait: bool | float = True,
            create: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the store: a Linli database or a new one (`create` False: FileNotFoundError instead); waits
    while another linli process holds the lock (`wait`: as for `_open`)."""
    path = Path(db_path)
    key = str(path.resolve())
    # a connection kept open only by a hold (one_connection) gives way: this process's own import or build on a
    # page opens the store itself, and a read-only opening beside a read-write one fails
    _shared_for(path).close_if_idle()
    if path.exists() and _verified.get(key) == path.stat().st_ino:
        return _open(path, read_only, wait)
    with _probing:   # one probe at a time: a read-only probe clashes with this process's read-write opens
        if check_path(path):
            if not create:
                raise FileNotFoundError(str(path))
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():   # an empty file named like a database: DuckDB will not create into it
                path.unlink(missing_ok=True)
            con = _open(path, read_only, wait)
        else:
            try:
                # look read-only first: writing to another program's database is what must never happen
                probe = duckdb.connect(str(path.absolute()), read_only=True)
            except duckdb.ConnectionException:   # this process has it open already, so it was checked
                probe = None
            except duckdb.IOException:           # another process holds it: look through a wait
                probe = _open(path, read_only=True, wait=wait)
            if probe is not None:
                try:
                    _refuse_foreign(path, probe)
                finally:
                    probe.close()
            con = _open(path, read_only, wait)
        _verified[key] = path.stat().st_ino
    return con


def verify(db_path: str | Path) -> None:
    """Refuse db_path now unless it is a Linli database or a new path, before any input is read."""
    if not check_path(db_path):
        connect(db_path, read_only=True).close()


def stored_relations(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The store's own tables and views (its main schema, not temporary ones, not a snapshot attached beside it):
    name -> 'TABLE' or 'VIEW'."""
    here = "schema_name = 'main' AND database_name = current_database() AND NOT temporary"
    return dict(con.execute(f"SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE {here} "
                            f"UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() WHERE {here}").fetchall())


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the store holds the table or view (in its own main schema: not in a snapshot attached
    beside it). A reader asks before reading a table an older or a new store may not have yet."""
    return con.execute("""SELECT count(*) FROM (
                              SELECT table_name AS t FROM duckdb_tables()
                              WHERE schema_name = 'main' AND database_name = current_database()
                              UNION ALL SELECT view_name FROM duckdb_views()
                              WHERE schema_name = 'main' AND database_name = current_database())
                          WHERE t = ?""", [name]).fetchone()[0] > 0


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """One transaction on an open connection, the one way Linli writes: committed when the block ends,
    rolled back when it raises (an interrupt included, hence BaseException). A process killed inside it
    leaves nothing behind either: DuckDB drops an uncommitted transaction when the store is next opened."""
    con.begin()
    try:
        yield con
        con.commit()
    except BaseException:
        con.rollback()
        raise


class _Shared:
    """This process's one connection to a store, lent out as a cursor per caller (DuckDB allows one
    configuration per file per process: a read-only connection beside a read-write one fails, so every
    reader and writer of the dashboard's threads shares this read-write one). It is opened by the first
    borrower and closed when the last one gives its cursor back, so no other process is kept waiting
    for longer than the reads and writes themselves; while someone `holds` it (one dashboard render, see
    `one_connection`) it stays open between borrowers instead, closed when the last hold ends."""

    def __init__(self):
        self.lock = threading.Lock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.borrowers = 0
        self.holds = 0
        # writes of this process, one at a time: two transactions on the same rows (a name's failed-login
        # count) would otherwise fail each other with a conflict
        self.writes = threading.RLock()

    def lend(self, path: Path, wait: bool | float, create: bool = True) -> duckdb.DuckDBPyConnection | None:
        """A cursor; None when `create` is False and there is no store (a reader never creates one)."""
        if not create and not path.exists():
            return None
        with self.lock:
            if self.con is not None:
                cursor = self.con.cursor()
                self.borrowers += 1
                return cursor
        try:
            con = connect(path, wait=wait, create=create)   # outside the lock: it may wait for another process
        except FileNotFoundError:
            return None
        with self.lock:
            if self.con is None:
                self.con = con
            else:   # another thread opened it meanwhile: the same database, one connection is enough
                con.close()
            cursor = self.con.cursor()
            self.borrowers += 1
            return cursor

    def give_back(self, cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.close()
        with self.lock:
            self.borrowers -= 1
            self._close_if_unused()

    def close_if_idle(self) -> None:
        """Closed now if no cursor is lent out, held or not (the next borrower opens it again)."""
        with self.lock:
            self._close_if_unused(despite_holds=True)

    def _close_if_unused(self, despite_holds: bool = False) -> None:   # called holding self.lock
        if self.borrowers == 0 and (despite_holds or self.holds == 0) and self.con is not None:
            con, self.con = self.con, None
            con.close()


_shared: dict[str, _Shared] = {}
_shared_guard = threading.Lock()


def _shared_for(path: Path) -> _Shared:
    with _shared_guard:
        return _shared.setdefault(str(path.resolve()), _Shared())


@contextlib.contextmanager
def borrowed(db_path: str | Path, wait: bool | float = True, create: bool = True):
    """A cursor on this process's shared connection to the store (opened, checked and waited for as
    `connect` does), for reads and writes that must not fail because another thread of the process is
    reading or writing. `create` False: None when there is no store, which is then not created."""
    path = Path(db_path)
    shared = _shared_for(path)
    cursor = shared.lend(path, wait, create)
    try:
        yield cursor
    finally:
        if cursor is not None:
            shared.give_back(cursor)


@contextlib.contextmanager
def one_connection(db_path: str | Path):
    """Within: the reads and writes of `borrowed`, `reading` and `writing` share one opening of the store, kept
    from the first of them to the end instead of opened and closed by each (some 40 ms an opening of a street-scale
    store, and a dashboard page reads its records a dozen times). Nothing is opened here: a page that reads no
    records opens nothing. Meant for one page render, so another process waits no longer than that render."""
    shared = _shared_for(Path(db_path))
    with shared.lock:
        shared.holds += 1
    try:
        yield
    finally:
        with shared.lock:
            shared.holds -= 1
            shared._close_if_unused()


def retrying(attempt, tries: int = 20):
    """attempt() again when DuckDB refused its transaction for a conflict with another writer of the same
    rows (a writer outside `writing`, e.g. an import in the same process); at most `tries` times."""
    for left in range(tries - 1, -1, -1):
        try:
            return attempt()
        except duckdb.TransactionException:
            if not left:
                raise
            time.sleep(0.01)


@contextlib.contextmanager
def writing(db_path: str | Path, create: bool = True):
    """One transaction (see `transaction`) on the shared connection (waiting for another process's lock,
    see `connect`), this process's writes one at a time. `create` False: None when there is no store."""
    path = Path(db_path)
    with borrowed(path, create=create) as con:
        if con is None:
            yield None
            return
        with _shared_for(path).writes, transaction(con):
            yield con


@contextlib.contextmanager
def reading(db_path: str | Path):
    """A cursor for reading that hardly waits and never fails: None while another process (an import or
    build) holds the store for longer than a glance (READ_GRACE_SECONDS: another process's own short
    read is waited out), or before there is one. The dashboard reads records this way, so an edit
    shows on the next refresh without a build, and a page never hangs behind an import; threads of the
    same process share one connection (`borrowed`), so one reader never fails another."""
    path = Path(db_path)
    shared = _shared_for(path)
    try:
        con = shared.lend(path, wait=READ_GRACE_SECONDS, create=False)
    except (duckdb.Error, DatabaseBusy, DatabaseRefused):
        con = None
    try:
        yield con
    finally:
        if con is not None:
            shared.give_back(con)
