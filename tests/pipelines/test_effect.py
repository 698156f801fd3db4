"""The effect of an agreement (pipelines/records/effect.py) on hand-worked weekly series.

Before (4 weeks) 10, 12, 11, 13: mean 11.5; week-to-week differences 2, −1, 2 (mean 1, squared
deviations 1 + 4 + 1 = 6, sample variance 6 / 2 = 3), s = √3; one week's spread s/√2 = √1.5.
With 4 weeks after: threshold = 2 × √1.5 × √(1/4 + 1/4) = 2 × √0.75 = √3 ≈ 1.7321.
"""
from __future__ import annotations

import datetime as dt
import math

import pytest

from pipelines.records.effect import effect

AGREED = dt.date(2025, 4, 14)          # a Monday
MONDAYS = [AGREED + dt.timedelta(weeks=k) for k in range(-4, 4)]


def series(before, after):
    return list(zip(MONDAYS[4 - len(before):4], before)) + list(zip(MONDAYS[4:4 + len(after)], after))


def test_a_fall_of_3_5_against_a_threshold_of_root_3_is_beyond_ordinary_variation():
    e = effect("m", series([10, 12, 11, 13], [8, 9, 7, 8]), AGREED)
    assert e.before_mean == 11.5 and e.after_mean == 8.0 and e.change == -3.5
    assert e.week_spread == pytest.approx(math.sqrt(1.5))
    assert e.threshold == pytest.approx(math.sqrt(3))      # 1.7320508…
    assert e.verdict == "beyond"
    assert e.change_share == pytest.approx(-3.5 / 11.5)


def test_a_fall_of_1_5_over_two_weeks_is_within_a_threshold_of_2_12():
    # after 10, 10: mean 10, change −1.5; threshold = 2 × √1.5 × √(1/4 + 1/2) = 2 × √1.125 ≈ 2.1213
    e = effect("m", series([10, 12, 11, 13], [10, 10]), AGREED)
    assert e.change == -1.5
    assert e.threshold == pytest.approx(2 * math.sqrt(1.125))
    assert e.verdict == "within"


def test_the_week_holding_the_agreement_day_is_in_neither_window():
    # agreed on a Wednesday: the week of 14 April mixes before and after, so it is left out
    e = effect("m", series([10, 12, 11, 13], [100, 8, 9, 7]), AGREED + dt.timedelta(days=2))
    assert [w for w, _ in e.before] == MONDAYS[:4]
    assert [v for _, v in e.after] == [8, 9, 7]


def test_at_most_eight_weeks_each_side_nearest_the_agreement():
    weeks = [(AGREED + dt.timedelta(weeks=k), float(k)) for k in range(-12, 12)]
    e = effect("m", weeks, AGREED)
    assert [v for _, v in e.before] == [float(k) for k in range(-8, 0)]
    assert [v for _, v in e.after] == [float(k) for k in range(0, 8)]
    assert e.before_mean == -4.5 and e.after_mean == 3.5
    # every difference is 1: no ordinary variation at all, so any change is beyond it
    assert e.threshold == 0 and e.verdict == "beyond"


def test_an_incomplete_last_week_and_missing_values_are_left_out():
    weeks = series([10, 12, 11, 13], [8, 9, 7, 50]) + [(AGREED - dt.timedelta(weeks=5), None)]
    data_end = dt.datetime.combine(MONDAYS[7], dt.time(12))     # the fourth week after runs to its Monday noon
    e = effect("m", weeks, AGREED, data_end=data_end)
    assert [v for _, v in e.before] == [10, 12, 11, 13]
    assert [v for _, v in e.after] == [8, 9, 7]
    assert e.after_mean == 8.0


def test_too_few_weeks_says_so():
    assert effect("m", series([10, 12], [8, 9]), AGREED).verdict == "too_few"
    assert effect("m", series([10, 12, 11], [8]), AGREED).verdict == "too_few"
    e = effect("m", series([10, 12, 11], []), AGREED)
    assert e.verdict == "too_few" and e.change is None and e.before_mean == 11.0
