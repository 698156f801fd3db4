"""The forecast model, its baselines and backtest on series made by hand (pipelines/forecast/), the tables' grain
after a build, and the alert's wording."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.forecast import calendar, run
from pipelines.forecast.calendar import Occurrence
from pipelines.forecast.model import Model, Series, mean_last_four, same_weekday_last_week
from pipelines.present import outlook

MONDAY = dt.date(2026, 1, 5)
PROFILE = np.array([1.0, 1.2, 1.4, 1.0, 0.8, 0.6, 1.0])   # Monday .. Sunday, mean 1


def weekly(level: float, weeks: int, start: dt.date = MONDAY) -> Series:
    days = np.arange(weeks * 7)
    return Series(start, level * PROFILE[days % 7])


def test_flat_series_with_a_weekday_profile_is_forecast_as_that_profile():
    s = weekly(100.0, 10)
    m = Model(s, [], counts=False)
    ahead = m.predict(s.values.size - 1, 14)
    # the data end on a Sunday: the next 14 days are two Monday..Sunday weeks of 100 × the profile
    assert ahead == pytest.approx(np.tile(100.0 * PROFILE, 2), rel=1e-9)


def test_a_points_level_is_read_afresh_a_week_after_another_point_opens():
    # 30 parcels a day for 60 days, then 10 a day: a gate point opened on day 60 and took two thirds of them.
    # At day 73 (14 days on) every weekday's 56-day window holds six 30s and two 10s: mean 25 each, a flat profile.
    # The 4-week level is (14 × 30 + 14 × 10) / 28 = 20; read from the opening only, 14 × 10 / 14 = 10.
    opened = MONDAY + dt.timedelta(days=60)
    s = Series(MONDAY, np.array([30.0] * 60 + [10.0] * 14))
    assert Model(s, []).predict(73, 7) == pytest.approx([20.0] * 7, rel=1e-9)
    moved = Model(s, [], changes=(MONDAY, opened))      # the series' own first day is no change
    assert moved.predict(73, 7) == pytest.approx([10.0] * 7, rel=1e-9)
    # under a week after the opening the level still reads 4 weeks (six days of 10 are too few to go on)
    assert moved.predict(65, 7) == pytest.approx(Model(s, []).predict(65, 7), rel=1e-12)
    # the backtest's many origins at once give what one origin gives, bit for bit, on both sides of the change
    origins = list(range(55, 74))
    for o, row in zip(origins, moved.predict_many(origins, 14)):
        assert np.array_equal(row, moved.predict(o, 14)), o


def test_a_count_series_profile_is_pulled_towards_flat_only_by_one_over_its_mean_days():
    s = weekly(100.0, 8)
    ahead = Model(s, [], counts=True).predict(s.values.size - 1, 7)
    # 8 weeks seen per weekday, a prior of 1/100 day: Tuesday (1.2) becomes (8·1.2 + 0.01)/(8.01), then the
    # seven are renormalised to mean 1 (their sum is unchanged: 7.0), so Tuesday's forecast is 100 × that
    assert ahead[1] == pytest.approx(100.0 * (8 * 1.2 + 0.01) / 8.01, rel=1e-9)


def test_a_festival_uplift_is_learned_from_the_same_festival_a_year_before():
    # 60 weeks of 100 a day (flat), a festival on days 3..5 of week 20 doubling the last two of its days;
    # a year (52 weeks) later the same festival: its days ahead are forecast doubled, the rest flat
    n = 60 * 7
    start = MONDAY
    values = np.full(n, 100.0)
    day = lambda i: start + dt.timedelta(days=i)   # noqa: E731
    fest1 = Occurrence("双11", "major_sale", day(20 * 7 + 3), day(20 * 7 + 5))
    for d in (4, 5):
        values[20 * 7 + d] = 200.0
    fest2 = Occurrence("双11", "major_sale", day(58 * 7 + 3), day(58 * 7 + 5))
    m = Model(Series(start, values), [fest1, fest2], counts=False)
    ahead = m.predict(58 * 7 - 1, 14)    # origin: the Sunday before the second festival's week
    # its days counted from its first (Thu, Fri, Sat: 0, 1, 2): 1, 2, 2; the tail (TAIL days after) learned as 1
    assert ahead[3:6] == pytest.approx([100.0, 200.0, 200.0])
    assert ahead[:3] == pytest.approx([100.0] * 3) and ahead[6:] == pytest.approx([100.0] * 8)


def test_a_first_festival_learns_from_the_other_of_its_kind_and_a_count_prior_of_ten():
    n = 30 * 7
    values = np.full(n, 100.0)
    f618 = Occurrence("618", "major_sale", MONDAY + dt.timedelta(days=7 * 7), MONDAY + dt.timedelta(days=7 * 7))
    values[7 * 7] = 290.0
    f11 = Occurrence("双11", "major_sale", MONDAY + dt.timedelta(days=28 * 7), MONDAY + dt.timedelta(days=28 * 7))
    m = Model(Series(MONDAY, values), [f618, f11], counts=True)
    ahead = m.predict(28 * 7 - 1, 7)
    # 618's one day: 290 against 100 expected; with the prior of 10 counts: (290 + 10) / (100 + 10)
    assert ahead[0] == pytest.approx(100.0 * 300 / 110)


def test_baselines_take_the_latest_observed_same_weekdays():
    v = np.arange(28, dtype=float)            # day i holds i
    lw = same_weekday_last_week(v, 27, 14)
    assert list(lw[:7]) == [21, 22, 23, 24, 25, 26, 27]
    assert list(lw[7:]) == [21, 22, 23, 24, 25, 26, 27]     # a week later: still the latest one seen
    m4 = mean_last_four(v, 27, 8)
    assert m4[0] == pytest.approx((21 + 14 + 7 + 0) / 4) and m4[7] == pytest.approx(m4[0])


def test_backtest_mae_on_a_tiny_series_by_hand():
    # 6 weeks, all 10 but the last week's Monday 24: one origin (day 27, 14 days before the end), 14 days ahead
    v = np.full(42, 10.0)
    v[35] = 24.0
    bt = run.backtest(Model(Series(MONDAY, v), [], counts=False), origins=8)
    assert set(bt["origin"]) == {27} and list(bt["horizon"]) == list(range(1, 15))   # earlier origins lack 28 days
    assert list(bt["actual"]) == [10.0] * 7 + [24.0] + [10.0] * 6 and list(bt["day"]) == list(range(28, 42))
    acc = {a["horizons"]: a for a in run.accuracy(bt)}
    # every method forecasts 10 everywhere; only day 35 (horizon 8) misses, by 14: MAE 0 on 1-7, 14/7 on 8-14
    assert acc["1-7"]["mae_model"] == 0 and acc["8-14"]["mae_last_week"] == pytest.approx(2.0)
    assert acc["all"]["mae_mean_4wk"] == pytest.approx(1.0) and acc["all"]["origins"] == 1
    # no method beats the better baseline: the model is served only when it does
    assert acc["all"]["served"] == "last_week"


def test_calendar_ships_every_festival_through_2030():
    names = {(o.name, o.starts_on.year) for o in calendar.festivals()}
    for year in range(2023, 2031):
        for name in ("618", "双11", "双12", "春节", "国庆"):
            assert (name, year) in names
    spring_2026 = next(o for o in calendar.festivals() if o.name == "春节" and o.starts_on.year == 2026)
    assert (spring_2026.starts_on, spring_2026.ends_on) == (dt.date(2026, 2, 15), dt.date(2026, 2, 23))


def outlook_frame(rows):
    return pd.DataFrame(rows, columns=["point_id", "name", "day", "capacity", "expected_peak", "lower_peak",
                                       "upper_peak", "expected_ratio", "chance_over", "arrived", "arrived_lower",
                                       "arrived_upper"])


def test_breach_alert_names_the_days_the_point_and_the_roomy_point():
    rows = []
    for d, ratio in ((10, 0.8), (11, 1.3), (12, 1.4), (13, 1.2), (14, 0.9)):
        day = dt.date(2026, 11, d)
        rows.append(("P1", "东门驿站", day, 100.0, ratio * 100, None, None, ratio, 0.7, 80.0, None, None))
        rows.append(("P2", "快递柜", day, 50.0, 25.0, None, None, 0.5, 0.0, 20.0, None, None))
    found = outlook.breach_alerts(outlook_frame(rows), "zh")
    assert [a.text for a in found] == [
        "预计11月11日–13日东门驿站超出容量约 40%（高峰时约 140 件，容量 100 件）。"
        "可先把新到的包裹分流到快递柜（峰值 50.0%，高峰时还能放约 25 件）。"]
    assert found[0].subject == "P1"
    assert outlook.day_range([dt.date(2026, 11, 30), dt.date(2026, 12, 2)]) == "11月30日–12月2日"


def test_accuracy_words():
    row = {"origins": 8, "metric": "parcels.arrived", "mae_model": 12.0, "mae_last_week": 18.4,
           "mae_mean_4wk": 20.0, "served": "model"}
    assert outlook.accuracy_words(row) == "过去 8 周，这个预测平均差 12 件，比“按上周同日”准 35%。"
    row = {**row, "mae_model": 25.0, "served": "last_week"}
    assert outlook.accuracy_words(row) == ("过去 8 周，预测模型（平均差 25 件）没有比“按上周同日”（平均差 18 件）"
                                           "更准，这里显示的就是“按上周同日”。")


def test_accuracy_words_of_a_ratio_have_no_space_between_words():
    row = {"origins": 12, "metric": "parcels.peak_occupancy_ratio", "mae_model": 0.099, "mae_last_week": 0.15,
           "mae_mean_4wk": 0.2, "served": "model"}
    # 1 − 0.099 / 0.15 = 34 %
    assert outlook.accuracy_words(row) == "过去 12 周，这个预测平均差容量的 9.9%，比“按上周同日”准 34%。"
    assert outlook.accuracy_words(row, "en") == ("Over the past 12 weeks this forecast was off by 9.9% of capacity on "
                                                 "average, 34% closer than 'same weekday last week'.")
