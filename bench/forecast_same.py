"""Whether two stores hold the same forecast tables (pipelines/forecast/run.py): every row of forecast,
forecast_backtest, forecast_accuracy and forecast_capacity, floats to 1e-9 (or bit for bit with --exact), made_at
left out (each build stamps its own). Made to check a change to the forecast's speed: a store built before it
against a copy rebuilt after.

    .venv/bin/python bench/forecast_same.py BEFORE.duckdb AFTER.duckdb [--exact]

Prints each table's row counts and the first differing row; exits 1 when any differs.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from pipelines.forecast.run import TABLES  # noqa: E402


def rows(db: str, table: str) -> list[tuple]:
    con = duckdb.connect(db, read_only=True)
    try:
        cols = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] != "made_at"]
        return con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def same(u, v, exact: bool) -> bool:
    if isinstance(u, float) and isinstance(v, float) and not exact:
        return math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9)
    return u == v


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--exact", action="store_true", help="floats bit for bit")
    args = ap.parse_args()
    failed = False
    for table in TABLES:
        a, b = rows(args.before, table), rows(args.after, table)
        bad = next(((x, y) for x, y in zip(a, b) if not all(same(u, v, args.exact) for u, v in zip(x, y))), None)
        ok = len(a) == len(b) and bad is None
        print(f"{table}: {len(a):,} rows before, {len(b):,} after: {'same' if ok else 'DIFFERENT'}")
        if bad:
            print(f"  first difference: {bad[0]} != {bad[1]}")
        failed = failed or not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
