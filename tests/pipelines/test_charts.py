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
