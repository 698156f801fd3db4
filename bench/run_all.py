"""Run every benchmark and print its figures (make bench)."""
import runpy
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
for script in ("import_speed.py", "pipeline.py", "pages.py"):
    print(f"\n== {script} ==", flush=True)
    sys.argv = [script]
    runpy.run_path(str(here / script), run_name="__main__")
