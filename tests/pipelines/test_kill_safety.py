"""kill -9 inside an undo or a build, at the last moment before its commit: the store is as it was before
(issue 17: the current rows kept in tables and the change log must move with the rest or not at all).
The import's own kill test is in test_imports.py."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.build.runner import build
from pipelines.ingest.store import import_file

ROOT = Path(__file__).resolve().parents[2]
HEAD = "订单号,社区编号,商户编号,渠道,下单时间,金额,状态\n"
TABLES = ("raw_orders", "seen_orders", "cur_orders", "cur_changes_orders", "imports", "stg_orders", "kpi",
          "build_state")

# Runs the real step, says so, then waits to be killed inside the still open transaction.
SCRIPT = """
import sys, time
from pipelines.ingest import store
from pipelines.build import runner
def stalled(real):
    def step(*args, **kwargs):
        out = real(*args, **kwargs)
        print("done", flush=True)
        time.sleep(120)
        return out
    return step
if sys.argv[2] == "undo":
    store.relink = stalled(store.relink)          # after the current rows were recomputed
    store.undo(sys.argv[1], int(sys.argv[3]))
else:
    runner.forget_changes = stalled(runner.forget_changes)   # after every model, the audits and build_state
    runner.build(sys.argv[1])
"""


def write(path: Path, rows: list[tuple[str, int]]) -> Path:
    path.write_text(HEAD + "".join(f"{o},A,S1,group_buy,2025-06-02 10:00,{a},paid\n" for o, a in rows), encoding="utf-8")
    return path


def snapshot(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}
    finally:
        con.close()


def killed(tmp_path: Path, db: Path, *args: str) -> None:
    script = tmp_path / "stall.py"
    script.write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(db), *args], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env=dict(os.environ))
    try:
        assert proc.stdout.readline().strip() == "done"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def store(tmp_path: Path) -> tuple[Path, int]:
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "1.csv", [("O1", 10), ("O2", 20)]))
    build(db)
    fix = import_file(db, "orders", write(tmp_path / "2.csv", [("O1", 10), ("O2", 25), ("O3", 5)]))
    return db, fix.import_id


def test_an_undo_killed_before_its_commit_leaves_the_store_as_it_was(tmp_path):
    db, fix = store(tmp_path)
    before = snapshot(db)
    killed(tmp_path, db, "undo", str(fix))
    assert snapshot(db) == before
    assert build(db).mode == "incremental"      # and the store goes on: the log still holds import 2's keys
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT order_id, amount_yuan FROM stg_orders ORDER BY 1").fetchall() == [
            ("O1", 10), ("O2", 25), ("O3", 5)]
    finally:
        con.close()


def test_a_build_killed_before_its_commit_leaves_the_store_as_it_was(tmp_path):
    db, _ = store(tmp_path)
    before = snapshot(db)
    assert before["cur_changes_orders"]         # import 2's keys, waiting for a build
    killed(tmp_path, db, "build")
    assert snapshot(db) == before
