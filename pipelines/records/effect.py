"""Did it work? A linked metric's weeks before an agreement against the weeks after (SPEC §8).

The method, as the glossary states it:
- before: the mean of up to 8 complete weeks that ended on or before the agreement day;
  after: the mean of up to 8 complete weeks that started on or after it. A week that holds the
  agreement day is in neither (it mixes the two), nor is a week the data does not yet cover.
- ordinary variation: how much the metric moves from one week to the next before the agreement,
  the standard deviation s of the week-to-week differences. One week's own spread is then
  s / √2 (a difference of two weeks carries two weeks' spread).
- the change counts as larger than ordinary variation when |after − before| > 2 × (s / √2) ×
  √(1/n_before + 1/n_after): twice the spread a difference of two means of that many weeks would
  have by chance. With fewer than 3 weeks before or 2 after there is too little to tell.

Week-to-week differences rather than the plain spread of the weeks, so that a slow drift before
the agreement does not count as noise.

Does it still hold? An effect seen in the 8 weeks after can wear off (noise complaints back up in the
summer). When the data runs past those 8 weeks, the latest up to 8 complete weeks are set against the
same before weeks with the same test: the effect holds while that change is still larger than ordinary
variation in the same direction.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass

from pipelines.periods import is_complete, period_next

WINDOW = 8
MIN_BEFORE, MIN_AFTER = 3, 2


@dataclass(frozen=True)
class Effect:
    metric: str
    agreed_on: dt.date
    before: list[tuple[dt.date, float]]    # (week start, value), oldest first
    after: list[tuple[dt.date, float]]
    before_mean: float | None
    after_mean: float | None
    change: float | None                  # after − before
    week_spread: float | None             # s / √2
    threshold: float | None               # 2 × week_spread × √(1/n_b + 1/n_a)
    latest: list[tuple[dt.date, float]] = ()      # the latest up to 8 complete weeks, when past the after weeks
    later: list[tuple[dt.date, float]] = ()       # every complete week after the after weeks
    latest_mean: float | None = None
    latest_threshold: float | None = None         # 2 × week_spread × √(1/n_b + 1/n_latest)

    @property
    def latest_change(self) -> float | None:
        if self.latest_mean is None or self.before_mean is None:
            return None
        return self.latest_mean - self.before_mean

    @property
    def latest_verdict(self) -> str | None:
        """None: no week yet past the after weeks. holds / faded / reversed: the effect seen after is still
        larger than ordinary variation over the latest weeks / is no longer / is, the other way; beyond /
        within: no effect was seen after, and the latest weeks do / do not differ from before by more."""
        if not self.latest or self.latest_threshold is None or self.latest_change is None:
            return None
        beyond = abs(self.latest_change) > self.latest_threshold
        if self.verdict == "beyond":
            if not beyond:
                return "faded"
            return "holds" if (self.latest_change > 0) == (self.change > 0) else "reversed"
        return "beyond" if beyond else "within"

    @property
    def verdict(self) -> str:
        """beyond: larger than ordinary variation; within: not; too_few: not enough weeks to say."""
        if self.threshold is None or self.change is None:
            return "too_few"
        return "beyond" if abs(self.change) > self.threshold else "within"

    @property
    def change_share(self) -> float | None:
        """The change as a share of the before mean (−0.4 = 40 % lower); None from a zero mean."""
        if self.change is None or not self.before_mean:
            return None
        return self.change / self.before_mean


def _stdev(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def effect(metric: str, weeks: list[tuple[dt.date, float | None]], agreed_on: dt.date,
           data_end: dt.datetime | None = None, window: int = WINDOW) -> Effect:
    """`weeks`: (Monday, value) of one metric, any order; `data_end`: the community's latest event time
    (a week is complete when the data runs to its end, as the pages count it); None: all complete."""
    known = sorted((w, float(v)) for w, v in weeks if v is not None and not (isinstance(v, float) and math.isnan(v))
                   and (data_end is None or is_complete("week", w, data_end)))
    before = [(w, v) for w, v in known if period_next("week", w) <= agreed_on][-window:]
    since = [(w, v) for w, v in known if w >= agreed_on]
    after, later = since[:window], since[window:]
    latest = since[-window:] if later else []
    b_mean = sum(v for _, v in before) / len(before) if before else None
    a_mean = sum(v for _, v in after) / len(after) if after else None
    change = a_mean - b_mean if before and after else None
    l_mean = sum(v for _, v in latest) / len(latest) if latest else None
    spread = threshold = l_threshold = None
    if len(before) >= MIN_BEFORE and len(after) >= MIN_AFTER:
        diffs = [b[1] - a[1] for a, b in itertools.pairwise(before)]
        spread = _stdev(diffs) / math.sqrt(2)
        threshold = 2 * spread * math.sqrt(1 / len(before) + 1 / len(after))
        if latest:
            l_threshold = 2 * spread * math.sqrt(1 / len(before) + 1 / len(latest))
    return Effect(metric, agreed_on, before, after, b_mean, a_mean, change, spread, threshold,
                  latest, later, l_mean, l_threshold)
