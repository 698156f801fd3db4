"""Charts a reader can read (issue 16, smaller items): one unit per axis, and a capacity marker that is
drawn whole."""
from __future__ import annotations

import pandas as pd

from pipelines.present import charts


def test_this_month_against_last_puts_each_measure_on_its_own_scale_with_its_value_written():
    df = pd.DataFrame({"metric": ["出席人数", "出席人数", "时段外噪音投诉", "时段外噪音投诉"],
                       "group": ["本月", "上月", "本月", "上月"], "value": [90.0, 78.0, 1.0, 3.0]})
    spec = charts.grouped_bars(df, "metric", "value", "group", "指标", "数值", "类别", ["本月", "上月"]).to_dict()
    # one panel per measure, each with its own x scale: 90 people and 1 complaint never share an axis
    assert spec["facet"]["row"]["field"] == "metric"
    assert spec["resolve"]["scale"]["x"] == "independent"
    marks = [layer["mark"]["type"] for layer in spec["spec"]["layer"]]
    assert marks == ["bar", "text"]   # the value at each bar's end, so no axis has to be read
    assert spec["spec"]["layer"][1]["encoding"]["text"]["field"] == "value"


def test_the_capacity_marker_of_the_largest_point_lies_inside_the_axis():
    df = pd.DataFrame({"name": ["大门口集中代收点", "东门驿站"], "peak": [640.0, 300.0], "capacity": [1100.0, 400.0]})
    spec = charts.capacity_bars(df, "name", "peak", "capacity", "代收点", "峰值在库", "容量").to_dict()
    for layer in spec["layer"]:
        domain = layer["encoding"]["x"]["scale"]["domain"]
        assert domain[0] == 0 and domain[1] > 1100, domain   # the 1,100 tick was cut at the axis' end


def test_the_days_of_a_week_get_one_tick_a_day_and_a_quarter_is_left_to_the_chart():
    """Left to itself, Vega ticks a week every 12 hours and writes each date twice (11/30, 11/30, 12/01, …)."""
    week = pd.DataFrame({"day": pd.date_range("2026-11-30", periods=7), "v": range(7), "point": ["东门"] * 7})
    axis = charts.lines(week, "day", "v", "point", "日期", "占用率", "代收点").to_dict()["encoding"]["x"]["axis"]
    assert axis == {"format": "%m/%d", "tickCount": {"interval": "day", "step": 1}}
    quarter = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=90), "v": range(90), "point": ["东门"] * 90})
    axis = charts.lines(quarter, "day", "v", "point", "日期", "占用率", "代收点").to_dict()["encoding"]["x"]["axis"]
    assert axis == {"format": "%m/%d"}


def test_the_next_two_weeks_write_their_days_as_the_other_charts_do():
    from pipelines.present import outlook
    days = pd.date_range("2026-12-07", periods=14)
    df = pd.DataFrame({"day": days, "name": ["东门驿站"] * 14, "expected_ratio": [0.5] * 14,
                       "lower_peak": [40.0] * 14, "upper_peak": [60.0] * 14, "capacity": [100.0] * 14})
    spec = outlook.band_chart(df, "日期", "预计占用", "代收点", "80% 区间（占容量）").to_dict()
    for layer in spec["layer"][:2]:    # the band and the line (12-07 before: the only chart not writing 12/07)
        assert layer["encoding"]["x"]["axis"] == {"format": "%m/%d", "tickCount": {"interval": "day", "step": 1}}
    # the band's tooltip names its fields in words and its range as shares (it showed "low 0.15626264634")
    tips = [(tip["field"], tip["title"]) for tip in spec["layer"][0]["encoding"]["tooltip"]]
    assert tips == [("day", "日期"), ("point", "代收点"), ("band", "80% 区间（占容量）")]
    rows = [row for data in spec["datasets"].values() for row in data if "band" in row]
    assert {row["band"] for row in rows} == {"40%–60%"}
