"""The forecast's done-when (issue 19), on a built store: prints figures, asserts nothing.

    .venv/bin/python bench/forecast.py DB [--hide 14]

1. The backtest (as the build stores it): mean absolute error of parcels per point per day, model against the
   two baselines, horizons 1–7 and 8–14, over all days and over festival days (a festival or its tail).
2. The data's last `--hide` days hidden: the forecast made from the days before, against what those days held
   at each point with a capacity (peak occupancy over 100 %), and how many days ahead each breach was forecast.
3. The forecast step's time on this store (median of 3), wall and CPU seconds (this process, DuckDB's threads
   included: on a shared machine CPU moves far less with the load), for every community (a full build) and for
   one (what an incremental build that changed one community recomputes: pipelines/forecast/run.py `run`).

For the 双11 breach, build a demo that ends after it: `linli --db /tmp/nov.duckdb demo --end 2026-11-22`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402

from pipelines.forecast import run  # noqa: E402
from pipelines.present.outlook import breach_alerts  # noqa: E402


def backtest_table(frames: dict) -> pl.DataFrame:
    b = frames["forecast_backtest"].filter(pl.col("metric") == "parcels.arrived").with_columns(
        pl.when(pl.col("horizon") <= 7).then(pl.lit("1-7")).otherwise(pl.lit("8-14")).alias("horizons"))
    rows = []
    for days, sub in (("all days", b), ("festival days", b.filter(pl.col("festival"))),
                      ("other days", b.filter(~pl.col("festival")))):
        for h in ("1-7", "8-14"):
            g = sub.filter(pl.col("horizons") == h)
            mae = {m: (g[m] - g["actual"]).abs().mean() for m in run.METHODS}
            best = min(mae["last_week"], mae["mean_4wk"])
            rows.append({"days": days, "horizons": h, "n": g.height, "origins": g["origin"].n_unique(),
                         "mae_model": round(mae["model"], 1), "mae_last_week": round(mae["last_week"], 1),
                         "mae_mean_4wk": round(mae["mean_4wk"], 1),
                         "model_vs_better_baseline": f"{(1 - mae['model'] / best) * 100:+.0f}%"})
    return pl.DataFrame(rows)


def hidden(con, hide: int) -> None:
    end = con.execute("SELECT max(arrived_at)::DATE FROM stg_parcels").fetchall()[0][0]
    cut = end - dt.timedelta(days=hide)
    frames = run.compute(con, dt.datetime.now(), until=cut)
    cap = frames["forecast_capacity"]
    actual = pl.from_arrow(con.sql(
        """SELECT d.community_id, d.point_id, d.day, d.peak_ratio AS actual_ratio FROM mart_point_daily d
           WHERE d.day > ? AND d.day <= ?""", params=[cut, end]).to_arrow_table())
    keys = ["community_id", "point_id", "day"]
    both = cap.join(actual, on=keys, how="left").sort(keys)
    print(f"\n== data to {cut} (the last {hide} days, to {end}, hidden): points' days over capacity ==")
    shown = both.filter((pl.col("actual_ratio") > 1) | (pl.col("expected_ratio") > 1))
    with pl.Config(tbl_rows=80, tbl_cols=12, tbl_width_chars=200):
        print(shown.select("community_id", "point_id", "day", "capacity", pl.col("actual_ratio").round(2),
                           pl.col("expected_ratio").round(2), (pl.col("lower_peak") / pl.col("capacity")).round(2)
                           .alias("band_low"), (pl.col("upper_peak") / pl.col("capacity")).round(2).alias("band_high"),
                           pl.col("chance_over").round(2)))
    breached = both.filter(pl.col("actual_ratio") > 1)
    caught = breached.filter(pl.col("expected_ratio") > 1)
    print(f"breach days (actual > 100 %): {breached.height}; forecast over capacity on {caught.height} of them; "
          f"forecast over capacity on days that stayed within it: "
          f"{both.filter((pl.col('expected_ratio') > 1) & (pl.col('actual_ratio') <= 1)).height}")
    for r in caught.iter_rows(named=True):
        print(f"  {r['community_id']} {r['point_id']} {r['day']}: forecast {(r['day'] - cut).days} days ahead "
              f"(expected {r['expected_ratio']:.0%}, actual {r['actual_ratio']:.0%})")
    names = dict(con.execute("SELECT point_id, name FROM stg_points").fetchall())
    for cid in sorted(set(cap["community_id"])):
        sub = cap.filter(pl.col("community_id") == cid).to_pandas()
        sub["name"] = [names.get(p, p) for p in sub["point_id"]]
        for a in breach_alerts(sub, "zh"):
            print(f"  alert {cid}: {a.text}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--hide", type=int, default=14)
    args = ap.parse_args()
    con = duckdb.connect(args.db, read_only=True)
    frames = None
    one = con.execute("SELECT min(community_id) FROM stg_parcels").fetchall()[0][0]
    for label, communities in (("every community", None), (f"one community ({one})", [one])):
        times, cpus = [], []
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            made = run.compute(con, dt.datetime.now(), communities=communities)
            times.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        frames = frames or made
        print(f"forecast step, {label} (compute, without writing): median {statistics.median(times):.2f} s, "
              f"{statistics.median(cpus):.2f} CPU s of 3 ({', '.join(f'{x:.2f}' for x in times)} s); series: "
              f"{made['forecast_accuracy']['subject'].len() // 3}")
    print("\n== backtest, parcels per point per day (all points pooled) ==")
    with pl.Config(tbl_rows=20, tbl_cols=12, tbl_width_chars=200):
        print(backtest_table(frames))
    hidden(con, args.hide)


if __name__ == "__main__":
    main()
