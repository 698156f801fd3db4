"""The street comparison (街道对比, SPEC §6, §9) as one gathered thing that the page and the street brief
(xlsx, pdf, png) both draw, so the page and the forwarded file never disagree.

Its period is the street's, not the sidebar community's: the latest period that most of the street's
communities have complete (one community that stopped importing does not hold the street back; it is
named as behind, with the day its data ends). A community whose data does not cover the period is shown
but not ranked: its partial numbers never stand beside complete ones without saying so. One order for
the table, the bars and the brief: the chosen measure, the end that needs attention first.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from pipelines.metrics import PER_1K_HOUSEHOLDS, REGISTRY
from pipelines.periods import period_next, period_shift
from pipelines.present import format as fmt
from pipelines.present.alerts import Alert, alerts, context_from, stale_from_freshness
from pipelines.present.export import file_stem
from pipelines.present.i18n import METRIC_KIND, METRICS, label, metric_name, t
from pipelines.present.periods import data_end_text
from pipelines.reports.content import _built_at as built_at

TREND_PERIODS = 12
# what the street office looks at first: backlog, capacity, overdue, late noise, attendance, sales
SHOWN = ["complaints.open_at_end", "parcels.peak_occupancy_ratio", "parcels.overdue_rate",
         "complaints.noise_outside_hours", "training.attendance_rate", "orders.gmv_yuan"]
MEASURES = [*SHOWN[:3], *PER_1K_HOUSEHOLDS, *[m for m in METRICS if m not in SHOWN[:3]]]
# the digits each kind is shown with (pipelines/present/format.py value()); exports round to the same
DIGITS = {"rate": 3, "hours": 1, "per1k": 2, "yuan": 2, "count": 0}


def kind_of(measure: str) -> tuple[str, int]:
    """(unit kind, good direction) of a measure: a per-1,000 count is good the way its count is."""
    if measure in PER_1K_HOUSEHOLDS:
        return "per1k", METRIC_KIND[PER_1K_HOUSEHOLDS[measure]][1]
    return METRIC_KIND[measure]


def measure_name(measure: str, lang: str) -> str:
    return t(f"street.{measure}", lang) if measure in PER_1K_HOUSEHOLDS else metric_name(measure, lang)


def feed_of(measure: str) -> str:
    return REGISTRY[PER_1K_HOUSEHOLDS.get(measure, measure)].feed


def measure_value(measure: str, value, lang: str) -> str:
    return fmt.number(value, lang, 2) if measure in PER_1K_HOUSEHOLDS else fmt.value(measure, value, lang)


def measure_change(measure: str, now, before, lang: str) -> str:
    if fmt.is_missing(now) or fmt.is_missing(before):
        return "—"
    if measure in PER_1K_HOUSEHOLDS:   # at the precision shown: one that rounds away is 0, never "-0.00"
        d = float(now) - float(before)
        return "0" if round(d, 2) == 0 else f"{d:+.2f}"
    return fmt.delta(measure, now, before, lang) or "—"


def shown_number(measure: str, value) -> float | None:
    """The value rounded as the page shows it, still a number (a rate stays a share: 62.0% is 0.62)."""
    if fmt.is_missing(value):
        return None
    kind = kind_of(measure)[0]
    digits = DIGITS.get(kind, 2)
    if kind == "yuan" and abs(float(value)) >= 100:
        digits = 0
    return round(float(value), digits)


def measure_text(measure: str, lang: str) -> str:
    """What the measure is, in one sentence: a count per 1,000 households, an absolute count, a share…"""
    kind = kind_of(measure)[0]
    if kind == "per1k":
        return t("street.what.per1k", lang, name=measure_name(measure, lang),
                 metric=metric_name(PER_1K_HOUSEHOLDS[measure], lang))
    return t(f"street.what.{kind if kind in ('count', 'yuan', 'rate', 'hours') else 'count'}", lang,
             metric=metric_name(measure, lang))


def order_text(measure: str, lang: str) -> str:
    """How the one order runs for this measure, in words."""
    good = kind_of(measure)[1]
    return t({-1: "street.order.high_first", 1: "street.order.low_first"}.get(good, "street.order.high"), lang,
             measure=measure_name(measure, lang))


@dataclass(frozen=True)
class Completeness:
    """Which of the street's communities have each period complete (SPEC §6), and where their data ends.

    Per feed, from the snapshot reader's `period_coverage` (the published `coverage` table: a period is
    complete when every feed the community uses is). A community with no row for a period (its data stops
    before it) is not complete for it."""
    grain: str
    communities: tuple[str, ...]
    ends: dict   # community -> its latest event (any feed)
    done: dict   # (community, period) -> (complete, ((feed, data end), ...)), from coverage

    @classmethod
    def read(cls, src, grain: str, communities) -> Completeness:
        ends = {c: src("data_ends").get(c) for c in communities}
        pc = src("period_coverage", grain)   # a snapshot without the coverage table: the reader judges by data ends
        done = {(c, p): (bool(ok), tuple(late)) for c, p, ok, late in
                zip(pc["community_id"], pc["period_start"], pc["complete"], pc["behind"])}
        return cls(grain, tuple(communities), ends, done)

    def complete(self, community: str, period: dt.date) -> bool:
        return self.done.get((community, period), (False, ()))[0]

    def late_feeds(self, community: str, period: dt.date) -> tuple:
        """(feed, data end) of the feeds not brought up to the period; () when the whole community is behind."""
        return self.done.get((community, period), (False, ()))[1]

    def behind(self, period: dt.date) -> list[str]:
        return [c for c in self.communities if not self.complete(c, period)]

    def default_period(self, periods: list[dt.date]) -> dt.date | None:
        """The latest period complete for more than half of the communities (all of them for one or two):
        one community that stopped importing does not hold the street back, nor does one ahead lead it."""
        need = len(self.communities) // 2 + 1
        for p in reversed(periods):
            if len(self.communities) - len(self.behind(p)) >= need:
                return p
        return periods[-1] if periods else None


def period_choice_label(done: Completeness, period: dt.date, lang: str) -> str:
    """A period in the picker, with how many communities it is not complete for."""
    behind = done.behind(period)
    text = fmt.period(done.grain, period, lang)
    if not behind:
        return text + t("street.period.all_complete", lang)
    return text + t("street.period.behind", lang, n=len(behind), total=len(done.communities))


@dataclass(frozen=True)
class StreetView:
    lang: str
    street: str
    grain: str
    period: dt.date
    previous: dt.date | None
    measure: str
    rows: pd.DataFrame        # one row per community, in the one order: rank (None = not ranked), values…
    behind: tuple[tuple[str, str, dt.datetime | None, tuple], ...]   # (community_id, name, data end, late feeds)
    trend: pd.DataFrame       # community_id, name, period_start, value (complete periods only)
    found: dict               # community_id -> list[Alert]
    built_at: dt.datetime | None

    @property
    def title(self) -> str:
        return t("street.brief.title", self.lang, street=self.street)

    @property
    def notes(self) -> tuple[str, ...]:   # the share card's header reads a brief's notes
        return ()

    @property
    def label(self) -> str:
        return fmt.period(self.grain, self.period, self.lang)

    def tr(self, key: str, **values) -> str:
        return t(key, self.lang, **values)

    def stem(self) -> str:
        return file_stem(self.street, self.grain, self.period, self.tr("street.brief.what"), self.lang)

    def behind_lines(self) -> list[str]:
        return [self.tr("street.behind.line", name=name, end=self.end_text(end)) if not feeds else
                self.tr("street.behind.feeds", name=name, feeds="、".join(
                    self.tr("street.behind.feed", feed=label("kind", f, self.lang), end=self.end_text(e)) for f, e in feeds))
                for _, name, end, feeds in self.behind]

    def end_text(self, end: dt.datetime | None, short: bool = False) -> str:
        """The day a community's data runs to."""
        return "—" if end is None else data_end_text(end, self.lang, short=short)

    def table(self) -> pd.DataFrame:
        """The comparison as numbers rounded as shown, with Chinese headers (the workbook's sheet)."""
        r, lang, m = self.rows, self.lang, self.measure
        out = {self.tr("col.rank"): pd.array(r["rank"], dtype="Int64"), self.tr("col.community"): r["name"].astype(str),
               self.tr("street.col.data"): [self.state(c) for c in r["community_id"]],
               self.tr("street.col.chosen", measure=measure_name(m, lang)): [shown_number(m, x) for x in r["value"]],
               self.tr("street.col.change"): [shown_number(m, x) for x in r["change"]],
               self.tr("street.col.errors"): pd.array(r["errors"], dtype="Int64"),
               self.tr("street.col.warnings"): pd.array(r["warnings"], dtype="Int64")}
        for s in SHOWN:
            if s != m:
                out[metric_name(s, lang)] = [shown_number(s, x) for x in r[s]]
        return pd.DataFrame(out)

    def kinds(self) -> dict[str, str]:
        """Each numeric header of table() and its unit kind (for number formats)."""
        m, lang = self.measure, self.lang
        out = {self.tr("street.col.chosen", measure=measure_name(m, lang)): kind_of(m)[0],
               self.tr("street.col.change"): kind_of(m)[0]}
        return out | {metric_name(s, lang): kind_of(s)[0] for s in SHOWN if s != m}

    def not_imported(self, community: str, measure: str) -> bool:
        """The measure's feed is not brought up to the period for this community (SPEC §6: 未导入, never 0)."""
        late = {c: feeds for c, _, _, feeds in self.behind}
        if community not in late:
            return False
        return not late[community] or feed_of(measure) in {f for f, _ in late[community]}

    def shown(self, community: str, measure: str, value) -> str:
        """A value as the page shows it: 未导入 where its feed is not brought up to the period."""
        if self.not_imported(community, measure):
            return self.tr("tile.not_imported")
        return measure_value(measure, value, self.lang)

    def state(self, community: str, short: bool = False) -> str:
        end = {c: e for c, _, e, _ in self.behind}
        if community not in end:
            return self.tr("street.complete")
        return self.tr("street.partial_cell", end=self.end_text(end[community], short))


def streets(communities: pd.DataFrame, lang: str) -> dict[str, list[str]]:
    """street name -> its communities' ids; a community without a street is under one named so."""
    out: dict[str, list[str]] = {}
    for c, s in zip(communities["community_id"], communities["street"]):
        out.setdefault(s if isinstance(s, str) and s else t("street.none", lang), []).append(c)
    return out


def gather_street(src, street: str, communities: list[str], grain: str, period: dt.date, measure: str,
                  lang: str = "zh", done: Completeness | None = None) -> StreetView:
    """The comparison of `communities` (one street's) for the period starting on `period`."""
    names_frame = src("communities")
    names = dict(zip(names_frame["community_id"], names_frame["name"].astype(str)))
    done = done or Completeness.read(src, grain, communities)
    ends = done.ends
    periods = src("street_periods", grain)
    previous = period_shift(grain, period, -1)
    previous = previous if previous in periods else None
    now_long = src("street_measures", grain, period)
    now_long = now_long[now_long["community_id"].isin(communities)]
    before_long = src("street_measures", grain, previous) if previous else now_long.iloc[0:0]
    now = {c: dict(zip(g["measure"], g["value"])) for c, g in now_long.groupby("community_id")}
    before = {c: dict(zip(g["measure"], g["value"])) for c, g in before_long.groupby("community_id")}
    behind = done.behind(period)
    for c in behind:   # a feed not brought up to the period has counted nothing yet: no number, never 0
        late = {f for f, _ in done.late_feeds(c, period)}
        now[c] = {m: v for m, v in now.get(c, {}).items() if late and feed_of(m) not in late}
    found = {c: _alerts(src, c, grain, period, ends.get(c), now.get(c, {}), before.get(c, {}), lang)
             for c in communities if c in now}
    good = kind_of(measure)[1]
    records = []
    for c in communities:   # one with no data at all for the period is still listed (as behind)
        value = _num(now.get(c, {}).get(measure))
        prev = _num(before.get(c, {}).get(measure)) if c not in behind else None
        records.append({"community_id": c, "name": names.get(c, c), "complete": c not in behind,
                        "data_end": ends.get(c), "value": value, "previous": prev,
                        "change": None if value is None or prev is None else value - prev,
                        "errors": sum(a.level == "error" for a in found.get(c, [])),
                        "warnings": sum(a.level != "error" for a in found.get(c, [])),
                        **{s: _num(now.get(c, {}).get(s)) for s in SHOWN}})
    rows = _ranked(pd.DataFrame(records, columns=["community_id", "name", "complete", "data_end", "value", "previous",
                                                  "change", "errors", "warnings", *SHOWN]), good)
    first = periods[max(0, periods.index(period) - TREND_PERIODS + 1)] if period in periods else period
    trend = src("street_series", grain, measure, first, period)
    trend = trend[trend["community_id"].isin(communities)].copy()
    trend["period_start"] = pd.to_datetime(trend["period_start"]).dt.date
    trend = trend[[done.complete(c, p) for c, p in zip(trend["community_id"], trend["period_start"])]]
    trend["name"] = [names.get(c, c) for c in trend["community_id"]]
    return StreetView(lang, street, grain, period, previous, measure, rows,
                      tuple((c, names.get(c, c), ends.get(c), done.late_feeds(c, period)) for c in behind),
                      trend.reset_index(drop=True), found, built_at(src))


def _num(v) -> float | None:
    return None if fmt.is_missing(v) else float(v)


def _ranked(df: pd.DataFrame, good: int) -> pd.DataFrame:
    """Complete communities by the measure, the end that needs attention first (a missing value last),
    ranked 1…; then the communities not complete for the period, unranked."""
    values = pd.to_numeric(df["value"], errors="coerce")
    key = values if good == 1 else -values   # lower-is-better and neutral: highest first
    done = df[df["complete"]].assign(_key=key[df["complete"]]).sort_values(["_key", "name"], na_position="last",
                                                                        kind="stable")
    done["rank"] = [i + 1 if v is not None and not pd.isna(v) else None for i, v in enumerate(done["value"])]
    rest = df[~df["complete"]].sort_values("name", kind="stable").assign(rank=None)
    return pd.concat([done.drop(columns="_key"), rest], ignore_index=True)


def _alerts(src, community, grain, period, data_end, now, before, lang) -> list[Alert]:
    """The period's alerts as the community's own check page finds them."""
    end = period_next(grain, period)
    stale = stale_from_freshness(src("feed_freshness", community), grain, period, end, data_end)
    context = context_from(src("point_peaks", community, grain, period), src("noise_buildings", community, grain, period),
                           src("overdue_list", community, period, end), stale)
    kpi_now = {m: v for m, v in now.items() if m in METRIC_KIND}
    kpi_before = {m: v for m, v in before.items() if m in METRIC_KIND}
    return alerts(kpi_now, kpi_before, src("rules", community), lang, context, src.alert_rules(community))

