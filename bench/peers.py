"""Linli's full build against a pandas and a polars peer computing the same 12 heavy metrics.

On one demo store (default 4 communities × 52 weeks; --street = 12 × 52), in the same run,
median of 3 each:
  - Linli's full build, each in a child process, and the builds' peak RSS;
  - the peers (bench/peer_pandas.py, bench/peer_polars.py): the 7 tables loaded from the built
    store once (load time reported apart), then the metrics computed from memory;
then every peer cell is checked against `kpi` (floats to 1e-9 relative, NULL = NULL). A
mismatch fails the benchmark (exit 1).

    python bench/peers.py [--communities N] [--weeks W] [--street] [--db PATH] [--runs 3]

With --db naming an existing store, that store is rebuilt and measured as it is (no demo run).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))   # the peers sit beside this script
import peer_pandas  # noqa: E402
import peer_polars  # noqa: E402

from pipelines.demo.generate import run_demo  # noqa: E402

METRICS = ("orders.count", "orders.gmv_yuan", "orders.refund_rate", "orders.active_sellers",
           "parcels.arrived", "parcels.picked_up", "parcels.median_dwell_hours", "parcels.overdue",
           "parcels.peak_occupancy_ratio", "complaints.count", "complaints.noise", "complaints.noise_outside_hours")
REL_TOL = 1e-9
# A fresh interpreter per build, so that nothing is cached between them. Its peak RSS is the new
# process image's own high-water mark (VmHWM): Linux carries the parent's RSS at fork into the
# child's ru_maxrss (and so into RUSAGE_CHILDREN), which after an in-process demo doubled the figure.
BUILD_CHILD = """
import json, resource, sys, time
from pathlib import Path
from pipelines.build.runner import build
t = time.perf_counter()
result = build(sys.argv[1], full=True)
seconds = time.perf_counter() - t
status = Path("/proc/self/status")
hwm = [l for l in status.read_text().splitlines() if l.startswith("VmHWM:")] if status.exists() else []
kib = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "kpi_rows": result.kpi_rows, "rss_mb": kib / 1024}))
"""


def linli_builds(db: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds and peak RSS (MB) of each full build."""
    seconds, each_mb = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", BUILD_CHILD, str(db)], capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"linli build failed on {db} (exit {done.returncode}):\n{done.stderr[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        seconds.append(report["seconds"])
        each_mb.append(report["rss_mb"])
    return seconds, each_mb


def time_peer(peer, con, runs: int) -> tuple[float, list[float], dict]:
    t0 = time.perf_counter()
    frames = peer.load(con)
    load_s = time.perf_counter() - t0
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = peer.compute(frames)
        times.append(time.perf_counter() - t0)
    return load_s, times, peer.cells(result)


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=REL_TOL)


def compare(con, cells: dict) -> tuple[int, list[str]]:
    """Cells compared, and one line per cell that differs from kpi or is missing on either side."""
    placeholders = ", ".join("?" for _ in METRICS)
    kpi = {(c, g, p, m): v for c, g, p, m, v in con.execute(
        f"SELECT community_id, grain, period_start, metric, value FROM kpi WHERE metric IN ({placeholders})",
        list(METRICS)).fetchall()}
    bad = []
    for key, value in sorted(cells.items()):
        if key not in kpi:
            bad.append(f"  {key}: peer {value}, no kpi row")
        elif not same(value, kpi[key]):
            bad.append(f"  {key}: peer {value!r}, kpi {kpi[key]!r}")
    bad += [f"  {key}: kpi {kpi[key]!r}, the peer has no cell" for key in sorted(kpi.keys() - cells.keys())]
    return len(cells), bad


def store_size(con) -> str:
    n = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
         for t in ("stg_orders", "stg_parcels", "stg_complaints")}
    return f"{n['stg_orders']:,} orders, {n['stg_parcels']:,} parcels, {n['stg_complaints']:,} complaints"


def fmt(times: list[float]) -> str:
    return f"{statistics.median(times):>8.2f}   " + " ".join(f"{t:.2f}" for t in times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communities", type=int, default=4)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--street", action="store_true", help="12 communities × 52 weeks")
    ap.add_argument("--db", type=Path, help="keep the store here (reused when it exists)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    if args.street:
        args.communities, args.weeks = 12, 52
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory(prefix="linli-peers-") as tmp:
        db = args.db or Path(tmp) / "linli.duckdb"
        if db.exists():
            print(f"store {db} exists: measured as it is (no demo run)")
        else:
            db.parent.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            run_demo(db, communities=args.communities, weeks=args.weeks, seed=7,
                     out_dir=str(db.parent / "peers-demo-files"), say=lambda *_: None)
            print(f"demo {args.communities} communities × {args.weeks} weeks (seed 7): "
                  f"{time.perf_counter() - t0:.1f} s, once")
        wal = db.with_name(db.name + ".wal")
        if wal.exists():
            print(f"write-ahead log before the builds: {wal.stat().st_size / 2**20:,.0f} MB")
        builds, each_mb = linli_builds(db, args.runs)
        con = duckdb.connect(str(db), read_only=True)
        try:
            print(f"store: {store_size(con)}")
            pd_load, pd_times, pd_cells = time_peer(peer_pandas, con, args.runs)
            pl_load, pl_times, pl_cells = time_peer(peer_polars, con, args.runs)
            checks = {"pandas": compare(con, pd_cells), "polars": compare(con, pl_cells)}
        finally:
            con.close()
    linli = statistics.median(builds)
    print(f"\n{'figure':<44} {'median s':>8}   runs (s)")
    print(f"{'Linli full build (all marts, 32 metrics)':<44} {fmt(builds)}   peak RSS {max(each_mb):,.0f} MB "
          f"(runs: {' '.join(f'{m:,.0f}' for m in each_mb)})")
    print(f"{'pandas: load 7 tables from the store':<44} {pd_load:>8.2f}   once")
    print(f"{'pandas: compute the 12 metrics':<44} {fmt(pd_times)}")
    print(f"{'polars: load 7 tables from the store':<44} {pl_load:>8.2f}   once")
    print(f"{'polars (lazy): compute the 12 metrics':<44} {fmt(pl_times)}")
    print(f"\npandas compute ÷ Linli build = {statistics.median(pd_times) / linli:.2f}  (target ≥ 3)")
    print(f"polars compute ÷ Linli build = {statistics.median(pl_times) / linli:.2f}  (target > 1)")
    failed = False
    for name, (n, bad) in checks.items():
        print(f"{name} peer against kpi: {n:,} cells compared, {len(bad)} mismatches")
        for line in bad[:20]:
            print(line)
        failed = failed or bool(bad)
    if failed:
        print("FAILED: a peer and kpi disagree (cells above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
