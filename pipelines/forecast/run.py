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
import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.forecast import calendar
from pipelines.forecast.model import MIN_HISTORY, Model, Series, mean_last_four, same_weekday_last_week
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
# what the snapshot carries: the pages read the forecasts, their accuracy and the capacity alerts; the backtest's
# rows (one per origin × day ahead × series, 29 k at street scale) stay in the store, where the accuracy is made
# from them, and writing them into every snapshot took a third of its time
PUBLISHED = ("forecast", "forecast_accuracy", "forecast_capacity")
# per community, the signature of what its rows were made from besides its data (the code, its own events); the
# row '' holds the code's alone: not published, read by the next build to know which communities to redo
STATE = "forecast_state"


def _dense(df: pl.DataFrame, start: dt.date, end: dt.date) -> np.ndarray:
    n = (end - start).days + 1
    out = np.zeros(max(n, 0))
    index = (df["day"] - start).dt.total_days().to_numpy()
    keep = (index >= 0) & (index < n) & df["value"].is_not_null().to_numpy()
    out[index[keep]] = df["value"].to_numpy()[keep]
    return out


def load_series(con, until: dt.date | None = None,
                communities: list[str] | None = None) -> list[tuple[str, str, str, Series]]:
    """(community, subject, metric, series) for every series the data holds, each up to its feed's last day in
    the community (or `until`, to hide the days after it: bench/forecast.py); of `communities` only when given."""
    cut = until or dt.date(9999, 12, 31)
    # every query reads the communities asked for (all: NULL), as daily aggregates, never rows
    only = "(?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], community_id))"
    scope = [communities, communities]
    # one scan of each feed: per community and day (and point), all its rows; the data ends, starts and the
    # counts are taken from these
    parcels = frame(con, f"""SELECT community_id, point_id, arrived_at::DATE AS day, count(*)::DOUBLE AS value
                             FROM stg_parcels WHERE arrived_at::DATE <= ? AND {only} GROUP BY ALL""",
                    [cut, *scope])
    ends = dict(parcels.group_by("community_id").agg(pl.col("day").max()).iter_rows())
    complaints = frame(con, f"""SELECT community_id, received_at::DATE AS day,
                                       count(*) FILTER (WHERE category = 'livestream_noise')::DOUBLE AS value
                                FROM stg_complaints WHERE received_at IS NOT NULL AND {only} GROUP BY ALL""",
                       scope)
    starts = dict(complaints.group_by("community_id").agg(pl.col("day").min()).iter_rows())
    noise = complaints.filter(pl.col("day") <= cut)
    noise_ends = dict(noise.group_by("community_id", maintain_order=True).agg(pl.col("day").max()).iter_rows())
    out = []
    arrived = parcels.filter(pl.col("point_id").is_not_null())
    for (cid, pid), df in arrived.group_by(["community_id", "point_id"], maintain_order=True):
        start = df["day"].min()
        out.append((cid, pid, ARRIVED, Series(start, _dense(df, start, ends[cid]))))
    peaks = frame(con, f"""SELECT community_id, point_id, day, peak_ratio AS value FROM mart_point_daily
                            WHERE peak_in_stock > 0 AND day <= ? AND {only}""", [cut, *scope])
    for (cid, pid), df in peaks.group_by(["community_id", "point_id"], maintain_order=True):
        if cid in ends:
            start = df["day"].min()
            out.append((cid, pid, PEAK, Series(start, _dense(df, start, ends[cid]))))
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


def backtest(model: Model, origins: int = ORIGINS) -> dict[str, np.ndarray]:
    """Columns of one row per origin × day ahead (origin and day as indices into the series: `dates` turns them
    into days): the latest `origins` weekly origins whose 14 days ahead the data holds."""
    v = model.s.values
    last = v.size - 1 - HORIZON
    kept: list[int] = []
    for j in range(origins):     # the model and the 4-week mean both need MIN_HISTORY days, the other baseline 7
        o = last - 7 * j
        if o < 0 or o + 1 < max(MIN_HISTORY, 28):
            break
        kept.append(o)
    # the baselines at every origin at once: the same elementwise sums as model.py's functions of one origin
    at = np.array(kept, dtype=np.int64)[:, None]
    h = np.arange(1, HORIZON + 1)
    latest = at + h - 7 * ((h + 6) // 7)
    preds: dict[str, list[np.ndarray]] = {"model": model.predict_many(kept, HORIZON), "last_week": list(v[latest]),
                                          "mean_4wk": list((v[latest] + v[latest - 7] + v[latest - 14]
                                                            + v[latest - 21]) / 4)}
    origin = np.repeat(np.array(kept, dtype=np.int64), HORIZON)
    horizon = np.tile(np.arange(1, HORIZON + 1, dtype=np.int64), len(kept))
    day = origin + horizon
    return {"origin": origin, "horizon": horizon, "day": day, "actual": v[day].astype(float),
            **{m: (np.concatenate(preds[m]).astype(float) if kept else np.zeros(0)) for m in METHODS},
            "festival": model.festive[day]}


def dates(start: dt.date, index: np.ndarray) -> np.ndarray:
    return np.datetime64(start, "D") + index.astype("timedelta64[D]")


def _mae(bt: dict, method: str, keep: np.ndarray) -> float | None:
    return float(np.mean(np.abs(bt[method][keep] - bt["actual"][keep]))) if keep.any() else None


def accuracy(bt: dict) -> list[dict]:
    """Per horizon group, the three methods' MAE over all days and over festival days, and the method served:
    the model unless over all 14 days ahead it does not beat the better baseline."""
    h = bt["horizon"]
    groups = {"1-7": h <= 7, "8-14": h > 7, "all": np.ones(h.size, dtype=bool)}
    overall = {m: _mae(bt, m, groups["all"]) for m in METHODS}
    best_base = min(("last_week", "mean_4wk"), key=lambda m: overall[m])
    served = "model" if overall["model"] < overall[best_base] else best_base
    out = []
    for name, keep in groups.items():
        fest = keep & bt["festival"]
        out.append({"horizons": name, "origins": int(np.unique(bt["origin"][keep]).size), "days": int(keep.sum()),
                    **{f"mae_{m}": _mae(bt, m, keep) for m in METHODS},
                    **{f"festival_mae_{m}": _mae(bt, m, fest) for m in METHODS},
                    "festival_days": int(fest.sum()), "served": served})
    return out


def _errors(bt: dict, method: str, relative: bool) -> dict[str, np.ndarray]:
    out = {}
    for name, keep in (("1-7", bt["horizon"] <= 7), ("8-14", bt["horizon"] > 7)):
        actual, made = bt["actual"][keep], bt[method][keep]
        out[name] = actual[made > 0] / made[made > 0] if relative else actual - made
    return out


def forecast_series(model: Model, end: dt.date, bt: dict, served: str, relative: bool,
                    capacity_check: bool) -> list[dict]:
    """The 14 days after `end` (the community's data end), served by `served`, with the 80 % band of the backtest's
    errors of that method (10th to 90th percentile) and, for peak occupancy, the chance of going over capacity."""
    v = model.s.values
    o = v.size - 1
    skip = (end - model.s.day(o)).days      # this feed may stop before the community's data end
    preds = _predictions(model, v, o, skip + HORIZON)[served]
    if preds is None:
        return []
    errors = _errors(bt, served, relative)
    bands = {name: np.quantile(e, [0.1, 0.9]) for name, e in errors.items() if e.size >= 7}
    out = []
    for h in range(skip + 1, skip + HORIZON + 1):
        value = max(float(preds[h - 1]), 0.0)
        group = "1-7" if h - skip <= 7 else "8-14"
        e = errors[group]
        lower = upper = chance = None
        if group in bands:
            lo, hi = bands[group]
            lower, upper = (value * lo, value * hi) if relative else (max(value + lo, 0.0), max(value + hi, 0.0))
            if capacity_check:
                over = (value * e > FULL_CAPACITY) if relative else (value + e > FULL_CAPACITY)
                chance = float(over.mean())
        out.append({"day": model.s.day(o + h), "value": value, "lower": lower, "upper": upper, "chance": chance})
    return out


def compute(con, made_at: dt.datetime, until: dt.date | None = None, origins: int = ORIGINS,
            communities: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """The four tables as frames, from the built store behind `con` (staging and mart_point_daily); only the
    rows of `communities` when given (each community's rows depend on its own data and events alone)."""
    series = load_series(con, until, communities)
    data_end: dict[str, dt.date] = defaultdict(lambda: dt.date.min)
    for cid, _, _, s in series:
        data_end[cid] = max(data_end[cid], s.day(s.values.size - 1))
    festivals = calendar.festivals()
    capacity = dict(((c, p), cap) for c, p, cap in con.execute(
        "SELECT community_id, point_id, capacity FROM stg_points WHERE capacity IS NOT NULL")
        .fetchall())
    own_events = calendar.all_community_occurrences(con)
    occurrences: dict[str, list] = {}
    sources: dict[str, Model] = {}
    fc, bts, acc, cap = [], [], [], []
    changes: dict[str, tuple[dt.date, ...]] = {}
    for cid, subject, metric, s in series:
        if cid not in occurrences:
            occurrences[cid] = festivals + own_events.get(cid, [])
            points = [x[3] for x in series if x[0] == cid and x[2] == ARRIVED]
            total = _community_arrivals(points)
            sources[cid] = Model(total, occurrences[cid]) if total is not None else None
            # a point's first day of arrivals moves parcels between the points: their levels read from it afresh
            changes[cid] = tuple(sorted({p.start for p in points}))
        per_point = metric in (ARRIVED, PEAK)
        model = Model(s, occurrences[cid], sources[cid] if per_point else None, counts=metric != PEAK,
                      changes=changes[cid] if per_point else ())
        bt = backtest(model, origins)
        key = {"community_id": cid, "subject": subject, "metric": metric}
        n = bt["origin"].size
        if n:
            bts.append({**{k: [v] * n for k, v in key.items()}, "origin": dates(s.start, bt["origin"]),
                        "horizon": bt["horizon"], "day": dates(s.start, bt["day"]), "actual": bt["actual"],
                        **{m: bt[m] for m in METHODS}, "festival": bt["festival"]})
        summary = accuracy(bt) if n else []
        acc += [{**key, **a} for a in summary]
        served = summary[0]["served"] if summary else "model"
        ahead = forecast_series(model, data_end[cid], bt, served, RELATIVE[metric], metric == PEAK)
        fc += [{**key, "day": f["day"], "value": f["value"], "lower": f["lower"], "upper": f["upper"],
                "made_at": made_at} for f in ahead]
        if metric == PEAK and (cid, subject) in capacity:
            c = float(capacity[(cid, subject)])
            cap += [{"community_id": cid, "point_id": subject, "day": f["day"], "capacity": c,
                     "expected_peak": f["value"] * c, "lower_peak": None if f["lower"] is None else f["lower"] * c,
                     "upper_peak": None if f["upper"] is None else f["upper"] * c, "expected_ratio": f["value"],
                     "chance_over": f["chance"]} for f in ahead]
    backtest_frame = (pl.DataFrame({k: np.concatenate([np.asarray(b[k]) for b in bts]) for k in BACKTEST_SCHEMA})
                      .cast(BACKTEST_SCHEMA) if bts else pl.DataFrame(schema=BACKTEST_SCHEMA))
    return {"forecast": _frame(fc, FORECAST_SCHEMA), "forecast_backtest": backtest_frame,
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


def write(con, frames: dict[str, pl.DataFrame], communities: list[str] | None = None) -> None:
    """Replace the tables (`communities`: only those communities' rows, the frames holding exactly theirs)."""
    for name, df in frames.items():
        con.register("_forecast_frame", df.to_arrow())
        try:
            if communities is None:
                con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _forecast_frame")
            else:
                con.execute(f"DELETE FROM {name} WHERE list_contains(?, community_id)", [communities])
                con.execute(f"INSERT INTO {name} SELECT * FROM _forecast_frame")
        finally:
            con.unregister("_forecast_frame")


def _code() -> str:
    """The forecast's code and calendar: another version may make other rows from the same data."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in ("run.py", "model.py", "calendar.py", "festivals.csv"):
        h.update((here / name).read_bytes())
    return h.hexdigest()


def _signatures(con) -> dict[str, str]:
    """'' → the code's digest; each community with events of its own → the digest of the code and its events."""
    code = _code()
    out = {"": code}
    have = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'community_events'").fetchall()[0][0]
    if have:
        for cid, listed in con.execute("""SELECT community_id, string_agg(concat_ws('|', name, coalesce(kind, ''), starts_on,
                                                 ends_on), chr(10) ORDER BY name, kind, starts_on, ends_on)
                                          FROM community_events GROUP BY community_id""").fetchall():
            out[cid] = hashlib.sha256((code + "\n" + listed).encode()).hexdigest()
    return out


def run(con, only_missing: bool = False, changed: set[str] | None = None) -> bool:
    """The build's step: compute and replace the four tables inside the build's transaction; True when it
    wrote any row. `only_missing`: a build whose data changed nothing, which makes them where none are, where
    another version of this code made them, and for a community whose own events changed since (an event
    added by `linli events add` or the page takes effect at the next build, with no import in between).

    `changed`: the communities whose data an incremental build changed (pipelines/build/increment.py, table
    dirty). Only they, and those whose events changed, are computed again: a community's rows depend on its own
    data and events alone, so the others' would come out the same; every row then takes this build's made_at,
    as a full recompute would give it."""
    have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    signatures = _signatures(con)
    stored = (dict(con.execute(f"SELECT community_id, signature FROM {STATE}").fetchall())
              if STATE in have else {})
    if only_missing and set(TABLES) <= have and stored == signatures:
        return False
    changed = set() if only_missing else changed
    made_at = con.execute("SELECT localtimestamp").fetchall()[0][0]
    if changed is None or not set(TABLES) <= have or stored.get("") != signatures[""]:
        write(con, compute(con, made_at))
    else:
        redo = sorted(set(changed) | {c for c in set(signatures) | set(stored) if signatures.get(c) != stored.get(c)})
        if redo:
            write(con, compute(con, made_at, communities=redo), communities=redo)
        con.execute("UPDATE forecast SET made_at = ?", [made_at])
    con.execute(f"CREATE OR REPLACE TABLE {STATE} (community_id VARCHAR, signature VARCHAR)")
    con.executemany(f"INSERT INTO {STATE} VALUES (?, ?)", list(signatures.items()))
    return True
