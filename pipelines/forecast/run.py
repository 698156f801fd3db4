"""The build's forecast step (SPEC §10): the next 14 days after each community's data end, and the rolling-origin
backtest that says how far to trust them; called by pipelines/build/runner.py after the SQL models (kpi).

Tables (all replaced whole at every build that changed anything; published in the snapshot):

- `forecast` — grain: community_id, subject, day, metric (SPEC §10; subject a point id, '' for the community);
- `forecast_backtest` — grain: community_id, subject, metric, origin, horizon: each origin (a day whose data and
  all before it the forecast was made from, weekly, the latest 14 days before the data end) and each day ahead
  1..14, the actual value, the model's and the two baselines' (same weekday last week; mean of the last four
  same weekdays), and whether a festival or a community event reached that day;
- `forecast_accuracy` — grain: community_id, subject, metric, horizons ('1-7', '8-14', 'all'): the backtest's
  mean absolute errors, over all its days and over festival days, and which of the three is served (`served`):
  a model that does not beat the better baseline over the backtest is served as that baseline;
- `forecast_capacity` — grain: community_id, point_id, day: a point's expected peak stock in parcels, its
  capacity and the chance of going over it (the share of the backtest's errors that would take the forecast
  over capacity).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import polars as pl

from pipelines.forecast import calendar
from pipelines.forecast.model import Model, Series, mean_last_four, same_weekday_last_week
from pipelines.ingest.store import frame
from pipelines.rule_defaults import FULL_CAPACITY

HORIZON = 14
ORIGINS = 26            # weekly origins of the backtest (SPEC: at least 8): half a year, so that it holds a festival
METHODS = ("model", "last_week", "mean_4wk")
ARRIVED, PEAK, NOISE = "parcels.arrived", "parcels.peak_occupancy_ratio", "complaints.noise"
# errors relative to the forecast for parcels (a festival's band widens with its level), absolute for noise
# complaints (counts of a few a day, often 0)
RELATIVE = {ARRIVED: True, PEAK: True, NOISE: False}
TABLES = ("forecast", "forecast_backtest", "forecast_accuracy", "forecast_capacity")


def _dense(df: pl.DataFrame, start: dt.date, end: dt.date) -> np.ndarray:
    n = (end - start).days + 1
    out = np.zeros(max(n, 0))
    for day, value in zip(df["day"], df["value"]):
        i = (day - start).days
        if 0 <= i < n and value is not None:
            out[i] = value
    return out


def load_series(con, until: dt.date | None = None) -> list[tuple[str, str, str, Series]]:
    """(community, subject, metric, series) for every series the data holds, each up to its feed's last day in
    the community (or `until`, to hide the days after it: bench/forecast.py)."""
    cut = until or dt.date(9999, 12, 31)
    ends = dict(con.execute("""SELECT community_id, max(arrived_at)::DATE FROM stg_parcels
                               WHERE arrived_at::DATE <= ? GROUP BY ALL""", [cut]).fetchall())
    noise_ends = dict(con.execute("""SELECT community_id, max(received_at)::DATE FROM stg_complaints
                                     WHERE received_at::DATE <= ? GROUP BY ALL""", [cut]).fetchall())
    out = []
    arrived = frame(con, """SELECT community_id, point_id, arrived_at::DATE AS day, count(*)::DOUBLE AS value
                             FROM stg_parcels WHERE point_id IS NOT NULL AND arrived_at::DATE <= ?
                             GROUP BY ALL""", [cut])
    for (cid, pid), df in arrived.group_by(["community_id", "point_id"], maintain_order=True):
        start = df["day"].min()
        out.append((cid, pid, ARRIVED, Series(start, _dense(df, start, ends[cid]))))
    peaks = frame(con, """SELECT community_id, point_id, day, peak_ratio AS value FROM mart_point_daily
                           WHERE peak_in_stock > 0 AND day <= ?""", [cut])
    for (cid, pid), df in peaks.group_by(["community_id", "point_id"], maintain_order=True):
        if cid in ends:
            start = df["day"].min()
            out.append((cid, pid, PEAK, Series(start, _dense(df, start, ends[cid]))))
    starts = dict(con.execute("SELECT community_id, min(received_at)::DATE FROM stg_complaints GROUP BY ALL")
                  .fetchall())
    noise = frame(con, """SELECT community_id, received_at::DATE AS day, count(*)::DOUBLE AS value
                           FROM stg_complaints WHERE category = 'livestream_noise' AND received_at::DATE <= ?
                           GROUP BY ALL""", [cut])
    for cid, end in noise_ends.items():
        df = noise.filter(pl.col("community_id") == cid)
        out.append((cid, "", NOISE, Series(starts[cid], _dense(df, starts[cid], end))))
    return [x for x in out if x[3].values.size > 0]


def _community_arrivals(points: list[Series]) -> Series | None:
    """The community's parcels per day, all points summed: what a point's festival uplift is learned from."""
    if not points:
        return None
    start = min(p.start for p in points)
    n = max((p.start - start).days + p.values.size for p in points)
    total = np.zeros(n)
    for p in points:
        i = (p.start - start).days
        total[i:i + p.values.size] += p.values
    return Series(start, total)


def _predictions(model: Model, values: np.ndarray, origin: int, horizon: int) -> dict[str, np.ndarray | None]:
    return {"model": model.predict(origin, horizon), "last_week": same_weekday_last_week(values, origin, horizon),
            "mean_4wk": mean_last_four(values, origin, horizon)}


def backtest(model: Model, origins: int = ORIGINS) -> list[dict]:
    """One row per origin × day ahead: the latest `origins` weekly origins whose 14 days ahead the data holds."""
    v = model.s.values
    last = v.size - 1 - HORIZON
    rows = []
    for j in range(origins):
        o = last - 7 * j
        preds = _predictions(model, v, o, HORIZON)
        if o < 0 or any(p is None for p in preds.values()):
            break
        for h in range(1, HORIZON + 1):
            i = o + h
            rows.append({"origin": model.s.day(o), "horizon": h, "day": model.s.day(i), "actual": float(v[i]),
                         **{m: float(preds[m][h - 1]) for m in METHODS}, "festival": bool(model.festive[i])})
    return rows


def _mae(rows: list[dict], method: str) -> float | None:
    return float(np.mean([abs(r[method] - r["actual"]) for r in rows])) if rows else None


def accuracy(rows: list[dict]) -> list[dict]:
    """Per horizon group, the three methods' MAE over all days and over festival days, and the method served:
    the model unless over all 14 days ahead it does not beat the better baseline."""
    groups = {"1-7": [r for r in rows if r["horizon"] <= 7], "8-14": [r for r in rows if r["horizon"] > 7],
              "all": rows}
    overall = {m: _mae(rows, m) for m in METHODS}
    best_base = min(("last_week", "mean_4wk"), key=lambda m: overall[m])
    served = "model" if overall["model"] < overall[best_base] else best_base
    out = []
    for name, g in groups.items():
        fest = [r for r in g if r["festival"]]
        out.append({"horizons": name, "origins": len({r["origin"] for r in g}), "days": len(g),
                    **{f"mae_{m}": _mae(g, m) for m in METHODS},
                    **{f"festival_mae_{m}": _mae(fest, m) for m in METHODS},
                    "festival_days": len(fest), "served": served})
    return out


def _errors(rows: list[dict], method: str, relative: bool) -> dict[str, np.ndarray]:
    out = {}
    for name, keep in (("1-7", lambda h: h <= 7), ("8-14", lambda h: h > 7)):
        g = [r for r in rows if keep(r["horizon"])]
        if relative:
            out[name] = np.array([r["actual"] / r[method] for r in g if r[method] > 0])
        else:
            out[name] = np.array([r["actual"] - r[method] for r in g])
    return out


def forecast_series(model: Model, end: dt.date, rows: list[dict], served: str, relative: bool,
                    capacity_check: bool) -> list[dict]:
    """The 14 days after `end` (the community's data end), served by `served`, with the 80 % band of the backtest's
    errors of that method (10th to 90th percentile) and, for peak occupancy, the chance of going over capacity."""
    v = model.s.values
    o = v.size - 1
    skip = (end - model.s.day(o)).days      # this feed may stop before the community's data end
    preds = _predictions(model, v, o, skip + HORIZON)[served]
    if preds is None:
        return []
    errors = _errors(rows, served, relative)
    out = []
    for h in range(skip + 1, skip + HORIZON + 1):
        value = max(float(preds[h - 1]), 0.0)
        e = errors["1-7" if h - skip <= 7 else "8-14"]
        lower = upper = chance = None
        if e.size >= 7:
            lo, hi = np.quantile(e, [0.1, 0.9])
            lower, upper = (value * lo, value * hi) if relative else (max(value + lo, 0.0), max(value + hi, 0.0))
            if capacity_check:
                over = (value * e > FULL_CAPACITY) if relative else (value + e > FULL_CAPACITY)
                chance = float(over.mean())
        out.append({"day": model.s.day(o + h), "value": value, "lower": lower, "upper": upper, "chance": chance})
    return out


def compute(con, made_at: dt.datetime, until: dt.date | None = None,
            origins: int = ORIGINS) -> dict[str, pl.DataFrame]:
    """The four tables as frames, from the built store behind `con` (staging and mart_point_daily)."""
    series = load_series(con, until)
    data_end: dict[str, dt.date] = defaultdict(lambda: dt.date.min)
    for cid, _, _, s in series:
        data_end[cid] = max(data_end[cid], s.day(s.values.size - 1))
    festivals = calendar.festivals()
    capacity = dict(((c, p), cap) for c, p, cap in con.execute(
        "SELECT community_id, point_id, capacity FROM stg_points WHERE capacity IS NOT NULL").fetchall())
    occurrences: dict[str, list] = {}
    sources: dict[str, Model] = {}
    fc, bt, acc, cap = [], [], [], []
    for cid, subject, metric, s in series:
        if cid not in occurrences:
            occurrences[cid] = festivals + calendar.community_occurrences(con, cid)
            total = _community_arrivals([x[3] for x in series if x[0] == cid and x[2] == ARRIVED])
            sources[cid] = Model(total, occurrences[cid]) if total is not None else None
        model = Model(s, occurrences[cid], sources[cid] if metric in (ARRIVED, PEAK) else None, counts=metric != PEAK)
        rows = backtest(model, origins)
        key = {"community_id": cid, "subject": subject, "metric": metric}
        bt += [{**key, **r} for r in rows]
        summary = accuracy(rows) if rows else []
        acc += [{**key, **a} for a in summary]
        served = summary[0]["served"] if summary else "model"
        ahead = forecast_series(model, data_end[cid], rows, served, RELATIVE[metric], metric == PEAK)
        fc += [{**key, "day": f["day"], "value": f["value"], "lower": f["lower"], "upper": f["upper"],
                "made_at": made_at} for f in ahead]
        if metric == PEAK and (cid, subject) in capacity:
            c = float(capacity[(cid, subject)])
            cap += [{"community_id": cid, "point_id": subject, "day": f["day"], "capacity": c,
                     "expected_peak": f["value"] * c, "lower_peak": None if f["lower"] is None else f["lower"] * c,
                     "upper_peak": None if f["upper"] is None else f["upper"] * c, "expected_ratio": f["value"],
                     "chance_over": f["chance"]} for f in ahead]
    return {"forecast": _frame(fc, FORECAST_SCHEMA), "forecast_backtest": _frame(bt, BACKTEST_SCHEMA),
            "forecast_accuracy": _frame(acc, ACCURACY_SCHEMA), "forecast_capacity": _frame(cap, CAPACITY_SCHEMA)}


FORECAST_SCHEMA = {"community_id": pl.Utf8, "subject": pl.Utf8, "day": pl.Date, "metric": pl.Utf8,
                   "value": pl.Float64, "lower": pl.Float64, "upper": pl.Float64, "made_at": pl.Datetime("us")}
BACKTEST_SCHEMA = {"community_id": pl.Utf8, "subject": pl.Utf8, "metric": pl.Utf8, "origin": pl.Date,
                   "horizon": pl.Int32, "day": pl.Date, "actual": pl.Float64, "model": pl.Float64,
                   "last_week": pl.Float64, "mean_4wk": pl.Float64, "festival": pl.Boolean}
ACCURACY_SCHEMA = {"community_id": pl.Utf8, "subject": pl.Utf8, "metric": pl.Utf8, "horizons": pl.Utf8,
                   "origins": pl.Int32, "days": pl.Int32, "mae_model": pl.Float64, "mae_last_week": pl.Float64,
                   "mae_mean_4wk": pl.Float64, "festival_mae_model": pl.Float64,
                   "festival_mae_last_week": pl.Float64, "festival_mae_mean_4wk": pl.Float64,
                   "festival_days": pl.Int32, "served": pl.Utf8}
CAPACITY_SCHEMA = {"community_id": pl.Utf8, "point_id": pl.Utf8, "day": pl.Date, "capacity": pl.Float64,
                   "expected_peak": pl.Float64, "lower_peak": pl.Float64, "upper_peak": pl.Float64,
                   "expected_ratio": pl.Float64, "chance_over": pl.Float64}


def _frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def write(con, frames: dict[str, pl.DataFrame]) -> None:
    for name, df in frames.items():
        con.register("_forecast_frame", df.to_arrow())
        try:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _forecast_frame")
        finally:
            con.unregister("_forecast_frame")


def run(con, only_missing: bool = False) -> None:
    """The build's step: compute and replace the four tables inside the build's transaction (`only_missing`:
    a build that changed nothing, which makes them only where an older version never did)."""
    have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    if only_missing and set(TABLES) <= have:
        return
    made_at = con.execute("SELECT localtimestamp").fetchall()[0][0]
    write(con, compute(con, made_at))
