"""Shared test helpers: a private person-hash key and small stores built from CSV text."""
from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb
import pytest


# How `make test` shares the suite among its workers (pytest-xdist, `--dist loadscope --no-loadscope-reorder`
# with the units below; a unit runs whole on one worker, units are handed out in the collection's order):
# - tests/e2e is one unit, so its demo store, servers and Chromium are made once (tests/e2e/conftest.py);
# - each test of a SPREAD file is a unit of its own (they share no module fixture), e.g. test_incremental's
#   seeds run side by side;
# - any other file is one unit, its module fixtures (a store built for the file) built once.
# The LONG units go first, in this order, and the single tests of the other SPREAD files last: a worker
# that finishes early takes the small ones, and none is left alone with a long file at the end.
# `--durations=15` shows when a file belongs in LONG or SPREAD; a stale entry costs time, never a result.
# (xdist's own loadgroup cannot be used: with pytest 9 its xdist_group marks are silently ignored.)
E2E = "tests/e2e/"
LONG = (E2E, "tests/pipelines/test_spark_equal.py", "tests/pipelines/test_incremental.py", "tests/pipelines/test_coop_incremental.py",
        "tests/pipelines/test_xlsx_memory.py", "tests/pipelines/test_current_state.py",
        "tests/pipelines/test_demo.py", "tests/pipelines/test_demo_coop.py", "tests/pipelines/test_demo_end.py",
        "tests/pipelines/test_demo_safety.py",
        "tests/pipelines/test_process.py", "tests/pipelines/test_cli_safety.py",
        "tests/pipelines/test_kpi_reference.py")
SPREAD = ("tests/pipelines/test_xlsx_memory.py", "tests/pipelines/test_incremental.py",
          "tests/pipelines/test_coop_incremental.py", "tests/pipelines/test_current_state.py",
          "tests/pipelines/test_process.py",
          "tests/pipelines/test_kpi_reference.py", "tests/pipelines/test_trust.py",
          "tests/pipelines/test_profiles_trust.py", "tests/pipelines/test_access_policy.py",
          "tests/dashboard/test_pages.py", "tests/dashboard/test_auth_sessions.py",
          "tests/dashboard/test_plain_text.py", "tests/architecture/test_imports_one_way.py",
          "tests/test_packaging.py")


def unit_of(nodeid: str) -> str:
    """The work unit a test belongs to (the test itself when it runs on its own)."""
    path = nodeid.split("::", 1)[0]
    if path.startswith(E2E):
        return E2E
    return nodeid if path in SPREAD else path


def _rank(nodeid: str) -> tuple[int, int]:
    path = nodeid.split("::", 1)[0]
    long = next((k for k, prefix in enumerate(LONG) if path.startswith(prefix)), None)
    if long is not None:
        return 0, long
    return (2, 0) if path in SPREAD else (1, 0)


def pytest_collection_modifyitems(items):
    first: dict[str, int] = {}
    for k, item in enumerate(items):
        first.setdefault(unit_of(item.nodeid), k)
    items.sort(key=lambda item: (_rank(item.nodeid), first[unit_of(item.nodeid)]))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Units(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return Units(config, log)


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashes():
    """argon2 at its smallest cost for the tests run in this process: hashing and checking a password is
    the same code, only cheaper (the default takes ~50 ms and 64 MiB a call, and the suite makes
    hundreds). Processes the tests start (the CLI, the served dashboard) keep the real parameters."""
    from argon2 import PasswordHasher

    from pipelines.records import users
    real = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    users._hasher = real


@pytest.fixture(autouse=True)
def _private_key(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LINLI_KEY_FILE", str(tmp_path_factory.getbasetemp() / "person.key"))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
    return path


def build_store(folder: Path, feeds: dict[str, str]) -> Path:
    """Import each feed's CSV text (in the given order) and build; returns the database path."""
    from pipelines.build.runner import build
    from pipelines.ingest.store import import_file

    db = folder / "t.duckdb"
    for kind, text in feeds.items():
        import_file(db, kind, write(folder / f"{kind}.csv", text))
    build(db)
    return db


def private_copy(built: Path, db: Path, snapshots: bool = False) -> Path:
    """A copy of a module's built store at `db` (and its snapshot folder), for a test that changes or
    tries to destroy it."""
    import shutil

    from pipelines.build.runner import serving_dir

    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(built, db)
    if snapshots:
        shutil.copytree(serving_dir(built), serving_dir(db))
    return db


def rows(db: Path, sql: str, params=None) -> list[tuple]:
    """What a query finds in the store, read on a read-only connection of its own, closed after."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


class Kpi:
    def __init__(self, db: Path):
        con = duckdb.connect(str(db), read_only=True)
        rows = con.execute("SELECT community_id, grain, period_start::VARCHAR, metric, value FROM kpi").fetchall()
        con.close()
        self.values = {(c, g, p, m): v for c, g, p, m, v in rows}

    def __call__(self, community: str, grain: str, period: str, metric: str):
        return self.values[(community, grain, period, metric)]
