"""The pandas peer: the 12 heavy metrics of SPEC §5 from in-memory frames, written the way a
typical Streamlit app computes them (groupby per period, merge onto the calendar).

It reads the same staging tables Linli's marts read, but recomputes every derived value
(dwell, waiting time, time of day, periods) from the raw timestamps, so that an agreement with
`kpi` is an agreement of two implementations, not of one copied twice.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

TABLES = ("stg_orders", "stg_parcels", "stg_complaints", "stg_points", "stg_communities",
          "community_rules_effective", "period_spine")
KEYS = ["community_id", "period_start"]
US_PER_HOUR = 3_600_000_000.0
GRAINS = ("week", "month")


def load(con) -> dict[str, pd.DataFrame]:
    return {t: con.execute(f"SELECT * FROM {t}").df() for t in TABLES}


def period(ts: pd.Series, grain: str) -> pd.Series:
    day = ts.dt.floor("D")
    if grain == "week":   # ISO weeks start on Monday (dayofweek 0)
        return day - pd.to_timedelta(ts.dt.day_of_week, unit="D")
    return day - pd.to_timedelta(ts.dt.day - 1, unit="D")


def hours(delta: pd.Series) -> pd.Series:
    # whole microseconds ÷ 3.6e9, as Linli's hours_between, so thresholds compare alike (NaT stays NaN)
    return (delta / pd.Timedelta(microseconds=1)) / US_PER_HOUR


def _orders(o: pd.DataFrame, grain: str) -> pd.DataFrame:
    o = o.assign(period_start=period(o.ordered_at, grain),
                 kept=o.status != "cancelled", paid=o.status == "paid", refunded=o.status == "refunded")
    o["paid_amount"] = o.amount_yuan.where(o.paid, 0.0)
    agg = o.groupby(KEYS).agg(count=("kept", "sum"), gmv_yuan=("paid_amount", "sum"),
                              paid=("paid", "sum"), refunded=("refunded", "sum"))
    sellers = o[o.kept].groupby(KEYS).seller_id.nunique().rename("active_sellers")
    agg = agg.join(sellers, how="left")
    decided = agg.paid + agg.refunded
    agg["refund_rate"] = (agg.refunded / decided).where(decided > 0)
    return agg[["count", "gmv_yuan", "refund_rate", "active_sellers"]].add_prefix("orders.")


def _parcel_flags(p: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    ends = p.groupby("community_id").agg(a=("arrived_at", "max"), b=("picked_up_at", "max"))
    data_end = ends.max(axis=1).rename("data_end")
    p = p.join(data_end, on="community_id").join(rules.set_index("community_id").overdue_hours, on="community_id")
    p["dwell"] = hours(p.picked_up_at - p.arrived_at)
    waited = p.dwell.fillna(hours(p.data_end - p.arrived_at))
    p["overdue"] = waited > p.overdue_hours
    return p


def _parcels(p: pd.DataFrame, grain: str) -> pd.DataFrame:
    arrivals = (p.assign(period_start=period(p.arrived_at, grain)).groupby(KEYS)
                .agg(arrived=("parcel_id", "size"), overdue=("overdue", "sum")))
    picked = p[p.picked_up_at.notna()]
    pickups = (picked.assign(period_start=period(picked.picked_up_at, grain)).groupby(KEYS)
               .agg(picked_up=("parcel_id", "size"), median_dwell_hours=("dwell", "median")))
    out = arrivals.join(pickups, how="outer")
    return out[["arrived", "picked_up", "median_dwell_hours", "overdue"]].add_prefix("parcels.")


def _ceil_hour(ts: pd.Series, first: pd.Series) -> pd.Series:
    # moves before the community's first hour land on it, as in int_point_hourly
    h = ts.dt.ceil("h")
    return h.where(h >= first, first)


def _hourly_stock(p: pd.DataFrame, points: pd.DataFrame, spine: pd.DataFrame) -> pd.DataFrame:
    """Parcels in stock at every full hour of the community's periods, per point with a capacity."""
    span = spine.groupby("community_id").agg(first=("period_start", "min"), last=("period_next", "max"))
    span["last"] = span["last"] - pd.Timedelta(hours=1)
    first = p.community_id.map(span["first"])
    arrive = pd.DataFrame({"community_id": p.community_id, "point_id": p.point_id,
                           "hour": _ceil_hour(p.arrived_at, first), "delta": 1})
    picked = p[p.picked_up_at.notna()]
    leave = pd.DataFrame({"community_id": picked.community_id, "point_id": picked.point_id,
                          "hour": _ceil_hour(picked.picked_up_at, first[picked.index]), "delta": -1})
    delta = pd.concat([arrive, leave]).groupby(["community_id", "point_id", "hour"]).delta.sum()
    frames = []
    for pt in points[points.capacity.notna()].itertuples():
        if pt.community_id not in span.index:
            continue
        s = span.loc[pt.community_id]
        grid = pd.date_range(s["first"], s["last"], freq="h")
        try:
            moves = delta.loc[(pt.community_id, pt.point_id)]
        except KeyError:
            moves = pd.Series(dtype="int64")
        stock = moves.reindex(grid, fill_value=0).cumsum()
        frames.append(pd.DataFrame({"community_id": pt.community_id, "point_id": pt.point_id,
                                    "hour": grid, "ratio": stock.to_numpy() / pt.capacity}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["community_id", "point_id", "hour", "ratio"])


def _occupancy(stock: pd.DataFrame, grain: str) -> pd.DataFrame:
    peak = stock.assign(period_start=period(stock.hour, grain)).groupby(KEYS).ratio.max()
    return peak.rename("parcels.peak_occupancy_ratio").to_frame()


def _micros_of_day(t) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _complaints(c: pd.DataFrame, rules: pd.DataFrame, grain: str) -> pd.DataFrame:
    r = rules.set_index("community_id")
    start = c.community_id.map(r.window_start.map(_micros_of_day))
    end = c.community_id.map(r.window_end.map(_micros_of_day))
    when = c.occurred_at.fillna(c.received_at)
    tod = (when - when.dt.floor("D")).astype("timedelta64[us]").astype("int64")
    inside = np.where(start <= end, (tod >= start) & (tod < end), (tod >= start) | (tod < end))
    noise = c.category == "livestream_noise"
    c = c.assign(period_start=period(c.received_at, grain), noise=noise, outside=noise & ~inside)
    agg = c.groupby(KEYS).agg(count=("complaint_id", "size"), noise=("noise", "sum"),
                              noise_outside_hours=("outside", "sum"))
    return agg.add_prefix("complaints.")


COUNTS = ("orders.count", "orders.gmv_yuan", "orders.active_sellers", "parcels.arrived", "parcels.picked_up",
          "parcels.overdue", "complaints.count", "complaints.noise", "complaints.noise_outside_hours")


def compute(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long frame: community_id, grain, period_start (datetime), metric, value (NaN = NULL)."""
    spine = f["period_spine"]
    rules = f["community_rules_effective"]
    parcels = _parcel_flags(f["stg_parcels"], rules)
    stock = _hourly_stock(parcels, f["stg_points"], spine)
    out = []
    for grain in GRAINS:
        cal = spine.loc[spine.grain == grain, KEYS].set_index(KEYS)
        wide = (cal.join(_orders(f["stg_orders"], grain), how="left")
                   .join(_parcels(parcels, grain), how="left")
                   .join(_occupancy(stock, grain), how="left")
                   .join(_complaints(f["stg_complaints"], rules, grain), how="left"))
        wide[list(COUNTS)] = wide[list(COUNTS)].fillna(0)
        long = wide.reset_index().melt(id_vars=KEYS, var_name="metric", value_name="value")
        out.append(long.assign(grain=grain))
    return pd.concat(out, ignore_index=True)


def cells(result: pd.DataFrame) -> dict[tuple, float | None]:
    values = result.value.astype("float64").to_numpy()
    return {(c, g, p.date(), m): (None if np.isnan(v) else float(v))
            for c, g, p, m, v in zip(result.community_id, result.grain, result.period_start, result.metric, values)}
