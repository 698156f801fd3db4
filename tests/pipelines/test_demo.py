"""The demo is deterministic and carries the stories the dashboard must be able to show."""
from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pytest

from pipelines.demo.generate import run_demo, write_demo_files


def test_same_seed_writes_the_same_files(tmp_path):
    def digest(folder):
        files = write_demo_files(folder, communities=1, weeks=3, seed=3, end=dt.date(2026, 11, 29))
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files
                if not p.name.endswith(".xlsx")}   # xlsx zips carry a timestamp
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


@pytest.fixture(scope="module")
def demo_kpi(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "linli.duckdb"
    # the months below are those of 40 weeks ending on this Sunday (by default the demo ends last Sunday)
    run_demo(db, communities=1, weeks=40, seed=7, say=lambda _: None, end=dt.date(2025, 10, 12))
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("""SELECT period_start::VARCHAR, metric, value FROM kpi
                          WHERE community_id = 'A' AND grain = 'month'""").fetchall()
    con.close()
    return {(p, m): v for p, m, v in rows}


def _mean(kpi, metric, months):
    return sum(kpi[(f"2025-{m:02d}-01", metric)] for m in months) / len(months)


def test_late_night_noise_falls_after_the_livestream_rule(demo_kpi):
    before = _mean(demo_kpi, "complaints.noise_outside_hours", [1, 2, 3])
    after = _mean(demo_kpi, "complaints.noise_outside_hours", [5, 6, 7, 8])
    assert after < before / 3


def test_parcel_pileup_complaints_fall_after_the_gate_point_opens(demo_kpi):
    assert _mean(demo_kpi, "complaints.parcel_pileup", [8, 9]) < _mean(demo_kpi, "complaints.parcel_pileup", [4, 5, 6]) / 3


def test_618_lifts_orders(demo_kpi):
    assert demo_kpi[("2025-06-01", "orders.count")] > 1.15 * demo_kpi[("2025-05-01", "orders.count")]


def test_a_3000_household_community_has_hundreds_of_orders_and_over_a_thousand_parcels_a_day(demo_kpi):
    assert 200 <= demo_kpi[("2025-05-01", "orders.count")] / 31 <= 900
    assert demo_kpi[("2025-05-01", "parcels.arrived")] / 31 > 1000


def test_elderly_participation_rises(demo_kpi):
    assert _mean(demo_kpi, "training.elderly_participants", [8, 9]) > _mean(demo_kpi, "training.elderly_participants", [3, 4])


def test_training_cohorts_are_followed_by_placements_via_training(demo_kpi):
    via = [demo_kpi[(f"2025-{m:02d}-01", "jobs.via_training_share")] for m in range(4, 10)]
    assert any(v and v > 0.3 for v in via)


def test_the_monthly_feedback_round_hears_less_late_noise_after_the_rule(demo_kpi):
    # one round a month, every building asked: Jan–Mar before the 09:00–20:00 rule, May–Aug after
    assert all(demo_kpi[(f"2025-{m:02d}-01", "feedback.responses")] > 20 for m in range(1, 10))
    before = _mean(demo_kpi, "feedback.late_noise_share", [1, 2, 3])
    after = _mean(demo_kpi, "feedback.late_noise_share", [5, 6, 7, 8])
    assert after < before / 2
    assert _mean(demo_kpi, "feedback.dissatisfied_share", [5, 6, 7, 8]) < \
        _mean(demo_kpi, "feedback.dissatisfied_share", [1, 2, 3]) / 2
