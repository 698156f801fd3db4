"""The effect as a non-statistician reads it (issue 16 item 7), on hand-worked weekly series.

Before (8 weeks) 3, 2, 3, 2, 3, 2, 3, 2: mean 2.5. Week-to-week differences −1, 1, −1, 1, −1, 1, −1
(mean −1/7; squared deviations sum to 7 − 7 × (1/7)² = 48/7; sample variance 48/7 / 6 = 8/7), s = √(8/7);
one week's spread σ = s / √2 = √(4/7) ≈ 0.7559. Threshold with 8 weeks after: 2σ × √(1/8 + 1/8) = σ ≈ 0.76.
After (8 weeks) 0, 1, 0, 0, 1, 0, 0, 0: mean 0.25. Shown: 2.5 and 0.3 (0.25 rounded half up, as a reader
rounds), change 0.3 − 2.5 = −2.2; the unrounded −2.25 would show as −2.2 beside 0.2 (half-even): the
complaint in the issue.
"""
from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import pytest

from pipelines.present.effect_text import change_text, effect_text, mean_text, shown
from pipelines.present.i18n import t
from pipelines.records.effect import effect

AGREED = dt.date(2026, 3, 16)          # a Monday
BEFORE = [3, 2, 3, 2, 3, 2, 3, 2]
AFTER = [0, 1, 0, 0, 1, 0, 0, 0]


def weeks(values, first):
    return [(AGREED + dt.timedelta(weeks=first + k), v) for k, v in enumerate(values)]


def words(lang="zh"):
    return SimpleNamespace(lang=lang, tr=lambda key, **values: t(key, lang, **values))


def test_the_shown_change_is_the_difference_of_the_shown_means():
    e = effect("complaints.noise_outside_hours", weeks(BEFORE, -8) + weeks(AFTER, 0), AGREED)
    assert (e.before_mean, e.after_mean, e.change) == (2.5, 0.25, -2.25)
    assert e.threshold == pytest.approx(math.sqrt(4 / 7))
    v = words()
    assert mean_text(v, e.metric, e.before_mean) == "2.5" and mean_text(v, e.metric, e.after_mean) == "0.3"
    assert change_text(v, e.metric, e.before_mean, e.after_mean) == "−2.2"
    assert effect_text(v, e) == ("方案前 8 周平均 2.5，方案后 8 周平均 0.3，变化 −2.2，超出平常的周波动（±0.8），"
                                 "可以认为有变化，方向是变好。")
    assert e.latest_verdict is None          # no week past the 8 after: nothing more to say


def test_half_up_on_every_scale_the_pages_show():
    assert shown("complaints.noise", 2.25, "zh") == 2.3 and shown("complaints.noise", 2.35, "zh") == 2.4
    assert shown("parcels.overdue_rate", 0.1245, "zh") == 0.125       # 12.45% shows 12.5%
    v = words()
    assert change_text(v, "parcels.overdue_rate", 0.1245, 0.0504) == "−7.5 个百分点"   # 5.0% − 12.5%: points
    assert change_text(v, "complaints.noise", 2.45, 2.45) == "0.0"


def test_a_rebound_in_the_latest_weeks_says_the_effect_did_not_hold():
    # weeks 9–16 after: 3, 2, 3, 2, 3, 5, 3, 2, mean 23/8 = 2.875 (shown 2.9); against before 2.5: +0.4
    # (shown), within the threshold σ ≈ 0.76 (8 before, 8 latest): the fall seen after has worn off
    rebound = [3, 2, 3, 2, 3, 5, 3, 2]
    e = effect("complaints.noise_outside_hours", weeks(BEFORE, -8) + weeks(AFTER, 0) + weeks(rebound, 8), AGREED)
    assert e.verdict == "beyond"
    assert [w for w, _ in e.latest] == [AGREED + dt.timedelta(weeks=k) for k in range(8, 16)]
    assert e.latest_mean == 2.875 and e.latest_threshold == pytest.approx(math.sqrt(4 / 7))
    assert e.latest_verdict == "faded"
    text = effect_text(words(), e)
    assert text.startswith("方案前 8 周平均 2.5，方案后 8 周平均 0.3，变化 −2.2，")
    assert text.endswith("但最近 8 个完整周（5月11日–7月5日）平均 2.9，比方案前 +0.4，"
                         "回到了平常的周波动之内（±0.8）：效果没有保持。")


def test_an_effect_that_lasts_holds():
    later = [1, 0, 0, 1, 0, 0, 0, 1, 0, 0]          # 10 weeks past the 8 after; the latest 8 (weeks 10–17) average 2/8
    e = effect("complaints.noise_outside_hours", weeks(BEFORE, -8) + weeks(AFTER, 0) + weeks(later, 8), AGREED)
    assert len(e.later) == 10 and len(e.latest) == 8 and e.latest_mean == 0.25
    assert e.latest_verdict == "holds"
    assert effect_text(words(), e).endswith("仍超出平常的周波动（±0.8）：效果还在。")
    en = effect_text(words("en"), e)
    assert "The latest 8 complete weeks (25 May–19 Jul) averaged 0.3, −2.2 against before" in en


def test_only_complete_weeks_count_as_the_latest():
    rebound = [3, 2, 3, 2, 3, 5, 3, 2, 9]            # the 9th, week 16, is not yet complete
    end = dt.datetime.combine(AGREED + dt.timedelta(weeks=16, days=3), dt.time(12))
    e = effect("complaints.noise_outside_hours", weeks(BEFORE, -8) + weeks(AFTER, 0) + weeks(rebound, 8), AGREED, end)
    assert e.latest[-1][0] == AGREED + dt.timedelta(weeks=15) and e.latest_mean == 2.875


def test_a_measure_asked_once_a_month_counts_rounds_not_weeks():
    # the feedback round on the 25th: one value every 4 or 5 weeks; 3 rounds before, 2 after
    rounds = [(dt.date(2025, 12, 22), 0.6), (dt.date(2026, 1, 19), 0.5), (dt.date(2026, 2, 23), 0.55),
              (dt.date(2026, 3, 23), 0.2), (dt.date(2026, 4, 20), 0.25)]
    e = effect("feedback.late_noise_share", rounds, AGREED)
    assert len(e.before) == 3 and len(e.after) == 2
    # a difference of two shares, and the ordinary spread of a share, are percentage points: "−32.5%" would read
    # as a fall of a third; ±13.7 points is that round-to-round spread (e.threshold 0.1369…) written the same way
    assert e.threshold == pytest.approx(0.13693, abs=1e-5)
    assert effect_text(words(), e).startswith("方案前 3 次回访平均 55.0%，方案后 2 次回访平均 22.5%，变化 −32.5 个百分点，"
                                              "超出平常的周波动（±13.7 个百分点）")
    assert effect_text(words("en"), e).startswith("3 rounds before averaged 55.0%, 2 rounds after 22.5%, "
                                                  "a change of −32.5 pts: larger than ordinary week-to-week variation "
                                                  "(±13.7 pts)")
