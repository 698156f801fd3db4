"""Completeness per feed (SPEC §6) on a hand-worked store: the `coverage` table and its readers.

The weeks: W1 Mon 2 – Sun 8 June 2025, W2 9 – 15 June, W3 16 – 22 June. Each file's import time is set
by hand (the store stamps the clock; these are the times a director would have imported them).

A, orders: O1 Tue 3 June, O2 Sun 8 June 10:00, O3 Thu 12 June 09:00; imported Fri 13 June 08:00.
   W1: data reaches Sunday 8 June: complete. W2: data to 12 June, imported before W2 ended: not complete.
A, parcels: K1 arrived 3 June; K2 arrived Sun 15 June 10:00, picked up Mon 16 June 09:00; imported 16 June
   10:00. W1, W2 complete by data (an event on W2's Sunday); W3 runs to 16 June: not complete.
A, training: sessions Wed 4 June and Wed 11 June (no event on a Sunday); imported Mon 16 June 08:00, after
   W2 ended: W1 and W2 complete by the import, W3 not. A second file (a session on 18 June) imported
   23 June is undone: it counts for nothing.
B, orders: O4 Tue 10 June in the same first file (imported 13 June: W2 not complete), then a correction
   file with B's row only imported Fri 20 June, after W2 ended: B's W2 complete. A has no row in that
   file, so A's W2 stays incomplete (the evidence is per community).
A and B never import complaints, jobs or feedback: not in use, complete for no period.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines import snapshot_reader as sr
from pipelines.build.runner import build, current_snapshot
from pipelines.ingest.store import import_file, undo
from tests.conftest import write

D = dt.date
W1, W2, W3 = D(2025, 6, 2), D(2025, 6, 9), D(2025, 6, 16)
COMMUNITIES = """
community_id,name,street,households
A,A社区,金桥街道,1000
B,B社区,金桥街道,1000
"""
POINTS = """
point_id,community_id,name,kind,capacity
P1,A,东门驿站,station,10
"""
ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
O1,A,S1,group_buy,2025-06-03 10:00,100,1,paid
O2,A,S1,group_buy,2025-06-08 10:00,50,1,paid
O3,A,S2,group_buy,2025-06-12 09:00,30,1,paid
O4,B,S3,group_buy,2025-06-10 10:00,20,1,paid
"""
ORDERS_B = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
O4,B,S3,group_buy,2025-06-10 10:00,25,1,paid
"""
PARCELS = """
parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at
K1,A,P1,中通,2025-06-03 09:00,2025-06-03 18:00
K2,A,P1,中通,2025-06-15 10:00,2025-06-16 09:00
"""
TRAINING = """
session_id,community_id,course_type,session_date,participant_id,age_band,attended
T1,A,silver_digital,2025-06-04,P1,70+,是
T2,A,silver_digital,2025-06-11,P1,70+,是
"""
TRAINING_LATER = """
session_id,community_id,course_type,session_date,participant_id,age_band,attended
T3,A,silver_digital,2025-06-18,P1,70+,是
"""


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coverage")
    db = folder / "t.duckdb"
    stamps = {}
    for name, kind, text, at in [("communities", "communities", COMMUNITIES, "2025-06-01 09:00"),
                                 ("points", "points", POINTS, "2025-06-01 09:00"),
                                 ("orders", "orders", ORDERS, "2025-06-13 08:00"),
                                 ("parcels", "parcels", PARCELS, "2025-06-16 10:00"),
                                 ("training", "training", TRAINING, "2025-06-16 08:00"),
                                 ("orders_b", "orders", ORDERS_B, "2025-06-20 08:00"),
                                 ("training_later", "training", TRAINING_LATER, "2025-06-23 08:00")]:
        report = import_file(db, kind, write(folder / f"{name}.csv", text))
        stamps[report.import_id] = at
    undo(db, max(stamps))   # the later training file
    con = duckdb.connect(str(db))
    for import_id, at in stamps.items():
        con.execute("UPDATE imports SET imported_at = ?::TIMESTAMP WHERE import_id = ?", [at, import_id])
    con.close()
    build(db, full=True)
    return str(current_snapshot(db))


def _cell(cov, community, feed, start):
    row = cov[(cov["community_id"] == community) & (cov["feed"] == feed) & (cov["period_start"] == start)]
    assert len(row) == 1
    return row.iloc[0]


def test_each_feed_is_complete_where_its_data_reaches_the_last_day_or_a_later_file_brought_it(snap):
    cov = sr.coverage(snap, ("A", "B"), "week")
    complete = {(c, f, p): bool(x) for c, f, p, x in zip(cov["community_id"], cov["feed"], cov["period_start"],
                                                         cov["complete"])}
    assert {f: [complete[("A", f, w)] for w in (W1, W2, W3)] for f in ("orders", "parcels", "training")} == {
        "orders": [True, False, False],
        "parcels": [True, True, False],
        "training": [True, True, False],
    }
    assert complete[("B", "orders", W2)] is True          # the correction file of 20 June carried B's row
    # B's weeks are W2 only (its one event); A's W1..W3
    assert sorted({p for c, _, p in complete if c == "B"}) == [W2]
    assert sorted({p for c, _, p in complete if c == "A"}) == [W1, W2, W3]
    for feed in ("complaints", "jobs", "feedback"):
        row = _cell(cov, "A", feed, W1)
        assert (bool(row["in_use"]), bool(row["complete"]), pd_missing(row["data_end"])) == (False, False, True)


def pd_missing(x) -> bool:
    import pandas as pd
    return pd.isna(x)


def test_the_date_each_feed_runs_to_and_its_last_file(snap):
    cov = sr.coverage(snap, ("A", "B"), "week")
    assert _cell(cov, "A", "orders", W2)["data_end"].to_pydatetime() == dt.datetime(2025, 6, 12, 9, 0)
    assert _cell(cov, "A", "parcels", W3)["data_end"].to_pydatetime() == dt.datetime(2025, 6, 16, 9, 0)
    assert _cell(cov, "A", "training", W3)["data_end"].to_pydatetime() == dt.datetime(2025, 6, 11)
    # the undone file of 23 June is no evidence: the last training file is the one of 16 June
    assert _cell(cov, "A", "training", W3)["last_import"].to_pydatetime() == dt.datetime(2025, 6, 16, 8, 0)
    assert _cell(cov, "A", "orders", W1)["last_import"].to_pydatetime() == dt.datetime(2025, 6, 13, 8, 0)
    assert _cell(cov, "B", "orders", W2)["last_import"].to_pydatetime() == dt.datetime(2025, 6, 20, 8, 0)
    assert _cell(cov, "A", "orders", W3)["period_next"] == D(2025, 6, 23)


def test_a_period_is_complete_when_every_feed_in_use_is_and_names_those_behind(snap):
    pc = sr.period_coverage(snap, ("A", "B"), "week")
    got = {(c, p): (bool(done), behind) for c, p, done, behind in
           zip(pc["community_id"], pc["period_start"], pc["complete"], pc["behind"])}
    assert got == {
        ("A", W1): (True, []),
        ("A", W2): (False, [("orders", dt.datetime(2025, 6, 12, 9, 0))]),
        ("A", W3): (False, [("orders", dt.datetime(2025, 6, 12, 9, 0)), ("parcels", dt.datetime(2025, 6, 16, 9, 0)),
                            ("training", dt.datetime(2025, 6, 11))]),
        ("B", W2): (True, []),
    }


def test_the_latest_complete_period_per_community_and_for_several(snap):
    assert sr.latest_complete_periods(snap, ("A", "B"), "week") == {"A": W1, "B": W2}
    # W2 is held by A (incomplete) and B (complete): not complete for both; W1, held by A alone, is
    assert sr.latest_complete_period(snap, ("A", "B"), "week") == W1
    assert sr.latest_complete_period(snap, ("B",), "week") == W2
    # June: A's orders reach 12 June and were imported on 13 June, before June ended
    assert sr.latest_complete_periods(snap, ("A",), "month") == {"A": None}


def test_scope_limits_what_is_read(snap):
    assert set(sr.coverage(snap, ("B",), "week")["community_id"]) == {"B"}
    assert sr.coverage(snap, (), "week").empty
    assert set(sr.coverage(snap, ("A", "B"), "week", "B")["community_id"]) == {"B"}
    assert list(sr.period_coverage(snap, ("A", "B"), "week", "A")["period_start"]) == [W1, W2, W3]
