"""Run every benchmark and print its figures (make bench); exit 1 when any of them failed."""
import runpy
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = []
for script in ("import_speed.py", "pipeline.py", "peers.py", "scale.py", "pages.py"):
    print(f"\n== {script} ==", flush=True)
    sys.argv = [script]
    try:
        runpy.run_path(str(here / script), run_name="__main__")
    except SystemExit as stop:   # a script that ends by sys.exit() must not end the others
        if stop.code not in (None, 0):
            failed.append(script)
if failed:
    print(f"\nfailed: {', '.join(failed)}")
    sys.exit(1)
