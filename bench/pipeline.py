"""Demo generation, import and build cost against data size.

For 13, 26 and 52 weeks of demo data (4 communities) prints the time to write the
files, to import them, to build, and the build time per million stored rows; then,
at each size, the cost of importing one more week and building incrementally (median
of 3, each on a fresh copy of the built store), and the 52-week increment as a ratio
to the 13-week one (issue 17: it must not grow with the store's age) and to the full
build measured in the same run. CPU seconds (this process, DuckDB's threads included) are printed beside
wall seconds: on a shared machine they move far less with the load.

The data ends a week before the last Sunday, so that the week added is in the past: a week after
today's last Sunday lies in the future, and the import quarantines most of it (an order dated more than
a day after its import), which measured an increment of quarantined rows.

    python bench/pipeline.py
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.build.runner import build, serving_dir
from pipelines.demo.days import last_sunday_before, today
from pipelines.demo.generate import write_demo_files
from pipelines.ingest.store import import_file
from pipelines.sqlrows import scalar

RUNS = 3
WEEKS = (13, 26, 52)
END = last_sunday_before(today()) - dt.timedelta(days=7)   # the week after it is complete and in the past


def stored_rows(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    n = sum(scalar(con.execute(f"SELECT count(*) FROM raw_{k}"))
            for k in ("orders", "parcels", "complaints", "training", "jobs"))
    con.close()
    return n


def next_week_orders(db: Path, folder: Path) -> tuple[Path, int]:
    """A's last week of orders again, 7 days later, new ids."""
    con = duckdb.connect(str(db), read_only=True)
    week = con.sql("""SELECT order_id || '-next' AS order_id, community_id, seller_id, channel,
                             ordered_at + INTERVAL 7 DAY AS ordered_at, amount_yuan, item_count, status
                      FROM stg_orders WHERE community_id = 'A'
                        AND ordered_at >= (SELECT max(ordered_at) FROM stg_orders) - INTERVAL 7 DAY""").pl()
    con.close()
    path = folder / "next_week_orders.csv"
    week.write_csv(path)
    return path, week.height


def timed_build(db: Path, full: bool = False):
    """The build's result, and its CPU seconds (user + system of this process: DuckDB's threads included)."""
    c0 = time.process_time()
    result = build(db, full=full)
    return result, time.process_time() - c0


def one_more_week(db: Path, folder: Path) -> tuple[float, float, float, int]:
    """Median import seconds, incremental build seconds and its CPU seconds of one more week, each run on its
    own copy of the store."""
    extra, orders = next_week_orders(db, folder)
    imports, builds, cpus = [], [], []
    for run in range(RUNS):
        copy = folder / f"copy{run}.duckdb"
        shutil.copy(db, copy)
        shutil.copytree(serving_dir(db), serving_dir(copy))
        t0 = time.perf_counter()
        import_file(copy, "orders", extra)
        t1 = time.perf_counter()
        result, cpu = timed_build(copy)
        assert result.mode == "incremental", result.mode
        imports.append(t1 - t0)
        builds.append(result.seconds)
        cpus.append(cpu)
        copy.unlink()
        shutil.rmtree(serving_dir(copy))
    return statistics.median(imports), statistics.median(builds), statistics.median(cpus), orders


def main() -> None:
    print(f"{'weeks':>5} {'rows':>10} {'write s':>8} {'import s':>9} {'build s':>8} {'build CPU s':>11} "
          f"{'build s/M rows':>15} {'+1 week import s':>17} {'+1 week build s':>16} {'+1 week build CPU s':>20}")
    increments, cpus, full, full_cpu = {}, {}, 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for weeks in WEEKS:
            folder = Path(tmp) / f"w{weeks}"
            t0 = time.perf_counter()
            files = write_demo_files(folder / "files", 4, weeks, seed=7, end=END)
            t1 = time.perf_counter()
            db = folder / "linli.duckdb"
            for kind, path in files:
                import_file(db, kind, path)
            t2 = time.perf_counter()
            result, full_cpu = timed_build(db, full=True)
            full = result.seconds
            rows = stored_rows(db)
            imported, increments[weeks], cpus[weeks], orders = one_more_week(db, folder)
            print(f"{weeks:>5} {rows:>10,} {t1 - t0:>8.1f} {t2 - t1:>9.1f} {full:>8.1f} {full_cpu:>11.1f} "
                  f"{full / rows * 1e6:>15.2f} {imported:>17.2f} {increments[weeks]:>16.2f} {cpus[weeks]:>20.2f}",
                  flush=True)
    first, last = WEEKS[0], WEEKS[-1]
    print(f"one more week ({orders:,} orders), incremental build, median of {RUNS}: {increments[last]:.2f} s at {last} "
          f"weeks = {increments[last] / increments[first]:.2f} × the {first}-week figure ({increments[first]:.2f} s), "
          f"{increments[last] / full:.2f} × the {last}-week full build ({full:.2f} s); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"the same in CPU seconds: {cpus[last]:.2f} at {last} weeks = {cpus[last] / cpus[first]:.2f} × the "
          f"{first}-week figure ({cpus[first]:.2f}), {cpus[last] / full_cpu:.2f} × the {last}-week full build "
          f"({full_cpu:.2f})")


if __name__ == "__main__":
    main()
