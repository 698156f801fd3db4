"""What `linli serve --kpi-from DIR` costs at city scale: the city snapshot made from a lake, and the reads of 总览
and 街道对比 on it (issue 18 item 4).

The lake is synthetic, written straight into the layout `linli lake export` and the Spark build write: a
communities table (12 communities a street), kpi/grain=week|month/ with every metric of the registry for every
community and period (random values: what is measured is reading them, not their meaning), and one event feed,
parcels, partitioned by community and month (the feed the freshness scan reads most of: two time columns;
--parcels rows a community a year, street scale has about 330,000). The lake is made once per size in --work.

Printed: the cold city snapshot (wall seconds, CPU seconds and peak RSS of a child process that makes it), the
check a rerun pays while the lake is unchanged (stat of the manifest and the kpi files), the snapshot's size,
and the snapshot reader's queries the two pages run, each the median of 5 (first run excluded).

    python bench/city_serve.py [--communities 480] [--weeks 52] [--parcels 330000] [--work DIR] [--keep]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
START = dt.date(2025, 12, 1)    # a Monday; the data runs --weeks weeks from it

CHILD = """
import json, sys, time
from pipelines.lake import city
t, c = time.perf_counter(), time.process_time()
snap = city.city_snapshot(sys.argv[1], sys.argv[2])
# VmHWM, not ru_maxrss: a forked child's ru_maxrss keeps the parent's high-water mark across exec
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - c, "snap": str(snap),
                  "rss_mb": hwm / 1024}))
"""


def make_lake(lake: Path, communities: int, weeks: int, parcels: int) -> dict:
    import duckdb

    from pipelines.metrics import REGISTRY
    lake.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("""CREATE TABLE comm AS SELECT printf('c%04d', i) AS community_id, printf('社区%04d', i) AS name,
                          printf('第%03d街道', i // 12) AS street, 800 + (i * 37) % 3000 AS households,
                          26.5 + i / 10000.0 AS lat, 106.7 + i / 10000.0 AS lon
                   FROM range(?) t(i)""", [communities])
    (lake / "communities").mkdir()
    con.execute(f"COPY comm TO '{lake / 'communities' / 'data.parquet'}' (FORMAT parquet)")
    metrics = sorted(REGISTRY)
    end = START + dt.timedelta(weeks=weeks)
    con.execute("CREATE TABLE metric AS SELECT unnest(?::VARCHAR[]) AS metric", [metrics])
    con.execute("""CREATE TABLE periods AS
                   SELECT 'week' AS grain, (?::DATE + INTERVAL (7 * i) DAY)::DATE AS period_start FROM range(?) t(i)
                   UNION ALL
                   SELECT DISTINCT 'month', date_trunc('month', ?::DATE + INTERVAL (7 * i) DAY)::DATE
                   FROM range(?) t(i)""", [START, weeks, START, weeks])
    con.execute(f"""COPY (SELECT c.community_id, p.grain, p.period_start, m.metric, round(random() * 100, 2) AS value
                          FROM comm c, periods p, metric m)
                    TO '{lake / 'kpi'}' (FORMAT parquet, PARTITION_BY (grain))""")
    kpi_rows = con.execute("SELECT count(*) FROM comm, periods, metric").fetchone()[0]
    hours = weeks * 7 * 24
    con.execute(f"""COPY (SELECT c.community_id, printf('P%09d', i) AS parcel_id,
                                 ?::TIMESTAMP + INTERVAL (i * 7919 % {hours}) HOUR AS arrived_at,
                                 ?::TIMESTAMP + INTERVAL (i * 7919 % {hours} + i % 90) HOUR AS picked_up_at,
                                 strftime(?::TIMESTAMP + INTERVAL (i * 7919 % {hours}) HOUR, '%Y-%m') AS month
                          FROM comm c, range(?) t(i))
                    TO '{lake / 'parcels'}' (FORMAT parquet, PARTITION_BY (community_id, month))""",
                [START, START, START, parcels])
    con.close()
    for f in (lake / "parcels").glob("*/*/*.parquet"):    # the export's file name (duckdb_read_sql reads it)
        f.rename(f.with_name("data.parquet"))
    manifest = {"format": "linli-lake", "schema_version": 0, "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "feeds": ["communities", "parcels"], "tables": {
                    "communities": {"source": "cur_communities", "columns": ["community_id", "name", "street",
                                                                            "households", "lat", "lon"],
                                    "types": {"community_id": "VARCHAR", "name": "VARCHAR", "street": "VARCHAR",
                                              "households": "BIGINT", "lat": "DOUBLE", "lon": "DOUBLE"},
                                    "partitioned_by": [], "anchor": None, "kind": "reference",
                                    "rows": communities, "partitions": {}},
                    "parcels": {"source": "cur_parcels", "columns": ["parcel_id", "community_id", "arrived_at",
                                                                    "picked_up_at"],
                                "types": {"parcel_id": "VARCHAR", "community_id": "VARCHAR",
                                          "arrived_at": "TIMESTAMP", "picked_up_at": "TIMESTAMP"},
                                "partitioned_by": ["community_id", "month"], "anchor": "arrived_at",
                                "kind": "event", "rows": communities * parcels, "partitions": {}}}}
    (lake / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return {"kpi_rows": kpi_rows, "parcels": communities * parcels, "end": end}


def median_ms(fn, runs: int = 5) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--communities", type=int, default=480)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--parcels", type=int, default=330_000, help="parcel rows a community")
    ap.add_argument("--work", type=Path)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="linli-city-"))
    lake = work / f"lake-{args.communities}x{args.weeks}x{args.parcels}"
    store = work / "store.duckdb"
    if not (lake / "manifest.json").exists():
        shutil.rmtree(lake, ignore_errors=True)
        t = time.perf_counter()
        made = make_lake(lake, args.communities, args.weeks, args.parcels)
        print(f"lake: {args.communities} communities × {args.weeks} weeks, {made['kpi_rows']:,} kpi rows, "
              f"{made['parcels']:,} parcel rows, written in {time.perf_counter() - t:.0f} s")
    shutil.rmtree(work / "store.city", ignore_errors=True)
    out = subprocess.run([sys.executable, "-c", CHILD, str(lake), str(store)], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    snap = Path(got["snap"])
    print(f"city snapshot, cold: {got['seconds']:.1f} s wall, {got['cpu']:.1f} s CPU (all threads), "
          f"peak RSS {got['rss_mb']:.0f} MB, file {snap.stat().st_size / 1e6:.0f} MB")

    from pipelines import snapshot_reader as r
    from pipelines.lake import city
    print(f"unchanged lake, the check a rerun pays: {median_ms(lambda: city.city_snapshot(lake, store)):.1f} ms")
    everyone = r.scope_of(str(snap), "all", None, None)
    street = r.scope_of(str(snap), "street", None, "第001街道")
    week = r.street_periods(str(snap), street, "week")[-2]
    reads = {
        "scope_of (one street)": lambda: r.scope_of(str(snap), "street", None, "第001街道"),
        "communities (all)": lambda: r.communities(str(snap), everyone),
        "period_coverage (one street, weeks)": lambda: r.period_coverage(str(snap), street, "week"),
        "street_measures (one street, one week)": lambda: r.street_measures(str(snap), street, "week", week),
        "street_series (one street, 12 weeks)": lambda: r.street_series(str(snap), street, "week", "complaints.noise",
                                                                        week - dt.timedelta(weeks=11), week),
        "kpi_series (one community, 12 weeks)": lambda: r.kpi_series(str(snap), street, street[0], "week",
                                                                     week - dt.timedelta(weeks=11), week),
        "data_ends (all)": lambda: r.data_ends(str(snap), everyone),
    }
    for name, fn in reads.items():
        print(f"  {name}: {median_ms(fn):.1f} ms")
    if not args.keep and args.work is None:
        shutil.rmtree(work)
    else:
        shutil.rmtree(work / "store.city", ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("TZ", "UTC")
    main()
