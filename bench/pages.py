"""How long each dashboard page takes to render on the demo database (AppTest, no browser).

Prints, per page, the cold render (caches cleared) and the median of warm renders,
and both as a ratio to a baseline measured in the same run: a one-line Streamlit
app, i.e. the framework's own cost of a rerun.

    python bench/pages.py [--db data/linli.duckdb] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["overview", "orders", "parcels", "complaints", "training", "map", "weekly", "monthly", "street",
         "data_import", "glossary"]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def render(page: str) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    if page != "overview":
        at.switch_page(f"screens/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]


def baseline() -> None:
    AppTest.from_string("import streamlit as st\nst.title('x')").run()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=str(ROOT / "data" / "linli.duckdb"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    os.environ["LINLI_DB"] = str(Path(args.db).resolve())
    base = statistics.median(timed(baseline) for _ in range(args.runs))
    print(f"baseline (one-line app): {base * 1000:.0f} ms")
    print(f"{'page':<12} {'cold ms':>8} {'warm ms':>8} {'cold/base':>10} {'warm/base':>10}")
    for page in PAGES:
        st.cache_data.clear()
        st.cache_resource.clear()
        cold = timed(lambda: render(page))
        warm = statistics.median(timed(lambda: render(page)) for _ in range(args.runs))
        print(f"{page:<12} {cold * 1000:>8.0f} {warm * 1000:>8.0f} {cold / base:>10.1f} {warm / base:>10.1f}")


if __name__ == "__main__":
    main()
