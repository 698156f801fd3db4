"""Run every benchmark and print its figures (make bench); exit 1 when any of them failed."""
import runpy
import sys
import tempfile
from pathlib import Path

here = Path(__file__).resolve().parent
failed = []
# Issue 17's figures: import rows/s and RSS, the increment at 13/26/52 weeks, the street build against both
# peers (median of 3), linli demo default and street (median of 3), how far one machine goes, the pages warm.
# The pages are timed on the street store peers.py made (the target is street scale), kept in a folder removed after.
work = tempfile.TemporaryDirectory(prefix="linli-bench-")
street = str(Path(work.name) / "street.duckdb")
RUNS = [("import_speed.py", "1000000,3000000", "3"), ("pipeline.py",), ("peers.py", "--street", "--runs", "3", "--db", street),
        ("demo.py", "--runs", "3"), ("scale.py",), ("pages.py", "--db", street)]
for script, *args in RUNS:
    print(f"\n== {script} {' '.join(args)} ==", flush=True)
    sys.argv = [script, *args]
    try:
        runpy.run_path(str(here / script), run_name="__main__")
    except SystemExit as stop:   # a script that ends by sys.exit() must not end the others
        if stop.code not in (None, 0):
            failed.append(script)
work.cleanup()
if failed:
    print(f"\nfailed: {', '.join(failed)}")
    sys.exit(1)
