"""How long each dashboard page takes to render on the demo database (AppTest, no browser).

Prints, per page of dashboard/screens, the cold render (caches cleared) and the median of warm renders, each
the page alone (opened directly, as a deep link does), against the target of 300 ms warm at street scale
(`--db` a street store: bench/peers.py --street --db PATH keeps one), and both as a ratio to a baseline measured
in the same run: a one-line Streamlit app, i.e. the framework's own cost of a rerun.

    python bench/pages.py [--db data/linli.duckdb] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
import logging  # noqa: E402

import streamlit as st  # noqa: E402
from streamlit.components.v2 import manifest_scanner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

# A new AppTest scans every installed package for Streamlit components (0.1–0.2 s), which a server does once at its
# start, not per page view: scanned once here too, so that a render is what a viewer waits for.
_found = manifest_scanner.scan_component_manifests()
manifest_scanner.scan_component_manifests = lambda max_workers=None: list(_found)

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.stem for p in (ROOT / "dashboard" / "screens").glob("*.py") if p.stem != "__init__")
TARGET_WARM_MS = 300


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def render(page: str) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.query_params["lang"] = "zh"
    at.switch_page(f"screens/{page}.py")   # the page alone: no render of the default page before it
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def baseline() -> None:
    AppTest.from_string("import streamlit as st\nst.title('x')").run()


def main() -> None:
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("streamlit")]:
        logging.getLogger(name).setLevel(logging.ERROR)   # AppTest's bare-mode warnings, one per render
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=str(ROOT / "data" / "linli.duckdb"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    os.environ["LINLI_DB"] = str(Path(args.db).resolve())
    base = statistics.median(timed(baseline) for _ in range(args.runs))
    print(f"baseline (one-line app): {base * 1000:.0f} ms")
    print(f"{'page':<12} {'cold ms':>8} {'warm ms':>8} {'cold/base':>10} {'warm/base':>10}")
    slow = []
    for page in PAGES:
        st.cache_data.clear()
        st.cache_resource.clear()
        cold = timed(lambda: render(page))
        warm = statistics.median(timed(lambda: render(page)) for _ in range(args.runs))
        print(f"{page:<12} {cold * 1000:>8.0f} {warm * 1000:>8.0f} {cold / base:>10.1f} {warm / base:>10.1f}")
        if warm * 1000 > TARGET_WARM_MS:
            slow.append(page)
    print(f"warm ≤ {TARGET_WARM_MS} ms: " + ("every page" if not slow else "not " + ", ".join(slow)))


if __name__ == "__main__":
    main()
