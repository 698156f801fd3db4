"""An incremental build equals a full one with the cooperative's books in play: the fund's balance runs from
the community's first period, and a split adopted on any day moves every later period's shares, so both must
reach periods an ordinary change of recent events would leave alone (increment.changed_since)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipelines.build.runner import build
from pipelines.ingest.store import import_file, undo
from pipelines.records.coop_split import set_split
from tests.pipelines.test_incremental import COMMUNITIES, START, _fmt, _t, equals_a_full_build

import datetime as dt


def _file(rng: random.Random, folder: Path, step: int) -> tuple[str, Path]:
    kind = rng.choice(["coop", "coop", "coop", "orders", "sellers", "communities"])
    n = rng.randint(1, 20)
    if kind == "coop":
        rows = ["entry_id,community_id,booked_on,kind,amount_yuan,member_id,seller_id,purpose"]
        for _ in range(n):
            what = rng.choice(["sale", "sale", "cost", "fund_spend", "rent"])
            rows.append(f"E{rng.randrange(40)},{rng.choice(COMMUNITIES)},{_t(rng).date()},{what},"
                        f"{rng.randint(0, 30000) / 100},{rng.choice(['M1', 'M2', 'M3', '']) if what == 'sale' else ''},"
                        f"{rng.choice(['S1', 'S2', '']) if what == 'rent' else ''},")
    elif kind == "orders":
        rows = ["order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status"] + [
            f"O{rng.randrange(40)},{rng.choice(COMMUNITIES)},S{rng.randrange(3)},{rng.choice(['coop_store', 'group_buy'])},"
            f"{_fmt(_t(rng))},{rng.randint(1, 300)},{rng.choice(['paid', 'paid', 'refunded', 'cancelled'])}"
            for _ in range(n)]
    elif kind == "sellers":
        rows = ["seller_id,community_id,kind"] + [f"S{k},{c},coop" for k in range(3) for c in COMMUNITIES]
    else:
        rows = ["community_id,name,households"] + [f"{c},{c}社区,{rng.randint(100, 900)}" for c in COMMUNITIES]
    path = folder / f"step{step}_{kind}.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return kind, path


@pytest.mark.parametrize("seed", [5, 6])
def test_incremental_build_equals_full_build_with_coop_books_and_splits(tmp_path, seed):
    rng = random.Random(seed)
    db = tmp_path / "inc.duckdb"
    applied: list[int] = []
    modes, splits_set = set(), 0
    for step in range(12):
        op = rng.random()
        if op < 0.12 and applied:
            undo(db, applied.pop(rng.randrange(len(applied))))
        elif op < 0.3 and db.exists():
            set_split(db, rng.choice(COMMUNITIES), *rng.choice([(60, 30, 10), (75, 10, 15), (50.5, 29.5, 20)]),
                      effective_from=(START + dt.timedelta(days=rng.randrange(60))).date())
            splits_set += 1
        else:
            kind, path = _file(rng, tmp_path, step)
            report = import_file(db, kind, path)
            if report.import_id:
                applied.append(report.import_id)
        modes.add(build(db).mode)
        equals_a_full_build(db, tmp_path, step)
    assert "incremental" in modes and splits_set > 0
