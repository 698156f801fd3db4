"""What needs attention in a period: pure functions, no Streamlit.

One place for the pages, the printed check sheet and the briefs. The thresholds are the
community's alert rules (pipelines/records/alert_rules.py; defaults in pipelines/records/rules.py). Rules on
peak occupancy are applied to each point, and rules on repeat buildings name the buildings,
where the caller passes them in a `Context` (see `context_from`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from pipelines.present import format as fmt
from pipelines.present.i18n import label, metric_name, t
from pipelines.records.alert_rules import DEFAULTS, AlertRule
from pipelines.records.rules import STALE_DAYS
from pipelines.rule_defaults import FULL_CAPACITY, REPEAT_COMPLAINTS

PEAK = "parcels.peak_occupancy_ratio"
REPEAT = "complaints.repeat_buildings"
# FULL_CAPACITY and REPEAT_COMPLAINTS are facts, not thresholds a community sets (pipelines/rule_defaults.py,
# which the SQL reads too): a point above FULL_CAPACITY holds more parcels than it can, a building with
# REPEAT_COMPLAINTS noise complaints or more in a period is a "repeat building" (complaints.repeat_buildings).
OVERDUE = ("parcels.overdue", "parcels.overdue_rate")
_LEVEL_ORDER = {"error": 0, "warning": 1}


@dataclass(frozen=True)
class Alert:
    level: str      # "error" or "warning"
    text: str       # plain text, as the printed check sheet shows it
    metric: str
    markdown: str   # the same for Streamlit's Markdown elements, with names from imported files escaped
    subject: str | None = None   # the point or building the alert is about (an action item's subject)
    rule_id: str | None = None
    title: str = ""              # a short title for the action item made from it (the page lets it be edited)
    subjects: tuple[str, ...] = ()   # every point or building it names, by id: the action item's 对象


@dataclass(frozen=True)
class Point:
    point_id: str
    name: str
    capacity: float | None
    peak_ratio: float | None


@dataclass(frozen=True)
class Building:
    building_id: str
    name: str
    complaints: int


@dataclass(frozen=True)
class Stale:
    """A feed whose data stops before the period's end: the page must not read it as a quiet period."""
    feed: str
    latest: dt.datetime | None
    key: str        # catalog key of the message: stale.parcels_week, stale.complaints_month …


@dataclass(frozen=True)
class Context:
    points: tuple[Point, ...] = ()
    noise_buildings: tuple[Building, ...] = ()
    overdue_by_point: tuple[tuple[str, int], ...] = ()   # (point name, overdue parcels), most first
    stale: tuple[Stale, ...] = field(default=())


def _v(values: dict, metric: str) -> float | None:
    v = values.get(metric)
    return None if fmt.is_missing(v) else float(v)


def _make(rule: AlertRule | None, metric: str, key: str, lang: str, subject: str | None = None,
          names: dict | None = None, level: str | None = None, **values) -> Alert:
    """`names` are texts from imported files: only the Markdown version escapes them (the sheet escapes HTML)."""
    names = names or {}
    text = t(key, lang, **names, **values)
    markdown = t(key, lang, **{k: fmt.plain(v) for k, v in names.items()}, **values) if names else text
    return Alert(level or (rule.level if rule else "warning"), text, metric, markdown, subject,
                 rule.rule_id if rule else None, _short(key, lang, **names, **values),
                 (subject,) if subject else ())


def _short(key: str, lang: str, **values) -> str:
    """The alert said as an action item's title: its catalog key under alert.short."""
    return t("alert.short." + key.removeprefix("alert."), lang, **values)


def fires(rule: AlertRule, now: float | None, before: float | None) -> bool:
    if now is None:
        return False
    if rule.condition == "above":
        return now >= rule.threshold
    if rule.condition == "below":
        return now < rule.threshold
    if before is None:
        return False
    change = now - before
    return change >= rule.threshold if rule.condition == "rise" else -change >= rule.threshold


def _joined(items: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _capacity_alerts(rules: list[AlertRule], now: dict, context: Context, lang: str) -> list[Alert]:
    """Each point over or near capacity, named, with advice that fits what the other points can take."""
    rules = sorted(rules, key=lambda r: -r.threshold)   # the most severe rule a point passes speaks for it
    points = [p for p in context.points if p.peak_ratio is not None and not fmt.is_missing(p.peak_ratio)]
    if not points:   # no per-point figures: the community's maximum, for "a point"
        peak = _v(now, PEAK)
        hit = next((r for r in rules if fires(r, peak, None)), None)
        if hit is None:
            return []
        return [_make(hit, PEAK, "alert.capacity_full" if peak > FULL_CAPACITY else "alert.capacity_near", lang,
                      names={"point": t("alert.a_point", lang)}, ratio=fmt.value("rate", peak, lang),
                      advice=t("alert.advice.general", lang))]
    lowest = min(r.threshold for r in rules)
    hits = [(p, next((r for r in rules if fires(r, p.peak_ratio, None)), None)) for p in points]
    hits = [(p, r) for p, r in hits if r is not None]
    # a point that held no parcel all period is not in use (not yet open, closed): never advise moving parcels there
    roomy = sorted((p for p in points if 0 < p.peak_ratio < lowest), key=lambda p: p.peak_ratio)
    out = []
    for p, r in sorted(hits, key=lambda pr: -pr[0].peak_ratio):
        key = "alert.capacity_full" if p.peak_ratio > FULL_CAPACITY else "alert.capacity_near"
        ratio = fmt.value("rate", p.peak_ratio, lang)

        def advice(name=lambda text: text) -> str:
            if roomy:   # names the other points, so the Markdown version escapes them too
                return t("alert.advice.move", lang, points=_joined([t(
                    "alert.spare", lang, point=name(o.name), ratio=fmt.value("rate", o.peak_ratio, lang),
                    room=fmt.number(o.capacity * (1 - o.peak_ratio), lang)) for o in roomy[:2]], lang))
            return t("alert.advice.all_full" if len(points) > 1 else "alert.advice.general", lang)

        out.append(Alert(r.level, t(key, lang, point=p.name, ratio=ratio, advice=advice()), PEAK,
                         t(key, lang, point=fmt.plain(p.name), ratio=ratio, advice=advice(fmt.plain)),
                         p.point_id, r.rule_id, _short(key, lang, point=p.name), (p.point_id,)))
    return out


def _repeat_alerts(rule: AlertRule, now: dict, context: Context, lang: str) -> list[Alert]:
    repeat = [b for b in context.noise_buildings if b.complaints >= REPEAT_COMPLAINTS]
    if not repeat:
        n = _v(now, REPEAT)
        return [_make(rule, REPEAT, "alert.repeat_buildings", lang, n=int(n))] if n else []
    if len(repeat) < rule.threshold:
        return []
    return [_make(rule, REPEAT, "alert.repeat_building", lang, subject=b.building_id,
                  names={"building": building_words(b.name, b.building_id)}, n=b.complaints) for b in repeat]


def building_words(name: str, building_id: str) -> str:
    """A building by its name, with its id where the name does not already say it: 3栋（B3）, but C社区9栋 for
    building 9栋 (not C社区9栋（9栋）); C社区19栋 still names its id 9栋, which it only seems to end with."""
    before = name[:-len(building_id)][-1:] if name.endswith(building_id) else None
    if name == building_id or before is not None and not (before.isdigit() or before.isascii() and before.isalpha()):
        return name
    return f"{name}（{building_id}）"


def _overdue_alert(rules: list[AlertRule], now: dict, context: Context, rules_in_force: dict, lang: str) -> list[Alert]:
    n, rate = _v(now, "parcels.overdue"), _v(now, "parcels.overdue_rate")
    hit = [r for r in rules if fires(r, _v(now, r.metric), None)]
    if not hit or not n:
        return []
    rule = min(hit, key=lambda r: _LEVEL_ORDER.get(r.level, 1))
    where = ""
    if context.overdue_by_point:
        where = t("alert.overdue_where", lang, points=_joined(
            [t("alert.overdue_point", lang, point=name, n=fmt.number(c, lang)) for name, c in context.overdue_by_point[:3]], lang))
    where_md = where and t("alert.overdue_where", lang, points=_joined(
        [t("alert.overdue_point", lang, point=fmt.plain(name), n=fmt.number(c, lang)) for name, c in context.overdue_by_point[:3]], lang))
    values = dict(n=fmt.number(n, lang), hours=f"{rules_in_force['overdue_hours']:g}",
                  rate=fmt.value("rate", rate, lang))
    ids = {p.name: p.point_id for p in context.points}   # the list names points; an action item keeps their ids
    named = tuple(ids.get(name, name) for name, _ in context.overdue_by_point[:3])
    return [Alert(rule.level, t("alert.overdue", lang, **values) + where, "parcels.overdue",
                  t("alert.overdue", lang, **values) + where_md, named[0] if named else None, rule.rule_id,
                  _short("alert.overdue", lang, **values), named)]


def _generic(rule: AlertRule, now: dict, before: dict, lang: str) -> list[Alert]:
    value, prev = _v(now, rule.metric), _v(before, rule.metric)
    if not fires(rule, value, prev):
        return []
    name = metric_name(rule.metric, lang)
    shown = dict(name=name, value=fmt.value(rule.metric, value, lang),
                 threshold=fmt.value(rule.metric, rule.threshold, lang))
    if rule.condition in ("rise", "fall"):
        shown["prev"] = fmt.value(rule.metric, prev, lang)
    return [_make(rule, rule.metric, f"alert.rule.{rule.condition}", lang, **shown)]


SPECIFIC = {   # the shipped rules' own wording; any other rule speaks generically
    "noise_outside": lambda r, now, before, rules, lang: [_make(
        r, r.metric, "alert.noise_outside", lang, n=int(_v(now, r.metric)),
        start=f"{rules['window_start']:%H:%M}", end=f"{rules['window_end']:%H:%M}")],
    "pileup": lambda r, now, before, rules, lang: [_make(r, r.metric, "alert.pileup", lang, n=int(_v(now, r.metric)))],
    "open_rising": lambda r, now, before, rules, lang: [_make(
        r, r.metric, "alert.open_rising", lang, n=int(_v(now, r.metric)), prev=int(_v(before, r.metric)))],
    "low_attendance": lambda r, now, before, rules, lang: [_make(
        r, r.metric, "alert.low_attendance", lang, rate=fmt.value("rate", _v(now, r.metric), lang),
        threshold=fmt.value("rate", r.threshold, lang))],
    "dissatisfied": lambda r, now, before, rules, lang: [_make(
        r, r.metric, "alert.dissatisfied", lang, rate=fmt.value("rate", _v(now, r.metric), lang),
        n=fmt.number(_v(now, "feedback.responses"), lang), threshold=fmt.value("rate", r.threshold, lang),
        start=f"{rules['window_start']:%H:%M}", end=f"{rules['window_end']:%H:%M}")],
}


def _active(alert_rules: Sequence[AlertRule] | None) -> list[AlertRule]:
    """The community's rules that are switched on; the shipped defaults when its rules could not be read."""
    return [r for r in (DEFAULTS if alert_rules is None else alert_rules) if r.enabled]


def point_state(ratio: float | None, alert_rules: Sequence[AlertRule] | None = None) -> str | None:
    """A point's state in the tables, by the rules that raise its alert, so the two always agree:
    "over" above its capacity, "near" when one of the community's capacity rules fires (its
    near-capacity threshold, 0.9 unless it changed it), else "ok"; None without a figure.
    A community that switches every capacity rule off still reads "over" above capacity: the
    table states the number, the rules only decide whether it is raised as an alert."""
    if ratio is None or fmt.is_missing(ratio):
        return None
    if ratio > FULL_CAPACITY:
        return "over"
    return "near" if any(fires(r, ratio, None) for r in _active(alert_rules) if r.metric == PEAK) else "ok"


def alerts(now: dict, before: dict, rules: dict, lang: str = "zh", context: Context | None = None,
           alert_rules: Sequence[AlertRule] | None = None) -> list[Alert]:
    """The period's alerts, most serious first: stale feeds, then each rule that fires.

    `now`/`before`: kpi values of the period and the previous one; `rules`: the community's rules in
    force (window, overdue limit); `alert_rules`: its alert rules (the shipped defaults if None)."""
    context = context or Context()
    active = _active(alert_rules)
    out = [Alert("warning", t(s.key, lang, date=fmt.datetime(s.latest, lang) if s.latest else "—"), s.feed,
                 t(s.key, lang, date=fmt.datetime(s.latest, lang) if s.latest else "—"), None, "stale",
                 t("alert.short.stale", lang, feed=label("kind", s.feed, lang)))
           for s in context.stale]
    out += _capacity_alerts([r for r in active if r.metric == PEAK], now, context, lang) \
        if any(r.metric == PEAK for r in active) else []
    out += _overdue_alert([r for r in active if r.metric in OVERDUE and r.condition == "above"], now, context,
                          rules, lang)
    for rule in active:
        if rule.metric == PEAK or (rule.metric in OVERDUE and rule.condition == "above"):
            continue
        if rule.metric == REPEAT and rule.condition == "above":
            if fires(rule, _v(now, REPEAT), None):
                out += _repeat_alerts(rule, now, context, lang)
        elif rule.rule_id in SPECIFIC and fires(rule, _v(now, rule.metric), _v(before, rule.metric)):
            out += SPECIFIC[rule.rule_id](rule, now, before, rules, lang)
        elif rule.rule_id not in SPECIFIC:
            out += _generic(rule, now, before, lang)
    return sorted(out, key=lambda a: (a.rule_id != "stale", _LEVEL_ORDER.get(a.level, 1)))


def _rows(df: pd.DataFrame | None) -> list:
    return [] if df is None or df.empty else list(df.itertuples(index=False))


def context_from(peaks: pd.DataFrame | None = None, noise_buildings: pd.DataFrame | None = None,
                 overdue: pd.DataFrame | None = None, stale: Sequence[Stale] = (),
                 point_names: dict | None = None) -> Context:
    """A Context from the frames dashboard/queries.py returns: point_peaks (point_id, name, capacity,
    peak_ratio), noise_buildings (building_id, name, complaints), overdue_parcels (point_id)."""
    points = tuple(Point(str(r.point_id), str(r.name), None if fmt.is_missing(r.capacity) else float(r.capacity),
                         None if fmt.is_missing(r.peak_ratio) else float(r.peak_ratio)) for r in _rows(peaks))
    buildings = tuple(Building(str(r.building_id), str(r.name), int(r.complaints)) for r in _rows(noise_buildings))
    names = {p.point_id: p.name for p in points} | (point_names or {})
    by_point: tuple = ()
    if overdue is not None and not overdue.empty:
        counts = overdue.groupby("point_id").size().sort_values(ascending=False)
        by_point = tuple((names.get(str(pid), str(pid)), int(n)) for pid, n in counts.items())
    return Context(points, buildings, by_point, tuple(stale))


def stale_feeds(grain: str, period_start: dt.date, period_end: dt.date, latest: dict[str, dt.datetime | None],
                community_end: dt.datetime | None, stale_days: int) -> tuple[Stale, ...]:
    """Feeds the check relies on whose data stops short of the period while the community's data goes on
    (or stops there too): parcels absent for the last `stale_days` days of a week; no complaint in a month."""
    out = []
    end = dt.datetime.combine(period_end, dt.time())
    if grain == "week":
        p = latest.get("parcels")
        if p is None or p < end - dt.timedelta(days=stale_days):
            out.append(Stale("parcels", p, "stale.parcels_week"))
    else:
        c = latest.get("complaints")
        if c is None or c < dt.datetime.combine(period_start, dt.time()):
            out.append(Stale("complaints", c, "stale.complaints_month"))
    # a period the community's data has not reached yet is partial, said elsewhere; not a stale feed
    if community_end is not None and community_end < end:
        out = [s for s in out if s.latest is not None and s.latest < community_end - dt.timedelta(days=stale_days)]
    return tuple(out)


def stale_from_freshness(freshness: pd.DataFrame, grain: str, period_start: dt.date, period_end: dt.date,
                         community_end: dt.datetime | None) -> tuple[Stale, ...]:
    """`stale_feeds` over the feed_freshness query's frame (feed, latest_event) at the shipped STALE_DAYS:
    how the check pages and the briefs alike tell a feed that stopped from a quiet period."""
    latest = {f: (None if fmt.is_missing(x) else pd.Timestamp(x).to_pydatetime())
              for f, x in zip(freshness["feed"], freshness["latest_event"])}
    return stale_feeds(grain, period_start, period_end, latest, community_end, STALE_DAYS) if latest else ()
