"""Full-build time against data size: 1, 2, 4 and 8 × a base store, with a fitted slope.

The size grows by communities (a street office with more communities, each with the same
weeks of history): base = 2 communities × 26 weeks, so 8 × base = 16 communities × 26 weeks
(about 0.7 × street scale). The base is kept small so that the whole curve finishes in a few
minutes on a shared 2-core machine; --base-communities/--base-weeks change it. For each size:
the stored rows (every event feed's raw table, corrections included) and the median of 3
full builds; then the least-squares line seconds = a + b × million rows.

    python bench/scale.py [--base-communities 2] [--base-weeks 26] [--runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import duckdb

from pipelines.build.runner import build
from pipelines.demo.generate import write_demo_files
from pipelines.feeds import FEEDS
from pipelines.ingest.store import import_file

FACTORS = (1, 2, 4, 8)


def stored_rows(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sum(con.execute(f"SELECT count(*) FROM raw_{kind}").fetchall()[0][0]
                   for kind, feed in FEEDS.items() if feed.is_event)
    finally:
        con.close()


def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Intercept and slope of the line through (xs, ys) that minimises the squared error."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-communities", type=int, default=2)
    ap.add_argument("--base-weeks", type=int, default=26)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"base = {args.base_communities} communities × {args.base_weeks} weeks (seed 7); "
          f"sizes grow by communities; median of {args.runs} full builds each")
    print(f"{'× base':>6} {'communities':>11} {'stored rows':>12} {'build s':>8}   runs (s)")
    millions, medians = [], []
    with tempfile.TemporaryDirectory(prefix="linli-scale-") as tmp:
        for factor in FACTORS:
            folder = Path(tmp) / f"x{factor}"
            n = args.base_communities * factor
            db = folder / "linli.duckdb"
            for kind, path in write_demo_files(folder / "files", n, args.base_weeks, seed=7):
                import_file(db, kind, path)
            runs = [build(db, full=True).seconds for _ in range(args.runs)]
            rows = stored_rows(db)
            millions.append(rows / 1e6)
            medians.append(statistics.median(runs))
            print(f"{factor:>6} {n:>11} {rows:>12,} {medians[-1]:>8.2f}   " + " ".join(f"{t:.2f}" for t in runs),
                  flush=True)
    intercept, slope = least_squares(millions, medians)
    print(f"fitted: build s = {intercept:.2f} + {slope:.2f} × million stored rows "
          f"(least squares over the {len(FACTORS)} sizes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
