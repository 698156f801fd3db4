"""`linli demo` over a store that holds someone's data (issue 15, item 2): it asks first, keeps every
community's rules and alert rules (of communities it does not know too), and never hands out an import
id that the store (its audit trail) already used for another file."""
from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path

import pytest

from pipelines.build.runner import build
from pipelines.cli.main import main
from pipelines.database import connect, transaction
from pipelines.demo.generate import foreign_imports, run_demo
from pipelines.ingest.store import import_file, set_rules
from pipelines.records import alert_rules
from tests.conftest import build_store, private_copy, rows, write
from tests.dashboard.conftest import BUILDINGS, POINTS
from tests.pipelines import test_kpi as fx

SMALL = ["--communities", "1", "--weeks", "3"]


@pytest.fixture(scope="module")
def someones(tmp_path_factory):
    """Someone's own store: their communities (A, B), registers, rules and alert rules; built once."""
    folder = tmp_path_factory.mktemp("someones")
    with pytest.MonkeyPatch.context() as env:     # the person key the tests' own imports use (tests/conftest.py)
        env.setenv("LINLI_KEY_FILE", str(tmp_path_factory.getbasetemp() / "person.key"))
        db = build_store(folder, {"communities": fx.COMMUNITIES, "buildings": BUILDINGS, "points": POINTS,
                                  "orders": fx.ORDERS, "parcels": fx.PARCELS, "complaints": fx.COMPLAINTS})
    set_rules(db, "A", "08:00", "21:30", 12, dt.date(2025, 3, 1))      # A: the demo knows it, with other rules
    set_rules(db, "Z", "07:00", "19:00", 30)                            # Z: a community the demo never heard of
    con = connect(db)
    try:
        with transaction(con):
            alert_rules.set_rule(con, "Z", "overdue", account=None, threshold=3)
            alert_rules.set_rule(con, "A", "noise_outside", account=None, threshold=4)
    finally:
        con.close()
    return db


@pytest.fixture
def db(someones, tmp_path):
    """A copy of someone's store for each test, which the demo may then overwrite."""
    return private_copy(someones, tmp_path / "t.duckdb", snapshots=True)


def _imports(db: Path) -> list[tuple]:
    return rows(db, "SELECT import_id, file_name FROM imports ORDER BY 1")


def _demo(db: Path, tmp_path: Path, *more: str, stdin=None, monkeypatch) -> int:
    monkeypatch.setattr(sys, "stdin", stdin if stdin is not None else io.StringIO(""))
    return main(["--db", str(db), "demo", *SMALL, "--out", str(tmp_path / "demo"), *more])


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


# ---- 2a: asking first -----------------------------------------------------------------------------

def test_demo_over_imported_data_refuses_without_a_terminal_or_yes(db, tmp_path, monkeypatch, capsys):
    before = _imports(db)
    assert foreign_imports(db) == (6, "buildings.csv")
    assert _demo(db, tmp_path, monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "有 6 次导入不是演示数据" in err and "--yes" in err and "什么也没有改动" in err
    assert _imports(db) == before
    assert not (tmp_path / "demo").exists()


def test_demo_over_imported_data_asks_on_a_terminal(db, tmp_path, monkeypatch, capsys):
    before = _imports(db)
    assert _demo(db, tmp_path, stdin=Tty("\n"), monkeypatch=monkeypatch) == 1      # Enter: the default is no
    assert "继续吗？[y/N]" in capsys.readouterr().err
    assert _imports(db) == before
    assert _demo(db, tmp_path, stdin=Tty("y\n"), monkeypatch=monkeypatch) == 0
    assert [name for _, name in _imports(db)] != [name for _, name in before]


def test_demo_over_its_own_data_or_a_new_store_asks_nothing(tmp_path, monkeypatch):
    db = tmp_path / "data" / "linli.duckdb"
    assert _demo(db, tmp_path, monkeypatch=monkeypatch) == 0
    assert foreign_imports(db) == (0, None)
    assert _demo(db, tmp_path, monkeypatch=monkeypatch) == 0
    # a file imported after the demo is someone's data again
    import_file(db, "communities", write(tmp_path / "ours.csv", fx.COMMUNITIES))
    assert foreign_imports(db) == (1, "ours.csv")
    assert _demo(db, tmp_path, monkeypatch=monkeypatch) == 1
    assert _demo(db, tmp_path, "--yes", monkeypatch=monkeypatch) == 0


# ---- 2b: every rule stays -------------------------------------------------------------------------

def test_demo_keeps_the_rules_and_alert_rules_of_every_community(db, tmp_path, monkeypatch):
    rules = "SELECT community_id, window_start::VARCHAR, window_end::VARCHAR, overdue_hours FROM community_rules ORDER BY 1"
    alerts = "SELECT community_id, rule_id, threshold FROM alert_rules ORDER BY 1, 2"
    assert rows(db, rules) == [("A", "08:00:00", "21:30:00", 12.0), ("Z", "07:00:00", "19:00:00", 30.0)]
    assert _demo(db, tmp_path, "--yes", monkeypatch=monkeypatch) == 0
    assert rows(db, rules) == [("A", "08:00:00", "21:30:00", 12.0), ("Z", "07:00:00", "19:00:00", 30.0)]
    assert rows(db, alerts) == [("A", "noise_outside", 4.0), ("Z", "overdue", 3.0)]
    # the rules' history (with A's adoption day) is the one they had, the demo added none over them
    assert rows(db, "SELECT community_id, effective_from::VARCHAR FROM community_rules_history ORDER BY 1") == [
        ("A", "2025-03-01"), ("Z", None)]


def test_a_demo_community_without_rules_gets_the_demos_window_rule(tmp_path):
    db = tmp_path / "linli.duckdb"
    set_rules(db, "Z", "07:00", "19:00", 30)
    run_demo(db, communities=1, weeks=3, seed=7, out_dir=str(tmp_path / "demo"), say=lambda _: None)
    assert rows(db, "SELECT community_id, window_start::VARCHAR, window_end::VARCHAR FROM community_rules ORDER BY 1") == [
        ("A", "09:00:00", "20:00:00"), ("Z", "07:00:00", "19:00:00")]


def test_a_rule_changed_after_a_demo_reaches_the_next_build(db, tmp_path, monkeypatch):
    """Kept rules keep their change numbers: the sequence after the demo starts above them, or an
    incremental build would take a new change for an old one."""
    assert _demo(db, tmp_path, "--yes", monkeypatch=monkeypatch) == 0
    set_rules(db, "A", None, None, 1)
    assert build(db).mode == "incremental"
    assert rows(db, "SELECT overdue_hours FROM community_rules_effective WHERE community_id = 'A'") == [(1.0,)]


# ---- 2c: an import id names one file ----------------------------------------------------------------

def _audited_ids(db: Path) -> list[int]:
    found = rows(db, "SELECT detail FROM audit_log WHERE action IN ('import', 'undo') ORDER BY seq")
    return [json.loads(d)["import_id"] for (d,) in found]


def test_the_first_import_after_a_demo_reset_takes_a_new_id(db, tmp_path, monkeypatch):
    old = _audited_ids(db)
    assert old == [1, 2, 3, 4, 5, 6]
    assert _demo(db, tmp_path, "--yes", monkeypatch=monkeypatch) == 0
    after = _imports(db)
    assert after[0][0] > max(old)         # the demo's own first import
    new = _audited_ids(db)
    assert len(new) == len(set(new))      # no id in the audit trail names two imports


def test_a_store_whose_sequence_restarted_is_moved_past_its_old_ids(db, tmp_path):
    """A store a demo reset before ids were guarded: its sequence starts at 1 again."""
    con = connect(db)
    try:
        con.execute("CREATE OR REPLACE SEQUENCE import_seq START 1")
        con.execute("DELETE FROM imports")
    finally:
        con.close()
    report = import_file(db, "communities", write(tmp_path / "again.csv", fx.COMMUNITIES.replace("A社区", "A 社区")))
    # imports 1–6 live on in the audit trail, the rules of A and Z took 7 and 8
    assert _audited_ids(db)[:-1] == [1, 2, 3, 4, 5, 6] and report.import_id == 9
    second = import_file(db, "buildings", write(tmp_path / "b.csv", BUILDINGS.replace("1栋", "一栋")))
    assert second.import_id == report.import_id + 1
