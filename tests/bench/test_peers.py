"""The benchmark's pandas and polars peers on a hand-made store: each metric worked out by hand,
so that the peers' agreement with `kpi` in bench/peers.py means something."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import peer_pandas  # noqa: E402
import peer_polars  # noqa: E402
import peers  # noqa: E402
from scale import least_squares  # noqa: E402

STORE = """
CREATE TABLE stg_orders AS SELECT order_id, 'A' AS community_id, seller_id, status, ordered_at::TIMESTAMP AS ordered_at,
       amount::DECIMAL(18, 4) AS amount_yuan FROM (VALUES
    ('o1', 'S1', 'paid', '2025-06-02 10:00', 10.5), ('o2', 'S2', 'refunded', '2025-06-03 11:00', 20),
    ('o3', 'S3', 'cancelled', '2025-06-04 12:00', 30), ('o4', 'S1', 'paid', '2025-06-10 09:00', 5.25))
    v(order_id, seller_id, status, ordered_at, amount);
CREATE TABLE stg_parcels AS SELECT parcel_id, 'A' AS community_id, point_id, arrived_at::TIMESTAMP AS arrived_at,
       picked_up_at::TIMESTAMP AS picked_up_at FROM (VALUES
    ('p1', 'P1', '2025-06-02 08:30', '2025-06-02 10:00'), ('p2', 'P1', '2025-06-02 09:00', '2025-06-06 09:00'),
    ('p3', 'P1', '2025-06-10 12:00', NULL), ('p4', 'P2', '2025-06-09 07:00', '2025-06-13 08:00'))
    v(parcel_id, point_id, arrived_at, picked_up_at);
CREATE TABLE stg_complaints AS SELECT complaint_id, 'A' AS community_id, received_at::TIMESTAMP AS received_at,
       occurred_at::TIMESTAMP AS occurred_at, category FROM (VALUES
    ('c1', '2025-06-03 21:00', NULL, 'livestream_noise'), ('c2', '2025-06-04 10:00', '2025-06-03 20:00', 'livestream_noise'),
    ('c3', '2025-06-05 10:00', '2025-06-05 19:59', 'livestream_noise'), ('c4', '2025-06-11 09:00', '2025-06-11 23:00', 'parcel_pileup'))
    v(complaint_id, received_at, occurred_at, category);
CREATE TABLE stg_points AS SELECT 'A' AS community_id, point_id, capacity::BIGINT AS capacity
    FROM (VALUES ('P1', 10), ('P2', NULL)) v(point_id, capacity);
CREATE TABLE stg_communities AS SELECT 'A' AS community_id, 100::BIGINT AS households;
CREATE TABLE community_rules_effective AS SELECT 'A' AS community_id, TIME '09:00' AS window_start,
       TIME '20:00' AS window_end, 72.0::DOUBLE AS overdue_hours;
CREATE TABLE period_spine AS SELECT 'A' AS community_id, grain, period_start::DATE AS period_start,
       period_next::TIMESTAMP AS period_next FROM (VALUES
    ('week', '2025-06-02', '2025-06-09'), ('week', '2025-06-09', '2025-06-16'), ('month', '2025-06-01', '2025-07-01'))
    v(grain, period_start, period_next);
"""
W1, W2, M = ("A", "week", dt.date(2025, 6, 2)), ("A", "week", dt.date(2025, 6, 9)), ("A", "month", dt.date(2025, 6, 1))
# data end = the latest pickup, 06-13 08:00: p3 (06-10 12:00, still waiting) has waited 68 h, not overdue;
# P1's stock: p1 and p2 in at 06-02 09:00 (p1's 08:30 counts from the next full hour), p1 out at 10:00,
# p2 out 06-06 09:00, p3 in 06-10 12:00; P2 has no capacity and is left out of the ratio.
EXPECTED = {
    W1: {"orders.count": 2, "orders.gmv_yuan": 10.5, "orders.refund_rate": 0.5, "orders.active_sellers": 2,
         "parcels.arrived": 2, "parcels.picked_up": 2, "parcels.median_dwell_hours": (1.5 + 96) / 2,
         "parcels.overdue": 1, "parcels.peak_occupancy_ratio": 0.2,
         "complaints.count": 3, "complaints.noise": 3, "complaints.noise_outside_hours": 2},
    W2: {"orders.count": 1, "orders.gmv_yuan": 5.25, "orders.refund_rate": 0.0, "orders.active_sellers": 1,
         "parcels.arrived": 2, "parcels.picked_up": 1, "parcels.median_dwell_hours": 97.0,
         "parcels.overdue": 1, "parcels.peak_occupancy_ratio": 0.1,
         "complaints.count": 1, "complaints.noise": 0, "complaints.noise_outside_hours": 0},
    M: {"orders.count": 3, "orders.gmv_yuan": 15.75, "orders.refund_rate": 1 / 3, "orders.active_sellers": 2,
        "parcels.arrived": 4, "parcels.picked_up": 3, "parcels.median_dwell_hours": 96.0,
        "parcels.overdue": 2, "parcels.peak_occupancy_ratio": 0.2,
        "complaints.count": 4, "complaints.noise": 3, "complaints.noise_outside_hours": 2},
}


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute(STORE)
    yield c
    c.close()


@pytest.mark.parametrize("peer", [peer_pandas, peer_polars], ids=["pandas", "polars"])
def test_peer_gives_the_hand_computed_value_of_every_cell(con, peer):
    got = peer.cells(peer.compute(peer.load(con)))
    want = {(*period, metric): value for period, metrics in EXPECTED.items() for metric, value in metrics.items()}
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key


def test_compare_names_the_cell_that_differs_and_the_one_missing(con):
    rows = [(*period, metric, float(value)) for period, metrics in EXPECTED.items() for metric, value in metrics.items()]
    con.execute("CREATE OR REPLACE TABLE kpi (community_id VARCHAR, grain VARCHAR, period_start DATE, "
                "metric VARCHAR, value DOUBLE)")
    con.executemany("INSERT INTO kpi VALUES (?, ?, ?, ?, ?)", rows)
    cells = peer_polars.cells(peer_polars.compute(peer_polars.load(con)))
    assert peers.compare(con, cells) == (36, [])
    cells[(*W1, "orders.gmv_yuan")] = 10.5 * (1 + 1e-6)
    del cells[(*M, "complaints.noise")]
    n, bad = peers.compare(con, cells)
    assert n == 35
    assert len(bad) == 2
    assert "orders.gmv_yuan" in bad[0] and "kpi 10.5" in bad[0]
    assert "complaints.noise" in bad[1] and "the peer has no cell" in bad[1]


def test_null_equals_null_and_floats_match_to_1e9_relative():
    assert peers.same(None, None)
    assert not peers.same(None, 0.0)
    assert peers.same(1.0, 1.0 + 1e-10)
    assert not peers.same(1.0, 1.0 + 1e-8)


def test_least_squares_line_through_four_points():
    # mean x 1.5, mean y 2.5; Sxy = 6, Sxx = 5: slope 1.2, intercept 2.5 - 1.8
    intercept, slope = least_squares([0, 1, 2, 3], [1, 2, 2, 5])
    assert slope == pytest.approx(1.2)
    assert intercept == pytest.approx(0.7)
