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
- the level is the last 4 weeks' values over what the profile and uplifts expected of them; for a point, only
  the days since its community's points last changed (another point opened) once a week of them has passed:
  a new gate point took two thirds of the station's parcels overnight, and a level still reading the weeks
  before it missed by as much for a month, which made the whole backtest prefer "same weekday last week" —
  blind to 双11.

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
AFTER_CHANGE_DAYS = 7   # days after a change of the community's points before the level reads from it alone
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
                 counts: bool = True, changes: tuple[dt.date, ...] = ()):
        """`source`: a model of the same occurrences whose festival days teach the uplift instead of this series'
        own (a point's parcels learn from the community's: a point opened or closed mid-festival moves parcels
        between points, not in or out of the community). `changes`: the days the community's points changed
        (a point's first day), after which a point's level is read afresh."""
        self.s = series
        self._changes = sorted((d - series.start).days for d in changes if d > series.start)
        self.source = source
        self.counts = counts      # a count series (parcels, complaints), not a ratio (peak occupancy)
        self._cache: dict[int, dict] = {}
        n = series.values.size
        self.occurrences = occurrences
        (self.tags, self.festive, self._tag_days, self._tag_pairs, self._tag_starts, self._pairs, self._pair_keys,
         self._pair_pos) = _layout(occurrences, series.start, n)
        self.samples = self._samples()
        # the uplifts at an origin depend only on which samples it has seen: origins between two festivals share
        self._sample_days = sorted({x[2] for x in self.samples})
        self._by_seen: dict[int, dict] = {}
        self._factors: dict[int, tuple[dict, np.ndarray]] = {}
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

    def _sample_index(self) -> None:
        """The samples as arrays: each sample's day, value, expected value and its two keys' numbers (its festival
        by name, by kind), and each (occurrence, offset)'s two keys' numbers (-1: no sample has that key)."""
        keys: dict[tuple, int] = {}
        name_of, kind_of = [], []
        for k, off, *_ in self.samples:
            occ = self.occurrences[k]
            name_of.append(keys.setdefault(("name", occ.name, off), len(keys)))
            kind_of.append(keys.setdefault(("kind", occ.kind, off), len(keys)))
        self._keys = len(keys)
        self._s_day = np.array([x[2] for x in self.samples], dtype=np.int64)
        self._s_keys = (np.array(name_of, dtype=np.int64), np.array(kind_of, dtype=np.int64))
        self._s_value = np.array([x[3] for x in self.samples], dtype=float)
        self._s_expected = np.array([x[4] for x in self.samples], dtype=float)
        self._p_name = np.array([keys.get(n, -1) for n, _ in self._pair_keys], dtype=np.int64)
        self._p_kind = np.array([keys.get(k, -1) for _, k in self._pair_keys], dtype=np.int64)

    def _uplifts(self, origin: int) -> dict[tuple[int, int], float]:
        """Per key, the sums of the seen samples' values and expected values, each added in the samples' order
        from 0.0 (bincount adds in input order: the sums a loop over the samples would make); a pair learns from
        its festival's own past days where there are any, else from its kind's."""
        if not hasattr(self, "_keys"):
            self._sample_index()
        seen = self._s_day <= origin
        bins = np.concatenate([self._s_keys[0][seen], self._s_keys[1][seen]])
        count = np.bincount(bins, minlength=self._keys + 1)
        total = np.bincount(bins, weights=np.tile(self._s_value[seen], 2), minlength=self._keys + 1)
        expected = np.bincount(bins, weights=np.tile(self._s_expected[seen], 2), minlength=self._keys + 1)
        # key -1 indexes the extra last bin, never filled: count 0, no sample
        use = np.where(count[self._p_name] > 0, self._p_name, np.where(count[self._p_kind] > 0, self._p_kind, -1))
        prior = PRIOR_COUNT if self.counts else 0.0
        ok = (use >= 0) & (expected[use] > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            learned = (total[use] + prior) / (expected[use] + prior)
        values = np.where(ok, learned, 1.0).tolist()
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
        l0 = self._level_start(origin)
        expected = (prof[wd[l0:origin + 1]] * f[l0 - lo:]).sum()
        level = v[l0:origin + 1].sum() / expected if expected > 0 else 0.0
        ahead = np.arange(origin + 1, origin + 1 + horizon)
        return level * prof[(wd[0] + ahead) % 7] * fac[ahead]

    def _level_start(self, origin: int) -> int:
        """The first day the level at `origin` reads: 4 weeks back, or the latest change of the community's points
        with at least AFTER_CHANGE_DAYS days since it, whichever is later."""
        start = origin + 1 - LEVEL_DAYS
        settled = bisect_right(self._changes, origin + 1 - AFTER_CHANGE_DAYS)
        return max(start, self._changes[settled - 1]) if settled else start

    def predict_many(self, origins: list[int], horizon: int = 14) -> list[np.ndarray | None]:
        """`predict` at each origin: those with a full PROFILE_DAYS of history and a 4-week level at once, as rows
        of arrays (each row's sums and means taken in the order `predict` takes them, so the values are bit for bit
        its own); the few whose level starts at a change of the points, one by one."""
        out: list[np.ndarray | None] = [None] * len(origins)
        full = [j for j, o in enumerate(origins)
                if o + 1 >= PROFILE_DAYS and self._level_start(o) == o + 1 - LEVEL_DAYS]
        for j, o in enumerate(origins):
            if j not in full:
                out[j] = self.predict(o, horizon)
        if not full:
            return out
        v, wd = self.s.values, self.s.weekdays
        at = np.array([origins[j] for j in full], dtype=np.int64)
        facs = [self.factors(self.uplifts(int(o)), int(o) + 1 + horizon) for o in at]
        window = (at + 1 - PROFILE_DAYS)[:, None] + np.arange(PROFILE_DAYS)
        values, weekdays = v[window], wd[window]
        factors = np.stack([fac[o + 1 - PROFILE_DAYS:o + 1] for fac, o in zip(facs, at)])
        prof = _profiles(values, weekdays, factors, self.counts)
        tail = PROFILE_DAYS - LEVEL_DAYS
        expected = (np.take_along_axis(prof, weekdays[:, tail:], 1) * factors[:, tail:]).sum(axis=1)
        level = np.zeros(at.size)
        np.divide(values[:, tail:].sum(axis=1), expected, out=level, where=expected > 0)
        ahead = at[:, None] + 1 + np.arange(horizon)
        ups = np.stack([fac[a] for fac, a in zip(facs, ahead)])
        rows = level[:, None] * np.take_along_axis(prof, (wd[0] + ahead) % 7, 1) * ups
        for k, j in enumerate(full):
            out[j] = rows[k]
        return out


_LAYOUTS: dict[tuple, tuple] = {}


def _layout(occurrences: list[Occurrence], first: dt.date, n: int) -> tuple:
    """Where the occurrences fall in a series of n days from `first` (read only, so the series of one community
    with the same days share it: a point's arrivals and its peaks, often its neighbours):

    - tags: per day, the (occurrence, offset) pairs that reach it, for any day up to a year past the data;
    - festive: per day of the data, whether any reaches it;
    - the tags flattened, day by day in index order (days, pairs, each day's first): `factors` multiplies each
      day's uplifts in tag order;
    - each (occurrence, offset) once, with the keys its uplift is learned under and its position: `_uplifts`
      keeps its values as an array in this order, which the models it teaches gather from (`_gather`)."""
    key = (id(occurrences), first, n)
    held = _LAYOUTS.get(key)
    if held is not None and held[0] is occurrences:
        return held[1]
    tags: dict[int, list[tuple[int, int]]] = {}
    last = first + dt.timedelta(days=n + 400)
    for k, occ in enumerate(occurrences):
        if occ.ends_on + dt.timedelta(days=30) < first or occ.starts_on > last:
            continue
        d = max(occ.starts_on, first)     # its days from d to the end of its reach or of `last`
        i, off = (d - first).days, occ.offset(d)
        for j in range((min(occ.reach_end, last) - d).days + 1):
            tags.setdefault(i + j, []).append((k, off + j))
    festive = np.zeros(n, dtype=bool)
    for i in tags:
        if i < n:
            festive[i] = True
    days = sorted(tags)
    pairs = list(dict.fromkeys(pair for listed in tags.values() for pair in listed))
    layout = (tags, festive, np.array(days, dtype=np.int64), [pair for i in days for pair in tags[i]],
              np.cumsum([0] + [len(tags[i]) for i in days[:-1]]).astype(np.int64), pairs,
              [(("name", occurrences[k].name, off), ("kind", occurrences[k].kind, off)) for k, off in pairs],
              {pair: j for j, pair in enumerate(pairs)})
    if len(_LAYOUTS) > 256:
        _LAYOUTS.clear()
    _LAYOUTS[key] = (occurrences, layout)     # the list is held, so its id is not reused while the entry lives
    return layout


def _profiles(values: np.ndarray, weekdays: np.ndarray, factors: np.ndarray, counts: bool) -> np.ndarray:
    """`_profile` of each row (windows of equal length), one row per origin."""
    k = values.shape[0]
    adj = values / np.where(factors > 0, factors, 1.0)
    mean = adj.mean(axis=1)
    with np.errstate(divide="ignore"):
        prior = np.minimum(MAX_PRIOR_DAYS, 1.0 / mean) if counts else np.zeros(k)
    bins = (np.arange(k)[:, None] * 7 + weekdays).ravel()
    sums = np.bincount(bins, weights=adj.ravel(), minlength=7 * k).reshape(k, 7)
    seen = np.bincount(bins, minlength=7 * k).reshape(k, 7)
    with np.errstate(divide="ignore", invalid="ignore"):
        prof = (sums + (prior * mean)[:, None]) / np.maximum((seen + prior[:, None]) * mean[:, None], 1e-12)
    prof = np.where(seen + prior[:, None] > 0, prof, 1.0)
    prof = prof / prof.mean(axis=1, keepdims=True)
    prof[~(mean > 0)] = 1.0
    return prof


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
