"""How far one machine goes: 1, 2, 4 and 8 × street scale, grown by communities.

Street scale = 12 communities × 52 weeks of demo data (seed 7). At each size, on one store:
  - the demo's files written (seconds, in this process);
  - their import, every file in turn through `import_file` as `linli ingest` does, in a child process:
    seconds, rows/s over the CSV event files (orders, parcels), and the child's peak RSS;
  - the full build, median of --runs, each in a fresh child process, with each build's peak RSS;
  - one more week: the last 7 days of every community's orders and parcels again, 7 days later with
    new ids (per-community CSV files, as a week's exports arrive), imported and then built
    incrementally in a child process: import seconds, build seconds and mode, peak RSS;
then the least-squares lines `seconds = a + b × million stored rows` for the full build, the import
and the increment, and what those lines say of a nightly window of 10 minutes.

Peak RSS is the child's own high-water mark (VmHWM in /proc/self/status, read at its end), as in
bench/peers.py: ru_maxrss would carry this parent's size at fork into the child's figure. Each child's
CPU seconds (user + system) are printed too: on a shared machine they move far less than wall time.

    python bench/scale.py [--base-communities 12] [--base-weeks 52] [--sizes 1,2,4,8] [--runs 3]
                          [--keep DIR]

Small runs: `--base-communities 2 --base-weeks 13 --sizes 1,2` finishes in about a minute.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from pipelines.demo.generate import write_demo_files
from pipelines.feeds import FEEDS

SIZES = (1, 2, 4, 8)
WINDOW_S = 600          # the nightly window
END = dt.date(2026, 11, 29)   # a fixed last Sunday: every size holds the same weeks

# Each child reports its own peak RSS (VmHWM) at its end.
HWM = """
import os
from pathlib import Path
def hwm_mb():
    lines = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")]
    return int(lines[0].split()[1]) / 1024 if lines else float("nan")
def cpu_s():
    t = os.times()
    return t.user + t.system
"""
IMPORT_CHILD = HWM + """
import json, sys, time
from pipelines.ingest.store import import_file
db, listing = sys.argv[1], json.loads(Path(sys.argv[2]).read_text())
seconds = {}
for kind, path in listing:
    t = time.perf_counter()
    report = import_file(db, kind, path)
    if report.already_imported_as is None and not report.rows_new and report.rows_read:
        sys.exit(f"{path}: nothing imported")
    seconds[path] = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rss_mb": hwm_mb(), "cpu_s": cpu_s()}))
"""
BUILD_CHILD = HWM + """
import json, sys, time
from pipelines.build.runner import build
t = time.perf_counter()
result = build(sys.argv[1], full=sys.argv[2] == "full")
print(json.dumps({"seconds": time.perf_counter() - t, "mode": result.mode, "kpi_rows": result.kpi_rows,
                  "rss_mb": hwm_mb(), "cpu_s": cpu_s()}))
"""


def child(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"child failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_files(db: Path, files: list[tuple[str, Path]], folder: Path) -> dict:
    listing = folder / f"import-{len(list(folder.glob('import-*.json')))}.json"
    listing.write_text(json.dumps([(kind, str(path)) for kind, path in files]))
    return child(IMPORT_CHILD, str(db), str(listing))


def stored_rows(db: Path) -> int:
    """Rows held by the event feeds' stored tables (every version kept, corrections included)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sum(con.execute(f"SELECT count(*) FROM raw_{kind}").fetchall()[0][0]
                   for kind, feed in FEEDS.items() if feed.is_event)
    finally:
        con.close()


def csv_rows(files: list[tuple[str, Path]], kinds=("orders", "parcels")) -> dict[Path, int]:
    """Data rows per CSV file of `kinds` (lines less the header, less the title line the orders carry)."""
    out = {}
    for kind, path in files:
        if kind in kinds and path.suffix == ".csv":
            with open(path, "rb") as fh:
                lines = sum(1 for _ in fh)
            out[path] = lines - (2 if kind == "orders" else 1)
    return out


def next_week(files: list[tuple[str, Path]], folder: Path) -> list[tuple[str, Path]]:
    """Each community's last 7 days of orders and parcels, 7 days later with new ids: one more week of
    exports, written as the demo writes them (orders GB18030 with a title line, parcels UTF-8)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    week = dt.timedelta(days=7)
    last = dt.datetime.combine(END + dt.timedelta(days=1), dt.time())
    for kind, path in files:
        if kind == "orders":
            raw = path.read_bytes().decode("gb18030")
            title, body = raw.split("\n", 1)
            f = pl.read_csv(body.encode(), infer_schema=False)
            at = pl.col("下单时间").str.strptime(pl.Datetime, "%Y/%m/%d %H:%M")
            f = f.filter(at >= last - week).with_columns(
                (pl.col("订单号") + "N").alias("订单号"),
                (at + week).dt.strftime("%Y/%-m/%-d %H:%M").alias("下单时间"))
            target = folder / path.name
            target.write_bytes((title + "\n" + f.write_csv()).encode("gb18030"))
        elif kind == "parcels":
            f = pl.read_csv(path, infer_schema=False)
            fmt = "%Y-%m-%d %H:%M:%S"
            arrived = pl.col("arrived_at").str.strptime(pl.Datetime, fmt)
            picked = pl.col("picked_up_at").str.strptime(pl.Datetime, fmt, strict=False)
            f = f.filter(arrived >= last - week).with_columns(
                (pl.col("parcel_id") + "N").alias("parcel_id"),
                (arrived + week).dt.strftime(fmt).alias("arrived_at"),
                (picked + week).dt.strftime(fmt).alias("picked_up_at"))
            target = folder / path.name
            f.write_csv(target)
        else:
            continue
        out.append((kind, target))
    return out


def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Intercept and slope of the line through (xs, ys) that minimises the squared error."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def measure(folder: Path, n: int, weeks: int, runs: int) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "linli.duckdb"
    t = time.perf_counter()
    files = write_demo_files(folder / "files", n, weeks, seed=7, end=END)
    write_s = time.perf_counter() - t
    imported = import_files(db, files, folder)
    rows = csv_rows(files)
    csv_s = sum(imported["seconds"][str(p)] for p in rows)
    builds = [child(BUILD_CHILD, str(db), "full") for _ in range(runs)]
    stored = stored_rows(db)
    extra = next_week(files, folder / "next-week")
    week = import_files(db, extra, folder)
    again = child(BUILD_CHILD, str(db), "auto")
    return {"communities": n, "stored_rows": stored, "write_s": write_s,
            "import_s": sum(imported["seconds"].values()), "import_csv_rows": sum(rows.values()),
            "import_csv_s": csv_s, "import_rss_mb": imported["rss_mb"],
            "import_cpu_s": imported["cpu_s"], "build_cpu_s": statistics.median(b["cpu_s"] for b in builds),
            "build_runs": [b["seconds"] for b in builds], "build_s": statistics.median(b["seconds"] for b in builds),
            "build_rss_mb": max(b["rss_mb"] for b in builds),
            "week_rows": sum(csv_rows(extra).values()),
            "week_import_s": sum(week["seconds"].values()), "week_import_rss_mb": week["rss_mb"],
            "week_build_s": again["seconds"], "week_build_mode": again["mode"], "week_build_rss_mb": again["rss_mb"],
            "week_cpu_s": week["cpu_s"] + again["cpu_s"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-communities", type=int, default=12, help="communities at 1 × (street: 12)")
    ap.add_argument("--base-weeks", type=int, default=52)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="multiples of the base, e.g. 1,2")
    ap.add_argument("--runs", type=int, default=3, help="full builds per size (the median is reported)")
    ap.add_argument("--keep", help="a folder to keep the stores in (by default a temporary folder, removed at the end)")
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"base = {args.base_communities} communities × {args.base_weeks} weeks (seed 7, data ending {END}); "
          f"sizes {', '.join(f'{s} ×' for s in sizes)} base, grown by communities; median of {args.runs} full builds",
          flush=True)
    head = (f"{'×':>3} {'comm.':>5} {'stored rows':>12} {'write s':>8} {'import s':>9} {'CSV rows/s':>11} "
            f"{'imp. MB':>8} {'build s':>8} {'build MB':>9} {'week rows':>9} {'wk imp s':>8} {'wk build s':>10} "
            f"{'wk MB':>6}  load avg")
    print(head, flush=True)
    results = []
    with contextlib.nullcontext(args.keep) if args.keep else tempfile.TemporaryDirectory(prefix="linli-scale-") as tmp:
        for factor in sizes:
            load = load_average()
            r = measure(Path(tmp) / f"x{factor}", args.base_communities * factor, args.base_weeks, args.runs)
            r.update(factor=factor, load_before=load, load_after=load_average())
            results.append(r)
            print(f"{factor:>3} {r['communities']:>5} {r['stored_rows']:>12,} {r['write_s']:>8.1f} {r['import_s']:>9.1f} "
                  f"{r['import_csv_rows'] / r['import_csv_s']:>11,.0f} {r['import_rss_mb']:>8.0f} {r['build_s']:>8.2f} "
                  f"{r['build_rss_mb']:>9.0f} {r['week_rows']:>9,} {r['week_import_s']:>8.2f} "
                  f"{r['week_build_s']:>10.2f} {max(r['week_import_rss_mb'], r['week_build_rss_mb']):>6.0f}  "
                  f"{r['load_before']} → {r['load_after']}", flush=True)
            print(f"    full builds (s): {' '.join(f'{s:.2f}' for s in r['build_runs'])}; increment built "
                  f"{r['week_build_mode']}; CPU s (user + system, which load inflates far less than wall time): "
                  f"import {r['import_cpu_s']:.1f}, full build {r['build_cpu_s']:.1f} (median), "
                  f"week's import + build {r['week_cpu_s']:.1f}", flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1))
    if len(results) >= 2:
        millions = [r["stored_rows"] / 1e6 for r in results]
        per_community = statistics.fmean(r["stored_rows"] / r["communities"] for r in results)
        print(f"\nleast squares over {len(results)} sizes (seconds = a + b × million stored rows):")
        fits = {}
        for key, label in (("build_s", "full build"), ("build_cpu_s", "full build, CPU seconds"),
                           ("import_s", "import (all files)"),
                           ("week_build_s", "one week's incremental build"),
                           ("week_import_s", "one week's import")):
            a, b = least_squares(millions, [r[key] for r in results])
            fits[key] = (a, b)
            print(f"  {label:<30} {a:7.2f} + {b:6.2f} × M rows")
        a, b = fits["build_s"]
        if b > 0:
            rows_m = (WINDOW_S - a) / b
            years = args.base_weeks / 52
            print(f"\nnightly window {WINDOW_S // 60} min, by the fitted full build: {rows_m:,.0f} M stored rows = "
                  f"{rows_m * 1e6 / per_community:,.0f} communities × {years:.3g} year(s) of this demo "
                  f"({per_community:,.0f} stored rows per community-{'year' if years == 1 else 'span'})")
        a, b = fits["week_build_s"]
        wa, wb = fits["week_import_s"]
        if b + wb > 0:
            rows_m = (WINDOW_S - a - wa) / (b + wb)
            print(f"nightly window {WINDOW_S // 60} min, by the fitted week (import + incremental build): "
                  f"{rows_m:,.0f} M stored rows = {rows_m * 1e6 / per_community:,.0f} communities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
