"""The one pass over the parcels (sql/intermediate/int_parcels.sql): each parcel's derived values, worked
out by hand on three parcels, and kept right by an incremental build when the data end moves."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.build.runner import build
from pipelines.ingest.store import import_file
from tests.conftest import build_store, write

D, T = dt.date, dt.datetime
FEEDS = {
    "communities": "community_id,name,households\nA,A社区,200\n",
    "points": "point_id,community_id,capacity\nP1,A,5\n",
    # K1: picked up the next day; K2: never picked up; K3: arrives on a Sunday, picked up in the next week.
    # The latest time, K3's pickup on 06-09 00:10, is A's data end.
    "parcels": """parcel_id,community_id,point_id,arrived_at,picked_up_at
K1,A,P1,2025-06-02 08:00,2025-06-03 09:30
K2,A,P1,2025-05-30 12:15,
K3,A,P1,2025-06-08 23:30,2025-06-09 00:10
""",
}
COLUMNS = ("parcel_id, dwell_hours, waited_hours, still_waiting, is_overdue, arrived_week, arrived_month, "
           "picked_up_week, picked_up_month, in_hour, out_hour")


def _rows(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture()
def store(tmp_path):
    return build_store(tmp_path, FEEDS)


def test_each_parcels_values_worked_out_once(store):
    got = {r[0]: r[1:] for r in _rows(store, f"SELECT {COLUMNS} FROM int_parcels")}
    assert got["K1"] == (25.5, 25.5, False, False, D(2025, 6, 2), D(2025, 6, 1), D(2025, 6, 2), D(2025, 6, 1),
                         T(2025, 6, 2, 8), T(2025, 6, 3, 10))         # arrived on the hour: in stock from then
    # K2 has waited from 05-30 12:15 to the data end, 06-09 00:10: 9 days 11 h 55 min, past the 72 h limit
    assert got["K2"][:2] == (None, pytest.approx(227 + 55 / 60))
    assert got["K2"][2:] == (True, True, D(2025, 5, 26), D(2025, 5, 1), None, None, T(2025, 5, 30, 13), None)
    assert got["K3"][:2] == (pytest.approx(40 / 60), pytest.approx(40 / 60))
    assert got["K3"][2:] == (False, False, D(2025, 6, 2), D(2025, 6, 1), D(2025, 6, 9), D(2025, 6, 1),
                             T(2025, 6, 9), T(2025, 6, 9, 1))
    # the same hours as numbers, counted from 1900-01-01 00:00 (int_point_hourly groups and joins by them)
    hours = {r[0]: r[1:] for r in _rows(store, "SELECT parcel_id, in_hour_number, out_hour_number FROM int_parcels")}
    since_1900 = lambda t: (t - T(1900, 1, 1)) // dt.timedelta(hours=1)  # noqa: E731
    assert hours == {"K1": (since_1900(T(2025, 6, 2, 8)), since_1900(T(2025, 6, 3, 10))),
                     "K2": (since_1900(T(2025, 5, 30, 13)), None),
                     "K3": (since_1900(T(2025, 6, 9)), since_1900(T(2025, 6, 9, 1)))}
    assert since_1900(T(2025, 6, 2, 8)) == (125 * 365 + 31 + 152) * 24 + 8 == 1099400   # 31 leap days, 1904–2024
    # the marts count from these columns: K3 arrives in the week of 06-02 and is picked up in the next
    assert _rows(store, "SELECT period_start, arrived, picked_up, overdue FROM mart_parcels_period "
                        "WHERE grain = 'week' ORDER BY 1") == [(D(2025, 5, 26), 1, 0, 1), (D(2025, 6, 2), 2, 1, 0),
                                                               (D(2025, 6, 9), 0, 1, 0)]
    # P1's hourly stock: K2 from 05-30 13:00 on, K1 06-02 08:00–09:59, K3 06-09 00:00–00:59. A period's peak hour
    # is the first full hour it was reached: June reaches 2 on 06-02 08:00 and again on 06-09 00:00
    assert _rows(store, "SELECT grain, period_start, peak_in_stock, peak_hour FROM mart_point_peak ORDER BY 1, 2") == [
        ("month", D(2025, 5, 1), 1, T(2025, 5, 30, 13)), ("month", D(2025, 6, 1), 2, T(2025, 6, 2, 8)),
        ("week", D(2025, 5, 26), 1, T(2025, 5, 30, 13)), ("week", D(2025, 6, 2), 2, T(2025, 6, 2, 8)),
        ("week", D(2025, 6, 9), 2, T(2025, 6, 9))]


def test_an_increment_moves_the_wait_of_a_parcel_that_arrived_before_it(store, tmp_path):
    """K4 moves the data end to 06-20 11:00. K2 arrived before the recomputed range (from 06-01) but is
    still waiting: its row is replaced too, as a full build computes it (it was left at 227.9 h)."""
    import_file(store, "parcels", write(tmp_path / "k4.csv", "parcel_id,community_id,point_id,arrived_at,"
                                        "picked_up_at\nK4,A,P1,2025-06-20 10:00,2025-06-20 11:00\n"))
    assert build(store).mode == "incremental"
    waited = 21 * 24 - 1.25     # 05-30 12:15 to 06-20 11:00
    assert _rows(store, "SELECT waited_hours FROM int_parcels WHERE parcel_id = 'K2'") == [(pytest.approx(waited),)]
    assert _rows(store, "SELECT parcel_id, waited_hours FROM mart_overdue_parcels") == [("K2", 502.8)]
    assert _rows(store, "SELECT count(*) FROM int_parcels") == [(4,)]
