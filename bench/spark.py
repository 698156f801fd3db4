"""DuckDB against Spark (local mode) over the same lake, at 1, 4 and 16 × street scale: the growth curve.

Street scale = 12 communities × 52 weeks of demo data (seed 7, ending 29 November 2026). The base lake is the
street demo imported into a store and exported by `linli lake export` (the store's columns, types, masking and
hashing; not timed in the curve). Each size k is written straight into the lake layout from it
(pipelines/lake/grow.py: k copies of every community under new ids, event files copied as bytes, reference
tables rewritten), so the curve is not bounded by import. At each size, each engine builds the models kpi
reads from the same lake, in a child process:
  - DuckDB: pipelines/lake/duckdb_build.py (`linli build --engine duckdb --lake DIR`);
  - Spark:  pipelines/lake/spark_build.py (`linli build --engine spark --lake DIR`, --master, local[2] here);
with, for each, wall seconds, CPU seconds and peak RSS of the whole process tree (the Spark child's JVM
included): /proc is read every 0.2 s for the child and all its descendants; a process's CPU is its last
reading (up to 0.2 s of a process's end can be missed), RSS the largest sum over the tree in one reading.
Then every kpi cell of the two outputs is compared (floats to 1e-9 relative): cells and mismatches.

A run predicted to take longer than --limit-minutes (default 40) is skipped: the prediction is the line
through the engine's measured sizes (seconds against lake rows; through the origin when one size is measured),
printed with the reason. The grown lakes are deleted after their size is measured (unless --keep).

    python bench/spark.py [--sizes 1,4,16] [--engines duckdb,spark] [--spark-sizes 1,4] [--master local[2]]
                          [--base LAKE] [--work DIR] [--keep] [--limit-minutes 40] [--duckdb-memory 6GB]
                          [--spark-driver-memory 4g]
                          [--base-communities 12] [--base-weeks 52]

`--base LAKE` reuses an exported base lake (`linli lake export`); without it the demo is made and exported
in --work first.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
END = dt.date(2026, 11, 29)
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

DUCKDB_CHILD = """
import json, sys, time
from pipelines.lake.duckdb_build import build_duckdb
t = time.perf_counter(); r = build_duckdb(sys.argv[1], out=sys.argv[2], memory_limit=sys.argv[3] or None)
print(json.dumps({"seconds": time.perf_counter() - t, "kpi_rows": r.kpi_rows}))
"""
SPARK_CHILD = """
import json, sys, time
from pipelines.lake.spark_build import build_spark
t = time.perf_counter(); r = build_spark(sys.argv[1], master=sys.argv[3], say=lambda *a: None, out=sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t, "kpi_rows": r.kpi_rows}))
"""


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _reading(pid: int) -> tuple[tuple[int, int], float, int] | None:
    """(pid, start time) -> CPU seconds, RSS bytes; None when the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError):
        return None
    # fields after the command: state is [0], utime [11], stime [12], starttime [19]
    return (pid, int(fields[19])), (int(fields[11]) + int(fields[12])) / TICK, rss


def measured(code: str, *args: str, env: dict | None = None) -> dict:
    """Run a child; its report (the last stdout line, JSON) with wall, tree CPU and tree peak RSS added; a child
    that fails reports `failed` (the first error line of its stderr) with the same measures up to its end."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    cpu: dict[tuple[int, int], float] = {}
    peak = 0
    while proc.poll() is None:
        rss = 0
        for pid in _tree(proc.pid):
            r = _reading(pid)
            if r:
                cpu[r[0]] = r[1]
                rss += r[2]
        peak = max(peak, rss)
        time.sleep(0.2)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode:
        errors = [line.strip() for line in err.splitlines() if "Error" in line or "Exception" in line]
        report = {"failed": (errors or err.strip().splitlines()[-1:] or ["?"])[0][:200], "kpi_rows": 0}
        Path(tempfile.gettempdir(), f"linli-spark-bench-{proc.pid}.err").write_text(err)
    else:
        report = json.loads(out.strip().splitlines()[-1])
    report.update(wall=wall, cpu_s=sum(cpu.values()), peak_mb=peak / 2**20, processes=len(cpu))
    return report


def compare(a: Path, b: Path) -> tuple[int, int]:
    from tests.pipelines.test_spark_equal import _mismatches, _spark_kpi
    ours, theirs = _spark_kpi(a), _spark_kpi(b)
    return len(ours), len(_mismatches(ours, theirs))


def predict(points: list[tuple[int, float]], rows: int) -> float | None:
    """Seconds at `rows` from the measured (rows, seconds): a least-squares line, through the origin if one."""
    if not points:
        return None
    if len(points) == 1:
        return points[0][1] * rows / points[0][0]
    n = len(points)
    mx, my = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    b = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx if sxx else 0.0
    return my + b * (rows - mx)


def make_base(work: Path, communities: int, weeks: int) -> Path:
    from pipelines.demo.generate import run_demo
    from pipelines.lake.export import export_lake
    where = work / "base"
    where.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    run_demo(where / "linli.duckdb", communities=communities, weeks=weeks, end=END, out_dir=str(where / "files"),
             say=lambda *a, **k: None)
    demo_s = time.perf_counter() - t
    t = time.perf_counter()
    export_lake(where / "linli.duckdb", where / "lake")
    print(f"base: demo {demo_s:.1f} s, export {time.perf_counter() - t:.1f} s", flush=True)
    shutil.rmtree(where / "files", ignore_errors=True)
    return where / "lake"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,4,16")
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--spark-sizes", help="the sizes Spark runs at (default: all of --sizes)")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--base", help="an exported base lake to grow (default: the demo street, made in --work)")
    ap.add_argument("--base-communities", type=int, default=12)
    ap.add_argument("--base-weeks", type=int, default=52)
    ap.add_argument("--work", help="a folder for the lakes (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the grown lakes")
    ap.add_argument("--link", action="store_true", help="hard-link the event files instead of copying them")
    ap.add_argument("--limit-minutes", type=float, default=40.0)
    ap.add_argument("--spark-driver-memory", help="the Spark driver's heap, e.g. 4g (default spark_session's 1g); "
                    "in local mode the executors' tasks run in the driver's JVM, so this is Spark's memory")
    ap.add_argument("--duckdb-memory", default="",
                    help="DuckDB's memory_limit (e.g. 6GB; default DuckDB's own, 80 %% of RAM): on a shared machine "
                         "the build then spills instead of taking memory others hold")
    args = ap.parse_args()
    from pipelines.demo.generate import community_id
    from pipelines.lake.grow import grow_lake
    work = Path(args.work or tempfile.mkdtemp(prefix="linli-spark-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    base = Path(args.base) if args.base else make_base(work, args.base_communities, args.base_weeks)
    engines = args.engines.split(",")
    spark_sizes = {int(s) for s in (args.spark_sizes or args.sizes).split(",")}
    limit = args.limit_minutes * 60
    measured_points: dict[str, list[tuple[int, float]]] = {e: [] for e in engines}
    lines = []
    head = (f"{'size':>4} {'comm.':>5} {'lake rows':>11} {'grow s':>6} {'engine':>6} {'wall s':>7} {'CPU s':>7} "
            f"{'peak MB':>7} {'procs':>5} {'kpi cells':>9}")
    print(head, flush=True)
    for size in [int(s) for s in args.sizes.split(",")]:
        lake = work / f"x{size}"
        if lake.exists():
            shutil.rmtree(lake)
        t = time.perf_counter()
        grown = grow_lake(base, lake, size, link=args.link, id_of=community_id)
        grow_s = time.perf_counter() - t
        rows = sum(e["rows"] for e in grown["tables"].values())
        communities = len({p.split("/")[0] for p in grown["tables"]["orders"]["partitions"]})
        outs = {}
        for engine in engines:
            if engine == "spark" and size not in spark_sizes:
                line = f"{size:>4} {communities:>5} {rows:>11,} {grow_s:>6.1f} {engine:>6}  not run (--spark-sizes)"
                guess = predict(measured_points[engine], rows)
                if guess:
                    line += f"; the line through the measured sizes says {guess / 60:.0f} min"
                print(line, flush=True)
                lines.append(line)
                continue
            guess = predict(measured_points[engine], rows)
            if guess is not None and guess > limit:
                line = (f"{size:>4} {communities:>5} {rows:>11,} {grow_s:>6.1f} {engine:>6}  skipped: predicted "
                        f"{guess / 60:.0f} min > {args.limit_minutes:.0f} min (line through the measured sizes)")
                print(line, flush=True)
                lines.append(line)
                continue
            out = lake / f"kpi_{engine}"
            # --driver-memory on the command line wins over the session's spark.driver.memory (checked: 3g gave
            # a 3,072 MB heap with spark_session()'s 1g)
            env = ({"PYSPARK_SUBMIT_ARGS": f"--driver-memory {args.spark_driver_memory} pyspark-shell"}
                   if engine == "spark" and args.spark_driver_memory else None)
            r = measured(DUCKDB_CHILD if engine == "duckdb" else SPARK_CHILD, str(lake), str(out),
                         args.duckdb_memory if engine == "duckdb" else args.master, env=env)
            line = (f"{size:>4} {communities:>5} {rows:>11,} {grow_s:>6.1f} {engine:>6} {r['wall']:>7.1f} "
                    f"{r['cpu_s']:>7.1f} {r['peak_mb']:>7.0f} {r['processes']:>5} ")
            if "failed" in r:
                line += f"failed: {r['failed']}"
            else:
                measured_points[engine].append((rows, r["wall"]))
                outs[engine] = out
                line += f"{r['kpi_rows']:>9,}"
            print(line, flush=True)
            lines.append(line)
        if len(outs) == 2:
            cells, bad = compare(outs["duckdb"], outs["spark"])
            line = f"{size:>4} both engines: {cells:,} kpi cells compared, {bad} mismatches"
            print(line, flush=True)
            lines.append(line)
        if not args.keep:
            shutil.rmtree(lake)
    for engine, points in measured_points.items():
        if len(points) >= 2:
            b = (predict(points, 10**6 + points[0][0]) - predict(points, points[0][0]))
            print(f"{engine}: {b:.1f} s per million lake rows (least squares over {len(points)} sizes)")
    print("procs: processes seen in the child's tree (Spark: Python driver + JVM). Load average at the end: "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    if not args.work and not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
