"""Every metric of SPEC §5 on a small hand-worked fixture. Expected values are worked
out by hand in the comments next to them, not computed by the code under test."""
from __future__ import annotations

import pytest

from pipelines.metrics import METRICS
from tests.conftest import Kpi, build_store

COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
B,B社区,金桥街道,,26.58,106.72
"""
POINTS = """
point_id,community_id,name,kind,capacity
PA,A,东门驿站,station,4
PB,A,临时点,station,
PC,A,快递柜,locker,2
"""
BUILDINGS = """
building_id,community_id,name,households
B1,A,1栋,100
B2,A,2栋,100
"""
ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
O1,A,S1,group_buy,2025-06-02 10:00,100,1,paid
O2,A,S1,livestream,2025-06-08 23:59,50,1,refunded
O3,A,S2,group_buy,2025-06-09 00:00,30,1,paid
O4,A,S3,group_buy,2025-06-03 12:00,20,1,cancelled
O5,A,S3,group_buy,2025-06-10 09:00,40,2,paid
O6,A,S1,coop_store,2025-06-11 09:00,10,1,paid
O7,A,S4,other,2025-01-01 12:00,10,1,paid
O8,B,S9,group_buy,2025-06-04 08:00,5,1,paid
"""
PARCELS = """
parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at
K1,A,PA,中通,2025-06-02 10:00,2025-06-02 12:30
K2,A,PA,中通,2025-06-02 10:30,2025-06-05 10:30
K3,A,PA,圆通,2025-06-02 11:00,2025-06-05 12:00
K4,A,PA,圆通,2025-06-03 09:00,
K5,A,PB,韵达,2025-06-07 20:00,2025-06-09 08:00
K6,A,PA,韵达,2025-06-09 00:00,2025-06-09 00:00
K7,A,PA,顺丰,2025-06-10 10:00,
"""
COMPLAINTS = """
complaint_id,community_id,received_at,occurred_at,category,building_id,source,resolved_at
C1,A,2025-06-02 20:00,,livestream_noise,B1,wechat,2025-06-03 20:00
C2,A,2025-06-03 10:00,2025-06-03 08:59,livestream_noise,B1,hotline,
C3,A,2025-06-04 09:30,2025-06-04 09:00,livestream_noise,B2,wechat,2025-06-04 10:30
C4,A,2025-06-04 10:00,,parcel_pileup,,visit,2025-06-09 00:00
C5,A,2025-06-05 10:00,,other,,meeting,2025-06-05 12:00
C6,A,2025-06-09 21:00,,livestream_noise,B2,wechat,2025-06-10 09:00
C9,B,2025-06-04 22:00,,livestream_noise,,wechat,
"""
TRAINING = """
session_id,community_id,course_type,session_date,participant_id,age_band,attended
S1,A,silver_digital,2025-06-03,P1,60-69,是
S1,A,silver_digital,2025-06-03,P2,70+,否
S1,A,silver_digital,2025-06-03,P3,30-44,是
S2,A,ecommerce_skills,2025-06-05,P1,60-69,是
S2,A,ecommerce_skills,2025-06-05,P3,30-44,否
"""
JOBS = """
placement_id,community_id,person_id,employer_kind,role,employment_type,started_on,ended_on,monthly_income_yuan,via_training
J1,A,P1,seller,host,flexible,2025-06-02,2025-06-08,3000,是
J2,A,P2,coop,packing,part_time,2025-06-04,,2000,否
J3,A,P3,courier,delivery,full_time,2025-06-10,2025-06-30,,是
"""

W1, W2, JUNE = "2025-06-02", "2025-06-09", "2025-06-01"


@pytest.fixture(scope="module")
def kpi(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kpi")
    db = build_store(folder, {"communities": COMMUNITIES, "buildings": BUILDINGS, "points": POINTS,
                              "orders": ORDERS, "parcels": PARCELS, "complaints": COMPLAINTS,
                              "training": TRAINING, "jobs": JOBS})
    return Kpi(db)


def test_every_metric_has_a_row_for_every_period_of_the_range(kpi):
    # A runs from week 2024-12-30 (O7 on 2025-01-01) to week 2025-06-09: 24 weeks; Jan..Jun: 6 months
    a_rows = [k for k in kpi.values if k[0] == "A"]
    assert {k[3] for k in a_rows} == set(METRICS)     # exactly the registry's metrics
    assert len({k[2] for k in a_rows if k[1] == "week"}) == 24
    assert sorted({k[2] for k in a_rows if k[1] == "month"}) == [
        "2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"]
    assert len(a_rows) == (24 + 6) * len(METRICS)


def test_week_of_2024_12_30_is_iso_week_one_of_2025(kpi):
    assert kpi("A", "week", "2024-12-30", "orders.count") == 1
    assert ("A", "month", "2024-12-01", "orders.count") not in kpi.values


def test_empty_period_counts_zero_and_rates_null(kpi):
    assert kpi("A", "week", "2025-03-03", "orders.count") == 0
    assert kpi("A", "week", "2025-03-03", "orders.gmv_yuan") == 0
    assert kpi("A", "week", "2025-03-03", "orders.refund_rate") is None
    assert kpi("A", "week", "2025-03-03", "parcels.median_dwell_hours") is None
    assert kpi("A", "week", "2025-03-03", "training.attendance_rate") is None
    assert kpi("A", "week", "2025-03-03", "jobs.via_training_share") is None


@pytest.mark.parametrize("metric,w1,w2,june", [
    ("orders.count", 2, 3, 5),                 # O4 cancelled; Sunday 23:59 O2 in W1, Monday 00:00 O3 in W2
    ("orders.gmv_yuan", 100, 80, 180),         # paid only: W1 O1; W2 O3+O5+O6
    ("orders.refund_rate", 0.5, 0.0, 0.2),     # W1 1 refunded / (1 paid + 1 refunded)
    ("orders.active_sellers", 1, 3, 3),        # W1 S1 only (S3's order cancelled)
    ("orders.new_sellers", 1, 2, 3),           # S3's first non-cancelled order is in W2
])
def test_order_metrics(kpi, metric, w1, w2, june):
    assert kpi("A", "week", W1, metric) == pytest.approx(w1)
    assert kpi("A", "week", W2, metric) == pytest.approx(w2)
    assert kpi("A", "month", JUNE, metric) == pytest.approx(june)


@pytest.mark.parametrize("metric,w1,w2,june", [
    ("parcels.arrived", 5, 2, 7),
    ("parcels.picked_up", 3, 2, 5),
    ("parcels.median_dwell_hours", 72, 18, 36),   # W1 [2.5, 72, 73]; W2 [36, 0]; June all five
    ("parcels.overdue", 2, 0, 2),                 # K2 waited exactly 72 h: not overdue; K3 73 h; K4 never
    ("parcels.overdue_rate", 0.4, 0.0, 2 / 7),
    ("parcels.peak_occupancy_ratio", 0.75, 0.5, 0.75),   # PA holds 3 of 4 at 11:00 on 06-02
])
def test_parcel_metrics(kpi, metric, w1, w2, june):
    assert kpi("A", "week", W1, metric) == pytest.approx(w1)
    assert kpi("A", "week", W2, metric) == pytest.approx(w2)
    assert kpi("A", "month", JUNE, metric) == pytest.approx(june)


def test_peak_occupancy_is_zero_not_null_when_points_have_capacity_but_no_parcels(kpi):
    assert kpi("A", "week", "2025-03-03", "parcels.peak_occupancy_ratio") == 0


def test_peak_occupancy_is_null_where_no_point_has_a_capacity(kpi):
    assert kpi("B", "week", W1, "parcels.peak_occupancy_ratio") is None


@pytest.mark.parametrize("metric,w1,w2,june", [
    ("complaints.count", 5, 1, 6),
    ("complaints.noise", 3, 1, 4),
    ("complaints.noise_outside_hours", 2, 1, 3),      # 20:00 and 08:59 are outside, 09:00 inside
    ("complaints.noise_per_1k_households", 1.5, 0.5, 2.0),
    ("complaints.parcel_pileup", 1, 0, 1),
    ("complaints.median_resolution_hours", 2, 61, 12),  # W1 [24, 1, 2]; W2 [110, 12]; June [24,1,2,110,12]
    ("complaints.open_at_end", 2, 1, 1),              # C4 resolved at exactly 00:00 Monday is open at W1's end
    ("complaints.repeat_buildings", 1, 0, 2),
])
def test_complaint_metrics(kpi, metric, w1, w2, june):
    assert kpi("A", "week", W1, metric) == pytest.approx(w1)
    assert kpi("A", "week", W2, metric) == pytest.approx(w2)
    assert kpi("A", "month", JUNE, metric) == pytest.approx(june)


def test_noise_per_1k_households_is_null_without_households(kpi):
    assert kpi("B", "week", W1, "complaints.noise") == 1
    assert kpi("B", "week", W1, "complaints.noise_per_1k_households") is None


@pytest.mark.parametrize("metric,w1,june", [
    ("training.sessions", 2, 2),
    ("training.registrations", 5, 5),
    ("training.attended", 3, 3),
    ("training.attendance_rate", 0.6, 0.6),
    ("training.participants", 2, 2),          # P1 twice, P3 once
    ("training.elderly_participants", 1, 1),  # P2 (70+) did not attend
])
def test_training_metrics(kpi, metric, w1, june):
    assert kpi("A", "week", W1, metric) == pytest.approx(w1)
    assert kpi("A", "month", JUNE, metric) == pytest.approx(june)
    if metric != "training.attendance_rate":
        assert kpi("A", "week", W2, metric) == 0


@pytest.mark.parametrize("metric,w1,w2,june", [
    ("jobs.started", 2, 1, 3),
    ("jobs.active_at_end", 1, 2, 1),   # J1 ends on W1's last day; J3 ends on June's last day
    ("jobs.via_training_share", 0.5, 1.0, 2 / 3),
    ("jobs.median_monthly_income_yuan", 2500, None, 2500),
])
def test_job_metrics(kpi, metric, w1, w2, june):
    assert kpi("A", "week", W1, metric) == pytest.approx(w1)
    assert kpi("A", "week", W2, metric) == (pytest.approx(w2) if w2 is not None else None)
    assert kpi("A", "month", JUNE, metric) == pytest.approx(june)


def test_kpi_table_has_the_contract_schema(tmp_path):
    import duckdb
    db = build_store(tmp_path, {"orders": ORDERS})
    con = duckdb.connect(str(db), read_only=True)
    cols = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_name = 'kpi' ORDER BY ordinal_position").fetchall()
    assert cols == [("community_id", "VARCHAR"), ("grain", "VARCHAR"), ("period_start", "DATE"),
                    ("metric", "VARCHAR"), ("value", "DOUBLE")]


def test_community_rules_change_the_window_and_overdue_limit(tmp_path):
    from pipelines.build.runner import build
    from pipelines.ingest.store import set_rules
    db = build_store(tmp_path, {"parcels": PARCELS, "complaints": COMPLAINTS})
    set_rules(db, "A", "08:00", "21:00", 24)
    build(db)
    kpi = Kpi(db)
    assert kpi("A", "week", W1, "complaints.noise_outside_hours") == 0   # 20:00 and 08:59 now inside
    assert kpi("A", "week", W2, "complaints.noise_outside_hours") == 1   # 21:00 is at the window's end
    assert kpi("A", "week", W1, "parcels.overdue") == 4                   # K2, K3, K4 and K5 (36 h) > 24 h
