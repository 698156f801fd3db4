"""An incremental build equals a full build, after every step of random imports,
corrections, undos and rule changes (several seeds, small random data)."""
from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.build.runner import PUBLISHED_EXTRA, build, current_snapshot, load_models
from pipelines.ingest.store import import_file, set_rules, undo

START = dt.datetime(2025, 5, 26)   # a Monday, so weeks and months both cross
COMMUNITIES = ["A", "B"]


def _t(rng: random.Random, days: int = 60) -> dt.datetime:
    return START + dt.timedelta(minutes=rng.randrange(days * 24 * 60))


def _fmt(t: dt.datetime | None) -> str:
    return "" if t is None else t.strftime("%Y-%m-%d %H:%M")


def _feed_file(rng: random.Random, folder: Path, step: int) -> tuple[str, Path]:
    kind = rng.choice(["orders", "parcels", "complaints", "training", "jobs", "feedback", "points", "communities"])
    n = rng.randint(1, 25)
    ids = lambda prefix: [f"{prefix}{rng.randrange(60)}" for _ in range(n)]   # small id space: corrections happen
    if kind == "orders":
        rows = ["order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status"] + [
            f"{i},{rng.choice(COMMUNITIES)},S{rng.randrange(6)},{rng.choice(['group_buy', 'livestream'])},"
            f"{_fmt(_t(rng))},{rng.randint(1, 200)},{rng.choice(['paid', 'paid', 'refunded', 'cancelled'])}"
            for i in ids("O")]
    elif kind == "parcels":
        rows = ["parcel_id,community_id,point_id,arrived_at,picked_up_at"]
        for i in ids("K"):
            arrived = _t(rng)
            picked = None if rng.random() < 0.3 else arrived + dt.timedelta(hours=rng.choice([1, 30, 72, 73, 120]))
            rows.append(f"{i},A,{rng.choice(['P1', 'P2'])},{_fmt(arrived)},{_fmt(picked)}")
    elif kind == "complaints":
        rows = ["complaint_id,community_id,received_at,occurred_at,category,building_id,resolved_at"]
        for i in ids("C"):
            received = _t(rng)
            resolved = None if rng.random() < 0.3 else received + dt.timedelta(hours=rng.randint(1, 400))
            rows.append(f"{i},{rng.choice(COMMUNITIES)},{_fmt(received)},,"
                        f"{rng.choice(['livestream_noise', 'parcel_pileup', 'other'])},B{rng.randrange(3)},{_fmt(resolved)}")
    elif kind == "training":
        rows = ["session_id,community_id,course_type,session_date,participant_id,age_band,attended"] + [
            f"T{rng.randrange(8)},{rng.choice(COMMUNITIES)},silver_digital,{_t(rng).date()},P{rng.randrange(10)},"
            f"{rng.choice(['60-69', '30-44'])},{rng.choice(['是', '否'])}" for _ in range(n)]
    elif kind == "feedback":
        rows = ["response_id,community_id,surveyed_on,rating,late_noise"] + [
            f"{i},{rng.choice(COMMUNITIES)},{_t(rng).date()},{rng.choice(['满意', '一般', '不满意'])},"
            f"{rng.choice(['', '是', '否'])}" for i in ids("F")]
    elif kind == "jobs":
        rows = ["placement_id,community_id,person_id,started_on,ended_on,monthly_income_yuan,via_training"]
        for i in ids("J"):
            start = _t(rng).date()
            end = "" if rng.random() < 0.5 else str(start + dt.timedelta(days=rng.randint(0, 50)))
            rows.append(f"{i},{rng.choice(COMMUNITIES)},P{rng.randrange(10)},{start},{end},{rng.randint(1000, 5000)},"
                        f"{rng.choice(['是', '否'])}")
    elif kind == "points":
        rows = ["point_id,community_id,capacity"] + [f"P{k},A,{rng.randint(1, 6)}" for k in (1, 2)]
    else:
        rows = ["community_id,name,households"] + [f"{c},{c}社区,{rng.randint(100, 900)}" for c in COMMUNITIES]
    path = folder / f"step{step}_{kind}.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return kind, path


def _tables(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {m.name: con.execute(f"SELECT * FROM {m.name} ORDER BY ALL").fetchall()
                for m in load_models() if m.kind != "view"}   # every stored model
    finally:
        con.close()


def _close(u, v) -> bool:
    if isinstance(u, float) and isinstance(v, float):
        return u == pytest.approx(v, rel=1e-9, abs=1e-9)   # sums may add in another order
    return u == v


def same_rows(a: dict, b: dict, step) -> None:
    """Two stores' tables ({table: rows in one order}) equal, floats to 1e-9."""
    for name in a:
        assert len(a[name]) == len(b[name]), (step, name)
        for x, y in zip(a[name], b[name]):
            assert all(_close(u, v) for u, v in zip(x, y)), f"step {step} {name}: {x} != {y}"


def built_in_full(db: Path, tmp_path: Path, step) -> Path:
    """A copy of the store (and its write-ahead log) built in full."""
    full = tmp_path / f"full{step}.duckdb"
    shutil.copy(db, full)
    if db.with_name(db.name + ".wal").exists():
        shutil.copy(db.with_name(db.name + ".wal"), full.with_name(full.name + ".wal"))
    build(full, full=True)
    return full


def published_as_stored(db: Path, step) -> None:
    """The snapshot the build published (an increment writes its rows into a copy of the last one) holds what
    the store holds, table for table."""
    published = [m.name for m in load_models() if m.published] + list(PUBLISHED_EXTRA)
    read = lambda path: _read(path, published)
    same_rows(read(current_snapshot(db)), read(db), f"{step}, the snapshot")


def _read(path: Path, tables: list[str]) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        con.close()


def equals_a_full_build(db: Path, tmp_path: Path, step: int) -> None:
    """The incrementally built store against a copy of it built in full: every table the build writes, equal;
    and the snapshot it published, equal to the store."""
    same_rows(_tables(db), _tables(built_in_full(db, tmp_path, step)), step)
    published_as_stored(db, step)



@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_incremental_build_equals_full_build(tmp_path, seed):
    rng = random.Random(seed)
    db = tmp_path / "inc.duckdb"
    applied: list[int] = []
    modes = set()
    for step in range(14):
        op = rng.random()
        if op < 0.12 and applied:
            undo(db, applied.pop(rng.randrange(len(applied))))
        elif op < 0.2:
            set_rules(db, rng.choice(COMMUNITIES), f"{rng.randint(7, 10):02d}:00", f"{rng.randint(19, 22)}:00",
                      rng.choice([24, 48, 72]))
        else:
            kind, path = _feed_file(rng, tmp_path, step)
            report = import_file(db, kind, path)
            if report.import_id:
                applied.append(report.import_id)
        modes.add(build(db).mode)
        equals_a_full_build(db, tmp_path, step)
    assert "incremental" in modes
