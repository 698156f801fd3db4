"""Shared test helpers: a private person-hash key and small stores built from CSV text."""
from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb
import pytest


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
