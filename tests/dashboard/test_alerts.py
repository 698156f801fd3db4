"""Alerts from kpi values: thresholds and wording, without Streamlit."""
import datetime as dt

from dashboard.alerts import alerts

RULES = {"window_start": dt.time(9), "window_end": dt.time(20), "overdue_hours": 72.0}


def test_quiet_period_raises_nothing():
    now = {"complaints.noise_outside_hours": 0, "parcels.peak_occupancy_ratio": 0.5, "training.attendance_rate": 0.9,
           "complaints.open_at_end": 2, "parcels.overdue": 0, "parcels.overdue_rate": 0.0}
    assert alerts(now, {"complaints.open_at_end": 3}, RULES) == []


def test_over_capacity_names_the_point_and_is_an_error():
    (a,) = alerts({"parcels.peak_occupancy_ratio": 1.392}, {}, RULES, "zh", "东门快递驿站")
    assert a.level == "error" and a.text.startswith("东门快递驿站峰值占用达到容量的 139.2%")


def test_near_capacity_warns_from_90_percent():
    assert [a.level for a in alerts({"parcels.peak_occupancy_ratio": 0.9}, {}, RULES)] == ["warning"]
    assert alerts({"parcels.peak_occupancy_ratio": 0.89}, {}, RULES) == []


def test_open_complaints_alert_only_when_rising():
    assert alerts({"complaints.open_at_end": 5}, {"complaints.open_at_end": 5}, RULES) == []
    (a,) = alerts({"complaints.open_at_end": 6}, {"complaints.open_at_end": 5}, RULES, "en")
    assert a.text == "Open complaints rose to 6 (previous period 5)."


def test_low_attendance_below_70_percent():
    assert alerts({"training.attendance_rate": 0.7}, {}, RULES) == []
    assert len(alerts({"training.attendance_rate": 0.69}, {}, RULES)) == 1


def test_missing_values_raise_nothing():
    assert alerts({"training.attendance_rate": None, "parcels.peak_occupancy_ratio": float("nan")}, {}, RULES) == []
