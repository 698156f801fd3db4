"""Starting and stopping `linli serve` and Chromium for the real-browser tests (the fixtures are in conftest.py).

Every wait is for a condition with a generous deadline, never for a length of time: on a loaded
machine a page takes as long as it takes, and a fixed sleep either wastes time or flakes.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# --enable-unsafe-swiftshader: with no GPU, Chromium gives WebGL (the map) a software renderer only when asked;
# newer Playwright passes it itself, older (1.45) does not, and the map page then throws "no WebGL context".
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]
# pinned: the pages are opened at weeks of March 2025 (the demo otherwise ends last Sunday)
DEMO = ["demo", "--communities", "2", "--weeks", "10", "--end", "2025-03-16"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_group(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group), however the tests went."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 20)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; a child that ignored SIGTERM may still be in the group
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait(timeout=20)


def _wait_until_serving(proc: subprocess.Popen, url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return
        except OSError:
            pass
        try:   # paces the polling and notices a server that died instead of waiting out the deadline
            proc.wait(timeout=0.25)
            pytest.fail(f"linli serve exited with {proc.returncode} before answering")
        except subprocess.TimeoutExpired:
            pass
    pytest.fail(f"linli serve did not answer within {seconds:.0f} s")


def linli(db: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines", "--db", str(db)]


def build_demo(folder: Path) -> dict:
    """The pinned demo store in `folder`, with its person-hash key beside it."""
    db = folder / "linli.duckdb"
    env = dict(os.environ, LINLI_DB=str(db), LINLI_KEY_FILE=str(folder / "key"))
    demo = subprocess.run(linli(db) + DEMO, env=env, cwd=ROOT, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    return {"db": db, "key": folder / "key"}


def copy_demo(demo: dict, folder: Path) -> dict:
    """A private copy of the demo store in `folder` (its snapshots too, and the same key, so the person ids
    it holds still match): what a test or a server changes there leaves the other copies as built."""
    from tests.conftest import private_copy

    db = private_copy(demo["db"], folder / "linli.duckdb", snapshots=True)
    wal = demo["db"].with_name(demo["db"].name + ".wal")
    if wal.exists():
        shutil.copy(wal, db.with_name(db.name + ".wal"))
    env = dict(os.environ, LINLI_DB=str(db), LINLI_KEY_FILE=str(demo["key"]))
    return {"db": db, "env": env, "linli": linli(db)}


@contextlib.contextmanager
def serving(store: dict, env: dict | None = None, out=subprocess.DEVNULL):
    """`linli serve` on a free port over `store` (from copy_demo), stopped after with everything it started.
    `env` replaces the store's environment for the server only; `out` takes its output."""
    port = _free_port()
    # its own session, so teardown can stop the server and any child it has as one group
    proc = subprocess.Popen(store["linli"] + ["serve", "--port", str(port)], env=env or store["env"], cwd=ROOT,
                            start_new_session=True, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(proc, url, 120)
        yield {**store, "url": url, "port": port, "proc": proc}
    finally:
        _stop_group(proc)
