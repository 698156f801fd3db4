"""An incremental build's forecast tables equal a full build's (pipelines/forecast/run.py recomputes only the
communities the increment changed, or whose events changed): after imports into one community, an event added
to another with no import of its own, an undo and a change of rules."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb

from pipelines.build.runner import build, current_snapshot
from pipelines.forecast import run
from pipelines.ingest.store import import_file, set_rules, undo
from pipelines.records import events
from tests.pipelines.test_incremental import built_in_full, same_rows

START = dt.datetime(2025, 5, 26)   # a Monday, in the past: nothing is quarantined as future-dated
DAYS = 70                          # enough for a backtest: 28 days of history and 14 ahead, at several origins


def _write(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / f"{name}.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _parcels(rng: random.Random, folder: Path, name: str, community: str, points: list[str], n: int,
             first_day: int = 0) -> Path:
    rows = ["parcel_id,community_id,point_id,arrived_at,picked_up_at"]
    for k in range(n):
        arrived = START + dt.timedelta(days=rng.randrange(first_day, DAYS), hours=rng.randrange(8, 20))
        picked = "" if rng.random() < 0.1 else (arrived + dt.timedelta(hours=rng.choice([2, 20, 50]))).strftime(
            "%Y-%m-%d %H:%M")
        rows.append(f"{name}-{k},{community},{rng.choice(points)},{arrived:%Y-%m-%d %H:%M},{picked}")
    return _write(folder, name, rows)


def _complaints(rng: random.Random, folder: Path, name: str, community: str, n: int) -> Path:
    rows = ["complaint_id,community_id,received_at,occurred_at,category,building_id,resolved_at"]
    for k in range(n):
        received = START + dt.timedelta(days=rng.randrange(DAYS), hours=rng.randrange(24))
        rows.append(f"{name}-{k},{community},{received:%Y-%m-%d %H:%M},,livestream_noise,B1,")
    return _write(folder, name, rows)


def _tables(db: Path) -> tuple[dict, set]:
    """The four tables without made_at, sorted, and the made_at values the forecast holds."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for t in run.TABLES:
            cols = [c[0] for c in con.execute(f"DESCRIBE {t}").fetchall() if c[0] != "made_at"]
            out[t] = con.execute(f"SELECT {', '.join(cols)} FROM {t} ORDER BY ALL").fetchall()
        return out, {r[0] for r in con.execute("SELECT DISTINCT made_at FROM forecast").fetchall()}
    finally:
        con.close()


def _equals_full(db: Path, tmp_path: Path, step: str) -> dict:
    (a, made_a), (b, made_b) = _tables(db), _tables(built_in_full(db, tmp_path, f"-{step}"))
    assert len(made_a) == 1 and len(made_b) == 1, step   # every row stamped by the build that last ran
    same_rows({t: a[t] for t in run.TABLES}, {t: b[t] for t in run.TABLES}, step)
    return a


def test_incremental_forecast_equals_a_full_recompute(tmp_path):
    rng = random.Random(5)
    db = tmp_path / "f.duckdb"
    import_file(db, "points", _write(tmp_path, "points", ["point_id,community_id,capacity", "P1,A,40", "P2,A,30",
                                                            "P3,B,50"]))
    import_file(db, "parcels", _parcels(rng, tmp_path, "pa", "A", ["P1", "P2"], 1500))
    import_file(db, "parcels", _parcels(rng, tmp_path, "pb", "B", ["P3"], 900))
    import_file(db, "complaints", _complaints(rng, tmp_path, "ca", "A", 60))
    import_file(db, "complaints", _complaints(rng, tmp_path, "cb", "B", 40))
    assert build(db).mode == "full"
    before = _tables(db)[0]
    assert {r[0] for r in before["forecast"]} == {"A", "B"} and before["forecast_capacity"]

    late = import_file(db, "parcels", _parcels(rng, tmp_path, "pb2", "B", ["P3"], 300, first_day=50))
    assert build(db).mode == "incremental"
    after = _equals_full(db, tmp_path, "B's parcels")
    assert [r for r in after["forecast_backtest"] if r[0] == "A"] == [r for r in before["forecast_backtest"]
                                                                       if r[0] == "A"]
    assert [r for r in after["forecast"] if r[0] == "B"] != [r for r in before["forecast"] if r[0] == "B"]

    # an event of A's in the past turns its days festive in A's backtest, while the import only touches B
    events.add(db, "A", "社区团购节", (START + dt.timedelta(days=40)).date(), (START + dt.timedelta(days=42)).date())
    import_file(db, "complaints", _complaints(rng, tmp_path, "cb2", "B", 5))
    assert build(db).mode == "incremental"
    festive = _equals_full(db, tmp_path, "A's event")
    assert ({r[3] for r in festive["forecast_backtest"] if r[0] == "A" and r[-1]}
            - {r[3] for r in after["forecast_backtest"] if r[0] == "A" and r[-1]})

    undo(db, late.import_id)
    assert build(db).mode == "incremental"
    _equals_full(db, tmp_path, "undo")

    set_rules(db, "A", "08:00", "21:00", 24)
    assert build(db).mode == "incremental"
    _equals_full(db, tmp_path, "rules")

    # an event with no import after it: the build changes no data, still makes B's forecasts again and
    # publishes them (it used to keep the old ones until the next import), and the build after that has nothing
    snapshot = current_snapshot(db)
    events.add(db, "B", "社区团购节", (START + dt.timedelta(days=44)).date(), (START + dt.timedelta(days=45)).date())
    assert build(db).mode == "forecast"
    evented = _equals_full(db, tmp_path, "B's event alone")
    assert ({r[3] for r in evented["forecast_backtest"] if r[0] == "B" and r[-1]}
            - {r[3] for r in festive["forecast_backtest"] if r[0] == "B" and r[-1]})
    assert current_snapshot(db) != snapshot
    assert build(db).mode == "unchanged"
