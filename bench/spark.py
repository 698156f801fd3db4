"""DuckDB against Spark (local mode) on the same models and the same data, at 1, 4 and 16 × street scale.

Street scale = 12 communities × 52 weeks of demo data (seed 7), grown by communities. At each size:
  - the demo written and imported into a store (`run_demo`, not timed here: bench/scale.py times import);
  - `linli lake export` of that store (seconds);
  - the full DuckDB build (`linli build --full`, in a child: seconds, peak RSS);
  - the Spark build of the lake (`linli build --engine spark`, in a child: seconds, the child's peak RSS
    and the JVM's, read from /proc of the driver's java process at its end is not portable: the Python
    child's VmHWM plus the driver heap cap of spark.driver.memory are printed instead);
  - every kpi cell compared (floats to 1e-9 relative): the cell count and the mismatches.

    python bench/spark.py [--base-communities 12] [--base-weeks 52] [--sizes 1,4,16] [--master local[2]]
                          [--keep DIR]

Small run (what was measured on the shared 2-core machine): `--base-communities 2 --base-weeks 18 --sizes 1`.
The data passes through the store (import) before the lake; writing the demo straight into the lake layout,
so the curve is not bounded by import, is not done yet.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
END = dt.date(2026, 11, 29)

HWM = """
from pathlib import Path
def hwm_mb():
    lines = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")]
    return int(lines[0].split()[1]) / 1024 if lines else float("nan")
"""
DUCKDB_CHILD = HWM + """
import json, sys, time
from pipelines.build.runner import build
t = time.perf_counter(); r = build(sys.argv[1], full=True)
print(json.dumps({"seconds": time.perf_counter() - t, "kpi_rows": r.kpi_rows, "peak_mb": hwm_mb()}))
"""
SPARK_CHILD = HWM + """
import json, sys, time
from pipelines.lake.spark_build import build_spark
t = time.perf_counter(); r = build_spark(sys.argv[1], master=sys.argv[2], say=lambda *a: None)
print(json.dumps({"seconds": time.perf_counter() - t, "kpi_rows": r.kpi_rows, "peak_mb": hwm_mb()}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(db: Path, lake: Path) -> tuple[int, int]:
    sys.path.insert(0, str(ROOT))
    from tests.pipelines.test_spark_equal import _duckdb_kpi, _mismatches, _spark_kpi
    ours, theirs = _duckdb_kpi(db), _spark_kpi(lake / "kpi")
    return len(ours), len(_mismatches(ours, theirs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-communities", type=int, default=12)
    ap.add_argument("--base-weeks", type=int, default=52)
    ap.add_argument("--sizes", default="1,4,16")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--keep", help="a folder to keep the stores and lakes in (default: a temporary one)")
    args = ap.parse_args()
    from pipelines.demo.generate import run_demo
    from pipelines.lake.export import export_lake
    with (contextlib.nullcontext(args.keep) if args.keep else tempfile.TemporaryDirectory()) as folder:
        print(f"{'size':>5} {'communities':>11} {'rows':>10} {'export s':>9} {'duckdb s':>9} {'MB':>6} "
              f"{'spark s':>8} {'MB*':>6} {'cells':>7} {'mismatches':>10}")
        for size in [int(s) for s in args.sizes.split(",")]:
            where = Path(folder) / f"x{size}"
            where.mkdir(parents=True, exist_ok=True)
            db, lake = where / "linli.duckdb", where / "lake"
            communities = args.base_communities * size
            run_demo(db, communities=communities, weeks=args.base_weeks, end=END, out_dir=str(where / "files"),
                     say=lambda *a, **k: None)
            t = time.perf_counter()
            exported = export_lake(db, lake)
            export_s = time.perf_counter() - t
            d = child(DUCKDB_CHILD, str(db))
            s = child(SPARK_CHILD, str(lake), args.master)
            cells, bad = compare(db, lake)
            print(f"{size:>5} {communities:>11} {sum(exported.tables.values()):>10} {export_s:>9.1f} "
                  f"{d['seconds']:>9.1f} {d['peak_mb']:>6.0f} {s['seconds']:>8.1f} {s['peak_mb']:>6.0f} "
                  f"{cells:>7} {bad:>10}", flush=True)
        print("MB: the child's peak RSS. MB*: the Python driver's only; the JVM (spark.driver.memory 1g) is apart.")


if __name__ == "__main__":
    main()
