"""Reading the published forecast tables (pipelines/forecast/run.py) for the pages and the briefs: bound
parameters, the caller's scope in SQL, an empty frame from a snapshot built before forecasts existed."""
from __future__ import annotations

import pandas as pd

from pipelines.snapshot_reader import Scope, _frame, has_column


def _has(snap: str, table: str) -> bool:
    return has_column(snap, table, "community_id")


def point_outlook(snap: str, scope: Scope, community: str) -> pd.DataFrame:
    """Per point with a capacity × day of the 14 ahead: name, capacity, the expected peak stock (parcels) with
    its 80 % band, the expected ratio and the chance of going over capacity; with the arrivals forecast."""
    if not _has(snap, "forecast_capacity"):
        return pd.DataFrame(columns=["point_id", "name", "day", "capacity", "expected_peak", "lower_peak",
                                     "upper_peak", "expected_ratio", "chance_over", "arrived", "arrived_lower",
                                     "arrived_upper"])
    return _frame(snap, """
        SELECT c.point_id, coalesce(p.name, c.point_id) AS name, c.day, c.capacity, c.expected_peak, c.lower_peak,
               c.upper_peak, c.expected_ratio, c.chance_over, a.value AS arrived, a.lower AS arrived_lower,
               a.upper AS arrived_upper
        FROM forecast_capacity c
        LEFT JOIN stg_points p USING (community_id, point_id)
        LEFT JOIN forecast a ON a.community_id = c.community_id AND a.subject = c.point_id AND a.day = c.day
                            AND a.metric = 'parcels.arrived'
        WHERE c.community_id = ? AND list_contains(?, c.community_id)
        ORDER BY c.point_id, c.day""", [community, list(scope)])


def accuracy(snap: str, scope: Scope, community: str, horizons: str = "1-7") -> pd.DataFrame:
    """The backtest's summary per series of the community (forecast_accuracy) for one horizon group."""
    if not _has(snap, "forecast_accuracy"):
        return pd.DataFrame(columns=["subject", "metric", "origins", "mae_model", "mae_last_week", "mae_mean_4wk",
                                     "served"])
    return _frame(snap, """
        SELECT subject, metric, origins, mae_model, mae_last_week, mae_mean_4wk, festival_mae_model,
               festival_mae_last_week, festival_mae_mean_4wk, served
        FROM forecast_accuracy WHERE community_id = ? AND horizons = ? AND list_contains(?, community_id)
        ORDER BY metric, subject""", [community, horizons, list(scope)])


def community_forecast(snap: str, scope: Scope, community: str, metric: str) -> pd.DataFrame:
    """The community's own forecast of `metric` (subject ''), day by day."""
    if not _has(snap, "forecast"):
        return pd.DataFrame(columns=["day", "value", "lower", "upper"])
    return _frame(snap, """SELECT day, value, lower, upper FROM forecast
                           WHERE community_id = ? AND subject = '' AND metric = ? AND list_contains(?, community_id)
                           ORDER BY day""", [community, metric, list(scope)])
