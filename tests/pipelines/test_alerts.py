"""Alerts from kpi values and the alert rules: thresholds and wording, without Streamlit."""
import datetime as dt
from dataclasses import replace

import pandas as pd

from pipelines.build import sqlgen
from pipelines.build.models import load_models
from pipelines.present.alerts import REPEAT_COMPLAINTS, Building, Context, Point, alerts, point_state, stale_feeds
from pipelines.present.charts import deck
from pipelines.records.alert_rules import DEFAULTS, AlertRule
from pipelines.records.rules import NOISE_OUTSIDE, PILEUP
from pipelines.rule_defaults import FULL_CAPACITY

RULES = {"window_start": dt.time(9), "window_end": dt.time(20), "overdue_hours": 72.0}
# The 双11 week of A社区 as the issue saw it: every point over capacity.
ALL_FULL = Context(points=(Point("A-P1", "东门快递驿站", 700, 1.133), Point("A-P2", "智能快递柜", 240, 1.688),
                           Point("A-P3", "大门口集中代收点", 1100, 1.342)))


def test_quiet_period_raises_nothing():
    now = {"complaints.noise_outside_hours": 0, "parcels.peak_occupancy_ratio": 0.5, "training.attendance_rate": 0.9,
           "complaints.open_at_end": 2, "parcels.overdue": 0, "parcels.overdue_rate": 0.0}
    assert alerts(now, {"complaints.open_at_end": 3}, RULES) == []


def test_every_full_point_is_named_and_the_advice_says_there_is_nowhere_to_move_parcels():
    found = alerts({"parcels.peak_occupancy_ratio": 1.688}, {}, RULES, "zh", ALL_FULL)
    assert [(a.level, a.subject) for a in found] == [("error", "A-P2"), ("error", "A-P3"), ("error", "A-P1")]
    assert found[0].text == ("智能快递柜峰值占用达到容量的 168.8%，超出容量。其他代收点也已满或接近满，无处可转："
                             "建议延长取件时间、临时增设存放点，并请快递公司错峰投递。")
    assert all("分流" not in a.text for a in found)


def test_a_full_point_is_advised_to_send_parcels_to_the_point_with_room():
    ctx = Context(points=(Point("P1", "东门驿站", 700, 0.55), Point("P2", "快递柜", 240, 1.2)))
    (a,) = alerts({"parcels.peak_occupancy_ratio": 1.2}, {}, RULES, "zh", ctx)
    # 700 × (1 − 0.55) = 315 parcels of room at the peak
    assert a.text == "快递柜峰值占用达到容量的 120.0%，超出容量。可先把新到的包裹分流到东门驿站（峰值 55.0%，高峰时还能放约 315 件）。"
    assert a.subject == "P2" and a.metric == "parcels.peak_occupancy_ratio"



def test_a_point_that_held_nothing_all_period_is_not_offered_as_room():
    # the gate point before it opened: listed with its capacity, but no parcel all period
    ctx = Context(points=(Point("P1", "东门驿站", 700, 0.55), Point("P2", "快递柜", 240, 1.2),
                          Point("P3", "大门口集中代收点", 1100, 0.0)))
    (a,) = alerts({"parcels.peak_occupancy_ratio": 1.2}, {}, RULES, "zh", ctx)
    assert "东门驿站（峰值 55.0%，高峰时还能放约 315 件）" in a.text and "大门口" not in a.text
    ctx = Context(points=(Point("P2", "快递柜", 240, 1.2), Point("P3", "大门口集中代收点", 1100, 0.0)))
    (a,) = alerts({"parcels.peak_occupancy_ratio": 1.2}, {}, RULES, "zh", ctx)
    assert "大门口" not in a.text and "分流" not in a.text

def test_near_capacity_warns_from_90_percent_per_point():
    ctx = Context(points=(Point("P1", "东门驿站", 100, 0.9), Point("P2", "快递柜", 100, 0.89)))
    (a,) = alerts({"parcels.peak_occupancy_ratio": 0.9}, {}, RULES, "en", ctx)
    assert (a.level, a.subject) == ("warning", "P1")
    assert a.text.startswith("东门驿站 peaked at 90.0% of its capacity: nearly full.")
    assert alerts({"parcels.peak_occupancy_ratio": 0.89}, {}, RULES) == []


def test_116_overdue_parcels_at_six_per_mille_fire_with_count_rate_and_points():
    ctx = Context(overdue_by_point=(("大门口集中代收点", 64), ("东门快递驿站", 31), ("智能快递柜", 21)))
    (a,) = alerts({"parcels.overdue": 116, "parcels.overdue_rate": 0.0062}, {}, RULES, "zh", ctx)
    assert a.text == "116 件包裹超过 72 小时未取（占到件 0.6%）。其中大门口集中代收点 64 件、东门快递驿站 31 件、智能快递柜 21 件。"
    assert alerts({"parcels.overdue": 19, "parcels.overdue_rate": 0.019}, {}, RULES) == []
    assert len(alerts({"parcels.overdue": 5, "parcels.overdue_rate": 0.05}, {}, RULES)) == 1   # the rate rule


def test_repeat_buildings_are_named_one_alert_each():
    ctx = Context(noise_buildings=(Building("B3", "3栋", 3), Building("B1", "1栋", 1), Building("B7", "B7", 2)))
    found = alerts({"complaints.repeat_buildings": 2}, {}, RULES, "zh", ctx)
    assert [(a.subject, a.text) for a in found] == [("B3", "3栋（B3）本期收到 3 次直播噪音投诉，建议入户沟通。"),
                                                    ("B7", "B7本期收到 2 次直播噪音投诉，建议入户沟通。")]
    # a name that already ends with the id (the demo's buildings: 9栋 named C社区9栋) is not followed by it again
    for name, said in (("C社区9栋", "C社区9栋"), ("C社区19栋", "C社区19栋（9栋）")):
        ctx = Context(noise_buildings=(Building("9栋", name, 2),))
        (a,) = alerts({"complaints.repeat_buildings": 1}, {}, RULES, "zh", ctx)
        assert a.text == f"{said}本期收到 2 次直播噪音投诉，建议入户沟通。"


def test_open_complaints_alert_only_when_rising():
    assert alerts({"complaints.open_at_end": 5}, {"complaints.open_at_end": 5}, RULES) == []
    (a,) = alerts({"complaints.open_at_end": 6}, {"complaints.open_at_end": 5}, RULES, "en")
    assert a.text == "Open complaints rose to 6 (previous period 5)."


def test_low_attendance_below_70_percent():
    assert alerts({"training.attendance_rate": 0.7}, {}, RULES) == []
    (a,) = alerts({"training.attendance_rate": 0.69}, {}, RULES)
    assert a.text == "培训出勤率只有 69.0%，低于 70.0%。"


def test_a_community_rule_changes_the_threshold_and_a_rule_on_any_metric_speaks_generically():
    rules = [r for r in DEFAULTS if r.rule_id != "low_attendance"] + [
        AlertRule("low_attendance", "training.attendance_rate", "below", 0.8, is_default=False),
        AlertRule("refunds", "orders.refund_rate", "rise", 0.01, "error", is_default=False)]
    found = alerts({"training.attendance_rate": 0.75, "orders.refund_rate": 0.05}, {"orders.refund_rate": 0.03},
                   RULES, "zh", alert_rules=rules)
    assert [a.text for a in found] == ["退款率从上期的 3.0% 升到 5.0%，升幅达到提醒阈值 1.0%。",
                                       "培训出勤率只有 75.0%，低于 80.0%。"]
    assert found[0].level == "error"


def test_a_rule_switched_off_says_nothing():
    rules = [AlertRule(r.rule_id, r.metric, r.condition, r.threshold, r.level, enabled=r.rule_id != "pileup")
             for r in DEFAULTS]
    assert alerts({"complaints.parcel_pileup": 3}, {}, RULES, alert_rules=rules) == []


def test_missing_values_raise_nothing():
    assert alerts({"training.attendance_rate": None, "parcels.peak_occupancy_ratio": float("nan")}, {}, RULES) == []


def test_a_week_whose_parcels_stop_three_days_early_is_stale_not_quiet():
    week, end = dt.date(2025, 11, 10), dt.date(2025, 11, 17)
    latest = {"parcels": dt.datetime(2025, 11, 13, 18, 0)}
    stale = stale_feeds("week", week, end, latest, dt.datetime(2025, 12, 1), 3)
    (a,) = alerts({}, {}, RULES, "zh", Context(stale=stale))
    assert a.text.startswith("快递数据只到2025年11月13日 18:00：本周最后几天没有任何包裹记录。")
    assert a.metric == "parcels"
    assert stale_feeds("week", week, end, {"parcels": dt.datetime(2025, 11, 14, 1)}, dt.datetime(2025, 12, 1), 3) == ()


def test_a_month_without_any_complaint_imported_says_so():
    stale = stale_feeds("month", dt.date(2025, 12, 1), dt.date(2026, 1, 1),
                        {"complaints": dt.datetime(2025, 11, 28, 9, 30)}, dt.datetime(2026, 1, 4), 3)
    assert [s.key for s in stale] == ["stale.complaints_month"]
    assert stale_feeds("month", dt.date(2025, 12, 1), dt.date(2026, 1, 1),
                       {"complaints": dt.datetime(2025, 12, 2)}, dt.datetime(2026, 1, 4), 3) == ()


def test_a_dissatisfied_feedback_round_is_an_alert_by_default():
    # the demo's round before the 09:00–20:00 rule: 26 of 57 households dissatisfied (45.6 %)
    (a,) = alerts({"feedback.dissatisfied_share": 26 / 57, "feedback.responses": 57}, {}, RULES, "zh",
                  None, list(DEFAULTS))
    assert a.text == ("噪音回访的 57 户中有 45.6% 不满意（提醒阈值 30.0%）：请在议事会上听取这些住户的意见，"
                      "核对 09:00–20:00 的直播时段是否落实。")
    assert (a.level, a.metric, a.rule_id) == ("warning", "feedback.dissatisfied_share", "dissatisfied")
    assert alerts({"feedback.dissatisfied_share": 0.16, "feedback.responses": 57}, {}, RULES, "zh",
                  None, list(DEFAULTS)) == []


def _with(rule_id: str, **changes) -> list[AlertRule]:
    return [replace(r, **changes, is_default=False) if r.rule_id == rule_id else r for r in DEFAULTS]


def test_a_points_state_uses_the_capacity_rules_its_alert_uses():
    # the defaults (near 0.9, over 1.0): as the weekly table always said
    assert [point_state(x) for x in (None, float("nan"), 0.0, 0.85, 0.9, 1.0, 1.01)] == \
        [None, None, "ok", "ok", "near", "near", "over"]
    assert point_state(0.85, DEFAULTS) == "ok"
    # a community that set its near-capacity rule to 0.8: 85 % is near in the table and raises the alert
    rules = _with("near_capacity", threshold=0.8)
    assert [point_state(x, rules) for x in (0.79, 0.8, 0.85, 1.2)] == ["ok", "near", "near", "over"]
    ctx = Context(points=(Point("P1", "东门驿站", 100, 0.85),))
    (a,) = alerts({"parcels.peak_occupancy_ratio": 0.85}, {}, RULES, "zh", ctx, rules)
    assert (a.rule_id, a.subject) == ("near_capacity", "P1")
    assert alerts({"parcels.peak_occupancy_ratio": 0.85}, {}, RULES, "zh", ctx, DEFAULTS) == []
    # near-capacity switched off: 95 % raises nothing and the table says 正常 too; above capacity stays "over"
    off = _with("near_capacity", enabled=False)
    assert point_state(0.95, off) == "ok"
    assert alerts({"parcels.peak_occupancy_ratio": 0.95}, {}, RULES, "zh",
                  Context(points=(Point("P1", "东门驿站", 100, 0.95),)), off) == []
    assert point_state(1.2, [replace(r, enabled=False) for r in DEFAULTS]) == "over"


def test_the_repeat_building_threshold_is_the_metrics_own(monkeypatch):
    """A repeat building in the alert and the follow-up list is what complaints.repeat_buildings counts:
    the model the build runs is filled from the constant the alert reads (pipelines/rule_defaults.py)."""
    (mart,) = [m for m in load_models() if m.name == "mart_complaints_period"]
    assert REPEAT_COMPLAINTS == 2
    assert "FROM mart_noise_buildings WHERE complaints >= 2 GROUP BY ALL" in mart.sql and "{{" not in mart.sql
    # the file holds the placeholder, not a number: another definition would reach the SQL too
    monkeypatch.setattr(sqlgen, "REPEAT_COMPLAINTS", 3)
    assert "WHERE complaints >= 3 GROUP BY ALL" in sqlgen.render(mart.path.read_text(encoding="utf-8"))
    monkeypatch.undo()
    ctx = Context(noise_buildings=(Building("B1", "1栋", 2), Building("B2", "2栋", 1)))
    found = alerts({"complaints.repeat_buildings": 1}, {}, RULES, "zh", ctx)
    assert [a.subject for a in found] == ["B1"]


def test_full_capacity_is_one_definition():
    """A point over capacity: its state in the tables, the over-capacity alert's default and its colour on the
    map all read pipelines/rule_defaults.py FULL_CAPACITY."""
    assert FULL_CAPACITY == 1.0
    assert {r.rule_id: r.threshold for r in DEFAULTS}["over_capacity"] == FULL_CAPACITY
    assert [point_state(x) for x in (FULL_CAPACITY, 1.01)] == ["near", "over"]
    points = pd.DataFrame({"point_id": ["P1", "P2"], "name": ["东门驿站", "快递柜"], "capacity": [100, 50],
                           "peak_ratio": [FULL_CAPACITY, 1.01], "lat": [31.0, 31.001], "lon": [121.0, 121.001]})
    buildings = pd.DataFrame({"building_id": ["B1"], "name": ["1栋"], "complaints": [0], "lat": [31.0], "lon": [121.0]})
    scatter = deck(buildings, points, "{name}", "{name}").layers[1]
    assert [row["color"][:3] for row in scatter.data] == [[47, 111, 159], [181, 72, 93]]   # blue at it, red above


def test_the_noise_and_pileup_defaults_are_the_rule_defaults():
    shipped = {r.rule_id: r.threshold for r in DEFAULTS}
    assert (shipped["noise_outside"], shipped["pileup"]) == (NOISE_OUTSIDE, PILEUP) == (1, 1)
