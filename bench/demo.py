"""`linli demo`'s own time: default (4 communities × 52 weeks) and street (12 × 52), split into its steps.

Each run is `run_demo` into a new store in a fresh child process (as `linli demo` runs), timed by the
moments it reports: the files written, the last file imported, then the records (window rules,
stories) and the build. Also the child's CPU seconds (user + system: what a loaded machine does not
inflate much) and its peak RSS (VmHWM, as bench/peers.py reads it). Targets (issue 17): ≤ 30 s
default, ≤ 60 s street.

    python bench/demo.py [--sizes 4,12] [--weeks 52] [--runs 1]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import datetime as dt, json, os, sys, time
from pathlib import Path
from pipelines.demo.generate import run_demo
marks = []
def say(text):
    marks.append((time.perf_counter(), text))
t0 = time.perf_counter()
run_demo(Path(sys.argv[1]), communities=int(sys.argv[2]), weeks=int(sys.argv[3]), seed=7, say=say,
         end=dt.date(2026, 11, 29))
end = time.perf_counter()
written = marks[0][0]
imported = [t for t, text in marks if "导入" in text and "编号" in text]
cpu = os.times()
hwm = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")]
print(json.dumps({"total": end - t0, "write": written - t0, "import": (imported[-1] if imported else written) - written,
                  "records_and_build": end - (imported[-1] if imported else written),
                  "files": sum(1 for _ in (Path(sys.argv[1]).parent / "demo").iterdir()),
                  "cpu": cpu.user + cpu.system, "rss_mb": int(hwm[0].split()[1]) / 1024 if hwm else None}))
"""


def run(communities: int, weeks: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="linli-demo-") as tmp:
        done = subprocess.run([sys.executable, "-c", CHILD, str(Path(tmp) / "linli.duckdb"), str(communities),
                               str(weeks)], capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"demo failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4,12", help="communities per run, e.g. 4,12")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--runs", type=int, default=1, help="runs per size (the median is reported)")
    args = ap.parse_args(argv)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    print(f"linli demo, {args.weeks} weeks, seed 7, median of {args.runs}; load average {' '.join(load)} at the start")
    print(f"{'communities':>11} {'total s':>8} {'write s':>8} {'import s':>9} {'records+build s':>16} {'CPU s':>7} "
          f"{'peak MB':>8}  runs (s)")
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        runs = [run(n, args.weeks) for _ in range(args.runs)]
        mid = sorted(runs, key=lambda r: r["total"])[len(runs) // 2]
        print(f"{n:>11} {statistics.median(r['total'] for r in runs):>8.1f} {mid['write']:>8.1f} {mid['import']:>9.1f} "
              f"{mid['records_and_build']:>16.1f} {mid['cpu']:>7.1f} {mid['rss_mb']:>8.0f}  "
              + " ".join(f"{r['total']:.1f}" for r in runs), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
