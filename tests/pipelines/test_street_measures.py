"""mart_street_measures: the per-1,000-household counts and the rank 街道对比 sorts on, worked by hand.

Week 2025-06-02: A (2,000 households) has 2 non-cancelled orders (O1, O2; O4 is cancelled), C (0
households) has 3, D (households not given) has 1. Per 1,000 households: A 2 × 1000 ÷ 2000 = 1.0; C and D
have no households to divide by, so NULL (never ∞). Ranked on orders.count: C 3 (1), A 2 (2), D 1 (3); on
per1k.orders: A 1.0 (1), then C and D without a value, last (rank 2 each).
"""
from __future__ import annotations

import duckdb
import pytest

from tests.conftest import build_store

COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
C,C社区,金桥街道,0,26.59,106.73
D,D社区,花溪街道,,26.60,106.74
"""
ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
O1,A,S1,group_buy,2025-06-02 10:00,100,1,paid
O2,A,S1,livestream,2025-06-08 23:59,50,1,refunded
O4,A,S3,group_buy,2025-06-03 12:00,20,1,cancelled
O1,C,S1,group_buy,2025-06-02 10:00,10,1,paid
O2,C,S1,group_buy,2025-06-03 10:00,10,1,paid
O3,C,S2,group_buy,2025-06-04 10:00,10,1,paid
O1,D,S9,coop_store,2025-06-05 10:00,10,1,paid
"""


@pytest.fixture(scope="module")
def measures(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("street"), {"communities": COMMUNITIES, "orders": ORDERS})
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("""SELECT community_id, measure, value, street_rank FROM mart_street_measures
                          WHERE grain = 'week' AND period_start = DATE '2025-06-02'
                            AND measure IN ('orders.count', 'per1k.orders')""").fetchall()
    con.close()
    return {(c, m): (v, r) for c, m, v, r in rows}


def test_counts_per_thousand_households_are_null_without_households(measures):
    assert measures[("A", "per1k.orders")][0] == pytest.approx(1.0)
    assert measures[("C", "per1k.orders")][0] is None      # 0 households: no rate, never infinity
    assert measures[("D", "per1k.orders")][0] is None      # households not given


def test_every_kpi_metric_is_a_measure_with_its_value(measures):
    assert {c: measures[(c, "orders.count")][0] for c in "ACD"} == {"A": 2, "C": 3, "D": 1}


def test_the_rank_is_highest_first_and_puts_a_missing_value_last(measures):
    assert {c: measures[(c, "orders.count")][1] for c in "ACD"} == {"C": 1, "A": 2, "D": 3}
    assert {c: measures[(c, "per1k.orders")][1] for c in "ACD"} == {"A": 1, "C": 2, "D": 2}


def test_each_per_thousand_measure_is_in_the_mart_and_named_in_both_languages(measures):
    from pipelines.metrics import PER_1K_HOUSEHOLDS
    from pipelines.present.i18n import t
    assert ("A", "per1k.orders") in measures and PER_1K_HOUSEHOLDS["per1k.orders"] == "orders.count"
    for measure in PER_1K_HOUSEHOLDS:
        assert t(f"street.{measure}", "zh") and t(f"street.{measure}", "en")
