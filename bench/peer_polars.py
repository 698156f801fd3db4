"""The polars peer: the same 12 metrics as bench/peer_pandas.py, as one lazy query plan over
in-memory frames, collected once (polars optimises and runs the branches in parallel).

Every derived value (dwell, waiting time, time of day, periods, hourly stock) is recomputed
from the raw timestamps, independently of Linli's SQL.
"""
from __future__ import annotations

import polars as pl

TABLES = ("stg_orders", "stg_parcels", "stg_complaints", "stg_points", "stg_communities",
          "community_rules_effective", "period_spine")
KEYS = ["community_id", "grain", "period_start"]
US_PER_HOUR = 3_600_000_000.0
COUNTS = ("orders.count", "orders.gmv_yuan", "orders.active_sellers", "parcels.arrived", "parcels.picked_up",
          "parcels.overdue", "complaints.count", "complaints.noise", "complaints.noise_outside_hours")


def load(con) -> dict[str, pl.DataFrame]:
    return {t: con.sql(f"SELECT * FROM {t}").pl() for t in TABLES}


def _by_grain(lf: pl.LazyFrame, ts: str) -> pl.LazyFrame:
    """Each row twice, once per grain, with the start of the period holding `ts` (weeks from Monday)."""
    week = lf.with_columns(grain=pl.lit("week"), period_start=pl.col(ts).dt.truncate("1w").cast(pl.Date))
    month = lf.with_columns(grain=pl.lit("month"), period_start=pl.col(ts).dt.month_start().cast(pl.Date))
    return pl.concat([week, month])


def _hours(delta: pl.Expr) -> pl.Expr:
    # whole microseconds ÷ 3.6e9, as Linli's hours_between, so thresholds compare alike
    return delta.dt.total_microseconds() / US_PER_HOUR


def _orders(o: pl.LazyFrame) -> pl.LazyFrame:
    kept = pl.col("status") != "cancelled"
    paid = pl.col("status") == "paid"
    refunded = (pl.col("status") == "refunded").sum()
    decided = paid.sum() + refunded
    return _by_grain(o, "ordered_at").group_by(KEYS).agg(
        kept.sum().alias("orders.count"),
        pl.col("amount_yuan").filter(paid).sum().cast(pl.Float64).alias("orders.gmv_yuan"),
        pl.when(decided > 0).then(refunded / decided).alias("orders.refund_rate"),
        pl.col("seller_id").filter(kept).n_unique().alias("orders.active_sellers"),
    )


def _flagged(p: pl.LazyFrame, rules: pl.LazyFrame) -> pl.LazyFrame:
    data_end = p.group_by("community_id").agg(
        pl.max_horizontal(pl.col("arrived_at").max(), pl.col("picked_up_at").max()).alias("data_end"))
    dwell = _hours(pl.col("picked_up_at") - pl.col("arrived_at"))
    waited = dwell.fill_null(_hours(pl.col("data_end") - pl.col("arrived_at")))
    return (p.join(data_end, on="community_id").join(rules.select("community_id", "overdue_hours"), on="community_id")
            .with_columns(dwell=dwell, overdue=waited > pl.col("overdue_hours")))


def _parcels(p: pl.LazyFrame) -> pl.LazyFrame:
    arrivals = _by_grain(p, "arrived_at").group_by(KEYS).agg(
        pl.len().alias("parcels.arrived"), pl.col("overdue").sum().alias("parcels.overdue"))
    pickups = _by_grain(p.filter(pl.col("picked_up_at").is_not_null()), "picked_up_at").group_by(KEYS).agg(
        pl.len().alias("parcels.picked_up"), pl.col("dwell").median().alias("parcels.median_dwell_hours"))
    return arrivals.join(pickups, on=KEYS, how="full", coalesce=True)


def _ceil_hour(ts: str) -> pl.Expr:
    h = pl.col(ts).dt.truncate("1h")
    up = pl.when(h == pl.col(ts)).then(h).otherwise(h + pl.duration(hours=1))
    # moves before the community's first hour land on it, as in int_point_hourly
    return pl.max_horizontal(up, pl.col("first"))


def _occupancy(p: pl.LazyFrame, points: pl.LazyFrame, spine: pl.LazyFrame) -> pl.LazyFrame:
    span = spine.group_by("community_id").agg(
        pl.col("period_start").min().cast(pl.Datetime("us")).alias("first"),
        (pl.col("period_next").max() - pl.duration(hours=1)).alias("last"))
    p = p.join(span, on="community_id")
    moves = pl.concat([
        p.select("community_id", "point_id", _ceil_hour("arrived_at").alias("hour"), pl.lit(1).alias("delta")),
        p.filter(pl.col("picked_up_at").is_not_null())
         .select("community_id", "point_id", _ceil_hour("picked_up_at").alias("hour"), pl.lit(-1).alias("delta")),
    ]).group_by("community_id", "point_id", "hour").agg(pl.col("delta").sum())
    grid = (span.with_columns(hour=pl.datetime_ranges("first", "last", "1h")).explode("hour")
            .join(points.filter(pl.col("capacity").is_not_null()).select("community_id", "point_id", "capacity"),
                  on="community_id")
            .select("community_id", "point_id", "capacity", "hour"))
    stock = (grid.join(moves, on=["community_id", "point_id", "hour"], how="left")
             .sort("community_id", "point_id", "hour")
             .with_columns(ratio=pl.col("delta").fill_null(0).cum_sum().over("community_id", "point_id")
                           / pl.col("capacity")))
    return _by_grain(stock, "hour").group_by(KEYS).agg(pl.col("ratio").max().alias("parcels.peak_occupancy_ratio"))


def _complaints(c: pl.LazyFrame, rules: pl.LazyFrame) -> pl.LazyFrame:
    when = pl.coalesce("occurred_at", "received_at")
    tod = (when - when.dt.truncate("1d")).dt.total_microseconds()
    start = pl.col("window_start").cast(pl.Int64) // 1000   # polars Time is nanoseconds since midnight
    end = pl.col("window_end").cast(pl.Int64) // 1000
    inside = (pl.when(start <= end).then((tod >= start) & (tod < end))
              .otherwise((tod >= start) | (tod < end)))
    noise = pl.col("category") == "livestream_noise"
    flagged = c.join(rules, on="community_id").with_columns(noise=noise, outside=noise & ~inside)
    return _by_grain(flagged, "received_at").group_by(KEYS).agg(
        pl.len().alias("complaints.count"), pl.col("noise").sum().alias("complaints.noise"),
        pl.col("outside").sum().alias("complaints.noise_outside_hours"))


def compute(f: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Long frame: community_id, grain, period_start (date), metric, value (null = NULL)."""
    lazy = {k: v.lazy() for k, v in f.items()}
    rules = lazy["community_rules_effective"]
    parcels = _flagged(lazy["stg_parcels"], rules)
    wide = lazy["period_spine"].select(KEYS)
    for part in (_orders(lazy["stg_orders"]), _parcels(parcels),
                 _occupancy(parcels, lazy["stg_points"], lazy["period_spine"]),
                 _complaints(lazy["stg_complaints"], rules)):
        wide = wide.join(part, on=KEYS, how="left")
    wide = wide.with_columns(pl.col(list(COUNTS)).cast(pl.Float64).fill_null(0))
    return (wide.with_columns(pl.exclude(KEYS).cast(pl.Float64))
            .unpivot(index=KEYS, variable_name="metric", value_name="value").collect())


def cells(result: pl.DataFrame) -> dict[tuple, float | None]:
    return {(c, g, p, m): v for c, g, p, m, v in result.select(*KEYS, "metric", "value").iter_rows()}
