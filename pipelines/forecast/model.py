"""The forecast model and its baselines, on one daily series: numpy only, no fitting library.

    forecast(day) = level × weekday profile[weekday] × festival uplift(day)

- the festival uplift of a day is learned from past festival days: for each day of a past occurrence
  (calendar.Occurrence), its value against what the weeks before the occurrence expected (their level ×
  profile), summed per day counted from the occurrence's last day; from the same festival's past years where
  there are any, else from past festivals of its kind (so the first 双11 in the data learns from 618); in a
  count series pulled towards 1 by PRIOR_COUNT counts, so a handful of complaints on a festival day cannot
  swing it while thousands of parcels are barely touched;
- the profile is the last 8 weeks' mean per weekday (festival days divided by their uplift), against their
  overall mean; in a count series each weekday is pulled towards flat by 1/mean days (a weekday's mean of a
  few complaints is mostly noise, of hundreds of parcels hardly any);
- the level is the last 4 weeks' values over what the profile and uplifts expected of them.

Measured against the two baselines SPEC §10 names (pipelines/forecast/run.py): the same weekday last week,
and the mean of the last four same weekdays; both taken from the last observed days before the origin.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from pipelines.forecast.calendar import Occurrence

PROFILE_DAYS = 56
LEVEL_DAYS = 28
MIN_HISTORY = 28        # days a series needs before it is forecast (the 4-week baseline needs them too)
PRIOR_COUNT = 10.0      # counts of an ordinary day's worth that a learned uplift starts from
MAX_PRIOR_DAYS = 8.0


def weekday(day: dt.date | np.datetime64) -> int:
    return int((np.datetime64(day, "D").astype("int64") + 3) % 7)   # 1970-01-01 was a Thursday


@dataclass
class Series:
    start: dt.date
    values: np.ndarray          # one value per day from start, no gaps

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=float)
        n = self.values.size
        self.weekdays = (np.arange(n) + weekday(self.start)) % 7

    def day(self, i: int) -> dt.date:
        return self.start + dt.timedelta(days=int(i))


class Model:
    """The series with its festival days found and, per past occurrence, what its days held against what the
    weeks before it expected; `predict` then uses only what happened up to the origin."""

    def __init__(self, series: Series, occurrences: list[Occurrence], source: Model | None = None,
                 counts: bool = True):
        """`source`: a model of the same occurrences whose festival days teach the uplift instead of this series'
        own (a point's parcels learn from the community's: a point opened or closed mid-festival moves parcels
        between points, not in or out of the community)."""
        self.s = series
        self.source = source
        self.counts = counts      # a count series (parcels, complaints), not a ratio (peak occupancy)
        self._cache: dict[int, dict] = {}
        n = series.values.size
        self.occurrences = occurrences
        # per day, the (occurrence, offset) pairs that reach it, for any day up to a year past the data
        self.tags: dict[int, list[tuple[int, int]]] = {}
        first, last = series.start, series.day(n + 400)
        for k, occ in enumerate(occurrences):
            if occ.ends_on + dt.timedelta(days=30) < first or occ.starts_on > last:
                continue
            d = max(occ.starts_on, first)     # its days from d to the end of its reach or of `last`
            i, off = (d - first).days, occ.offset(d)
            for j in range((min(occ.reach_end, last) - d).days + 1):
                self.tags.setdefault(i + j, []).append((k, off + j))
        self.festive = np.zeros(n, dtype=bool)
        for i in self.tags:
            if i < n:
                self.festive[i] = True
        self.samples = self._samples()
        # the uplifts at an origin depend only on which samples it has seen: origins between two festivals share
        self._sample_days = sorted({x[2] for x in self.samples})
        self._by_seen: dict[int, dict] = {}
        self._factors: dict[int, tuple[dict, np.ndarray]] = {}
        # the tags flattened, day by day in index order: `factors` multiplies each day's uplifts in tag order
        days = sorted(self.tags)
        self._tag_days = np.array(days, dtype=np.int64)
        self._tag_pairs = [pair for i in days for pair in self.tags[i]]
        self._tag_starts = np.cumsum([0] + [len(self.tags[i]) for i in days[:-1]]).astype(np.int64)
        # each (occurrence, offset) once, with the keys its uplift is learned under; `_uplifts` also keeps its
        # values as an array in this order, which the models it teaches gather from (`_gather`)
        self._pairs = list(dict.fromkeys(pair for pairs in self.tags.values() for pair in pairs))
        self._pair_keys = [(("name", occurrences[k].name, off), ("kind", occurrences[k].kind, off))
                           for k, off in self._pairs]
        self._pair_pos = {pair: j for j, pair in enumerate(self._pairs)}
        self._arrays: dict[int, np.ndarray] = {}
        self._gather: np.ndarray | None = None

    def _plain_profile(self, lo: int, hi: int) -> np.ndarray | None:
        """Weekday profile over indices lo..hi-1, ordinary days only; None with too few of them."""
        v, wd, ok = self.s.values[lo:hi], self.s.weekdays[lo:hi], ~self.festive[lo:hi]
        if ok.sum() < 14:
            return None
        return _profile(v[ok], wd[ok], np.ones(int(ok.sum())), self.counts)

    def _samples(self) -> list[tuple[int, int, int, float, float]]:
        """(occurrence, offset, day index, value, expected) for every festival day the data holds whose occurrence
        has four ordinary weeks before it to set what a day would have held without it."""
        out = []
        v, wd = self.s.values, self.s.weekdays
        by_occ: dict[int, list[tuple[int, int]]] = {}
        for i, pairs in self.tags.items():
            if i < v.size:
                for k, off in pairs:
                    by_occ.setdefault(k, []).append((i, off))
        for k, days in by_occ.items():
            begin = min(i for i, _ in days)
            lo = begin - PROFILE_DAYS
            if begin - LEVEL_DAYS < 0:
                continue
            prof = self._plain_profile(max(lo, 0), begin)
            if prof is None:
                continue
            ok = ~self.festive[begin - LEVEL_DAYS:begin]
            base = prof[wd[begin - LEVEL_DAYS:begin]]
            if not ok.any() or base[ok].sum() <= 0:
                continue
            level = v[begin - LEVEL_DAYS:begin][ok].sum() / base[ok].sum()
            out += [(k, off, i, v[i], level * prof[wd[i]]) for i, off in days]
        return out

    def uplifts(self, origin: int) -> dict[tuple[int, int], float]:
        """Per (occurrence, offset) that reaches a day, its uplift as learned from days up to index `origin`."""
        if self.source is not None:
            return self.source.uplifts((self.s.day(origin) - self.source.s.start).days)
        if origin in self._cache:    # the community's model answers each of its points at the same origins
            return self._cache[origin]
        seen = bisect_right(self._sample_days, origin)
        if seen not in self._by_seen:
            self._by_seen[seen] = self._uplifts(origin)
        self._cache[origin] = self._by_seen[seen]
        return self._cache[origin]

    def _uplifts(self, origin: int) -> dict[tuple[int, int], float]:
        seen = [x for x in self.samples if x[2] <= origin]
        sums: dict[tuple[str, int], list[float]] = {}
        for k, off, _, value, expected in seen:
            occ = self.occurrences[k]
            for key in (("name", occ.name, off), ("kind", occ.kind, off)):
                acc = sums.setdefault(key, [0.0, 0.0, 0])
                acc[0] += value
                acc[1] += expected
                acc[2] += 1
        prior = PRIOR_COUNT if self.counts else 0.0
        values = []
        for name_key, kind_key in self._pair_keys:
            acc = sums.get(name_key) or sums.get(kind_key)
            values.append(1.0 if acc is None or acc[1] <= 0 else (acc[0] + prior) / (acc[1] + prior))
        out = dict(zip(self._pairs, values))
        self._arrays[id(out)] = np.append(np.array(values, dtype=float), 1.0)   # the last: a pair it lacks
        return out

    def factor(self, i: int, uplift: dict) -> float:
        f = 1.0
        for pair in self.tags.get(i, ()):
            f *= uplift.get(pair, 1.0)
        return f

    def factors(self, uplift: dict, size: int) -> np.ndarray:
        """`factor` of every day index below `size` (at least every tagged day), for one uplift dict."""
        held = self._factors.get(id(uplift))
        if held is None or held[1].size < size:
            top = max(size, int(self._tag_days[-1]) + 1 if self._tag_days.size else 0)
            out = np.ones(top)
            if self._tag_days.size:
                owner = self.source or self
                values = owner._arrays.get(id(uplift))
                if values is not None:
                    if self._gather is None:
                        self._gather = np.array([owner._pair_pos.get(pair, -1) for pair in self._tag_pairs],
                                                dtype=np.int64)
                    ups = values[self._gather]
                else:
                    ups = np.fromiter((uplift.get(pair, 1.0) for pair in self._tag_pairs), float,
                                      len(self._tag_pairs))
                # a product taken left to right, as `factor` takes it (1.0 × the first is the first)
                out[self._tag_days] = np.multiply.reduceat(ups, self._tag_starts)
            held = (uplift, out)     # the dict is held with its array, so its id is not reused meanwhile
            self._factors[id(uplift)] = held
        return held[1]

    def predict(self, origin: int, horizon: int = 14) -> np.ndarray | None:
        """Days origin+1 .. origin+horizon from the values up to index `origin`; None with too short a history."""
        if origin + 1 < MIN_HISTORY:
            return None
        v, wd = self.s.values, self.s.weekdays
        uplift = self.uplifts(origin)
        lo = max(0, origin + 1 - PROFILE_DAYS)
        fac = self.factors(uplift, origin + 1 + horizon)
        f = fac[lo:origin + 1]
        prof = _profile(v[lo:origin + 1], wd[lo:origin + 1], f, self.counts)
        l0 = origin + 1 - LEVEL_DAYS
        expected = (prof[wd[l0:origin + 1]] * f[l0 - lo:]).sum()
        level = v[l0:origin + 1].sum() / expected if expected > 0 else 0.0
        ahead = np.arange(origin + 1, origin + 1 + horizon)
        return level * prof[(wd[0] + ahead) % 7] * fac[ahead]


def _profile(values: np.ndarray, weekdays: np.ndarray, factors: np.ndarray, counts: bool = True) -> np.ndarray:
    """Mean per weekday of value ÷ festival factor, against the overall mean (mean 1); in a count series each
    weekday is pulled towards flat by 1/mean days (at most MAX_PRIOR_DAYS)."""
    adj = values / np.where(factors > 0, factors, 1.0)
    mean = adj.mean() if adj.size else 0.0
    if mean <= 0:
        return np.ones(7)
    prior = min(MAX_PRIOR_DAYS, 1.0 / mean) if counts else 0.0
    sums = np.bincount(weekdays, weights=adj, minlength=7)
    seen = np.bincount(weekdays, minlength=7)
    prof = (sums + prior * mean) / np.maximum((seen + prior) * mean, 1e-12)
    prof = np.where(seen + prior > 0, prof, 1.0)
    return prof / prof.mean()


def same_weekday_last_week(values: np.ndarray, origin: int, horizon: int = 14) -> np.ndarray | None:
    """Each day ahead as the latest observed day of its weekday (a week back for days 1–7, two for 8–14)."""
    if origin + 1 < 7:
        return None
    h = np.arange(1, horizon + 1)
    return values[origin + h - 7 * ((h + 6) // 7)]


def mean_last_four(values: np.ndarray, origin: int, horizon: int = 14) -> np.ndarray | None:
    """Each day ahead as the mean of the latest four observed days of its weekday."""
    if origin + 1 < 28:
        return None
    h = np.arange(1, horizon + 1)
    last = origin + h - 7 * ((h + 6) // 7)
    # summed in the order numpy's mean of four takes them, so each value is bit for bit the mean's
    return (values[last] + values[last - 7] + values[last - 14] + values[last - 21]) / 4
