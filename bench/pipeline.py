"""Demo generation, import and build cost against data size.

For 13, 26 and 52 weeks of demo data (4 communities) prints the time to write the
files, to import them, to build, and the build time per million stored rows; then
the cost of importing one more week into the 52-week store and building
incrementally, as a ratio to the full build measured in the same run.

    python bench/pipeline.py
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.build.runner import build
from pipelines.demo.generate import write_demo_files
from pipelines.ingest.store import import_file
from pipelines.sqlrows import scalar


def stored_rows(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    n = sum(scalar(con.execute(f"SELECT count(*) FROM raw_{k}"))
            for k in ("orders", "parcels", "complaints", "training", "jobs"))
    con.close()
    return n


def main() -> None:
    print(f"{'weeks':>5} {'rows':>10} {'write s':>8} {'import s':>9} {'build s':>8} {'build s/M rows':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for weeks in (13, 26, 52):
            folder = Path(tmp) / f"w{weeks}"
            t0 = time.perf_counter()
            files = write_demo_files(folder / "files", 4, weeks, seed=7)
            t1 = time.perf_counter()
            db = folder / "linli.duckdb"
            for kind, path in files:
                import_file(db, kind, path)
            t2 = time.perf_counter()
            full = build(db, full=True).seconds
            rows = stored_rows(db)
            print(f"{weeks:>5} {rows:>10,} {t1 - t0:>8.1f} {t2 - t1:>9.1f} {full:>8.1f} {full / rows * 1e6:>15.2f}")
        # one more week on top of the 52-week store: A's last week of orders again, 7 days later, new ids
        con = duckdb.connect(str(db), read_only=True)
        week = con.sql("""SELECT order_id || '-next' AS order_id, community_id, seller_id, channel,
                                     ordered_at + INTERVAL 7 DAY AS ordered_at, amount_yuan, item_count, status
                              FROM cur_orders WHERE community_id = 'A'
                                AND ordered_at >= (SELECT max(ordered_at) FROM cur_orders) - INTERVAL 7 DAY""").pl()
        con.close()
        extra = Path(tmp) / "next_week_orders.csv"
        week.write_csv(extra)
        t3 = time.perf_counter()
        import_file(db, "orders", extra)
        t4 = time.perf_counter()
        again = build(db)
        print(f"one more week ({week.height:,} orders) into the 52-week store: import {t4 - t3:.2f} s, "
              f"{again.mode} build {again.seconds:.2f} s = {again.seconds / full:.2f} × the full build ({full:.2f} s)")


if __name__ == "__main__":
    main()
