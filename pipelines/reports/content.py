"""What a meeting brief holds, gathered from the same queries, alert rules and records the check pages use.

A `Source` is where the brief reads: the dashboard hands in its own cached queries and the viewer's
scope, exactly as the pages read; the command line reads through the plain snapshot reader and sees
every community. Both read the same published snapshot with the same SQL; only the scope differs.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import snapshot_reader
from pipelines.errors import UserError
from pipelines.metrics import feed_of
from pipelines.periods import is_complete, period_last_day, period_next, period_start
from pipelines.present import coop
from pipelines.present import format as fmt
from pipelines.present.alerts import alerts, context_from, stale_from_freshness
from pipelines.present.checklists import BY_GRAIN  # the check pages' own lists of numbers
from pipelines.present.coverage import behind_text, missing_by_period, not_imported
from pipelines.present.i18n import METRIC_KIND, metric_name, t
from pipelines.present.periods import period_label
from pipelines.records import alert_rules
from pipelines.reports.brief import CARD, TREND_PERIODS, Brief, Headline, Table
from pipelines.reports.record_tables import actions_table, cases_table


@dataclass(frozen=True)
class Source:
    """Where a brief reads: `queries` is a module of snapshot queries called as `queries.name(snap, scope,
    ...)` — the plain reader (pipelines/snapshot_reader.py) for the command line, or the dashboard's
    cached layer (dashboard/queries.py), which holds every call to the viewer's scope — and
    `read_alert_rules(community)` gives the community's alert rules as the store holds them now."""
    queries: Any
    snap: str
    scope: tuple[str, ...]
    db: Path
    read_alert_rules: Callable[[str], list | None]

    @classmethod
    def for_viewer(cls, queries: Any, snap: str, scope: tuple[str, ...], db: Path) -> "Source":
        """The pages' own queries and scope: the brief shows exactly what the viewer may see."""
        return cls(queries, snap, scope, db, lambda community: queries.alert_rules(snap, scope, community))

    @classmethod
    def for_operator(cls, db: Path) -> "Source":
        """The command line's: its user holds the database file itself and so sees every community
        (SPEC §9 governs the dashboard's viewers)."""
        snap = snapshot_of(db)
        everything = snapshot_reader.scope_of(snap, "all", None, None)

        def read_rules(community: str):
            return alert_rules.read(db, community) if db.exists() else list(alert_rules.DEFAULTS)
        return cls(snapshot_reader, snap, tuple(everything), db, read_rules)

    def __call__(self, name: str, *args):
        return getattr(self.queries, name)(self.snap, self.scope, *args)

    def alert_rules(self, community: str):
        """The rules as the store holds them now (None while an import or build holds it)."""
        return self.read_alert_rules(community)


def _value(values: dict, metric: str) -> float | None:
    v = values.get(metric)
    return None if fmt.is_missing(v) else float(v)


def gather(src: Source, community: str, grain: str, day: dt.date, lang: str = "zh",
           today: dt.date | None = None) -> Brief:
    """The brief of the period holding `day`. A community or period without data is a UserError."""
    start = period_start(grain, day)
    names = src("communities")
    if community not in set(names["community_id"]):
        known = "、".join(names["community_id"]) or "—"
        raise UserError(t("brief.err.community", "zh", community=community, known=known),
                        t("brief.err.community", "en", community=community, known=known))
    periods = src("periods", community, grain)
    if start not in periods:
        def span(lang: str) -> dict:   # whole days: a week label alone hides the year of its Monday
            if not periods:
                return {"first": "—", "last": "—"}
            return {"first": fmt.date(periods[0], lang),
                    "last": fmt.date(period_last_day(grain, periods[-1]), lang)}
        raise UserError(t("brief.err.period", "zh", community=community, period=fmt.period(grain, start, "zh"), **span("zh")),
                        t("brief.err.period", "en", community=community, period=fmt.period(grain, start, "en"), **span("en")))
    row = names.set_index("community_id").loc[community]
    data_end = src("data_ends").get(community)
    i = periods.index(start)
    previous = periods[i - 1] if i > 0 else None
    series = src("kpi_series", community, grain, periods[max(0, i - TREND_PERIODS + 1)], start)
    series["period_start"] = pd.to_datetime(series["period_start"]).dt.date
    missing, behind = _coverage(src, community, grain, start)
    # a feed not brought up to a period has no numbers there (SPEC §6): kpi's 0 is not shown, compared,
    # charted or alerted on, as the pages do (dashboard/parts/ui.py period_values)
    series = series[[feed_of(m) not in missing.get(p, ()) for m, p in zip(series["metric"], series["period_start"])]]
    now = dict(series.loc[series["period_start"] == start, ["metric", "value"]].values)
    before = dict(series.loc[series["period_start"] == previous, ["metric", "value"]].values) if previous else {}
    metrics = BY_GRAIN[grain]
    headlines = tuple(Headline(m, metric_name(m, lang), METRIC_KIND[m][0], METRIC_KIND[m][1],
                               _value(now, m), _value(before, m), feed_of(m) in missing.get(start, ()))
                      for m in metrics)
    end = period_next(grain, start)
    peaks = src("point_peaks", community, grain, start)
    buildings = src("noise_buildings", community, grain, start)
    overdue = src("overdue_list", community, start, end)
    found = _alerts(src, community, grain, start, end, data_end, now, before, peaks, buildings, overdue, lang)
    found = list(found) + (_breach_alerts(src, community, end, lang) if grain == "week" else [])
    card = tuple(m for m in CARD[grain] if m in METRIC_KIND)
    notes = ()
    if not is_complete(grain, start, data_end) and data_end is not None:
        notes = (t("brief.partial", lang, end=fmt.datetime(data_end, lang)),)
    late = not_imported(metrics, behind, missing.get(start, ()))
    if late:   # which feeds the 未导入 numbers stand for, and the day each one's data runs to
        notes += (t("check.not_imported", lang, feeds=behind_text(late, lang)),)
    coop_sheet, coop_note = _coop(src, community, grain, start, "coop" in missing.get(start, ()), lang)
    notes += coop_note
    brief = Brief(lang, community, str(row["name"]), grain, start, period_label(grain, start, data_end, lang),
                 period_label(grain, previous, data_end, lang) if previous else None,
                 not is_complete(grain, start, data_end) or bool(behind), headlines, card, tuple(found), series,
                 _details(grain, peaks, buildings, overdue, lang) + coop_sheet, actions_table(src, community, lang, today),
                 cases_table(src, community, lang), _built_at(src), notes,
                 no_data=tuple(feed for feed, end in late if end is None))
    if lang != "zh":   # the report goes to the street office in Chinese; an English brief carries none
        return brief
    from dataclasses import replace

    from pipelines.reports.draft_data import report_text
    return replace(brief, report=report_text(src, brief, today))


def _coverage(src: Source, community: str, grain: str, start: dt.date) -> tuple[dict, list]:
    """(period -> the feeds not complete for it, [(feed, data end)] of the feeds in use behind at `start`)
    from the coverage table (snapshot_reader.coverage, period_coverage)."""
    missing = missing_by_period(src("coverage", grain, community))
    pc = src("period_coverage", grain, community)
    behind = [late for p, late in zip(pc["period_start"], pc["behind"]) if p == start]
    return missing, list(behind[0]) if behind else []


def _built_at(src: Source) -> dt.datetime | None:
    try:
        return src.queries.built_at(src.snap)
    except Exception:   # an old snapshot without build_info: the brief just leaves the line out
        return None


def _alerts(src: Source, community, grain, start, end, data_end, now, before, peaks, buildings, overdue, lang):
    """The period's alerts as the check page finds them (dashboard/parts/ui.py alert_context + period_alerts)."""
    stale = stale_from_freshness(src("feed_freshness", community), grain, start, end, data_end)
    context = context_from(peaks, buildings, overdue, stale)
    return alerts(now, before, src("rules", community), lang, context, src.alert_rules(community))


def _breach_alerts(src: Source, community: str, end: dt.date, lang: str) -> list:
    """未来两周's alerts before a breach (pipelines/present/outlook.py), as 每周检查 shows them: for a week whose
    next days the forecast covers (it starts within a week of the period's end), not for an old week."""
    from pipelines.forecast import read
    from pipelines.present.outlook import breach_alerts
    points = read.point_outlook(src.snap, src.scope, community)
    if points.empty or pd.Timestamp(points["day"].min()).date() > end + dt.timedelta(days=7):
        return []
    return breach_alerts(points, lang, src.alert_rules(community))


def _details(grain: str, peaks: pd.DataFrame, buildings: pd.DataFrame, overdue: pd.DataFrame, lang: str):
    tr = lambda key: t(key, lang)   # noqa: E731
    out = []
    if not peaks.empty:
        frame = pd.DataFrame({tr("col.point_name"): peaks["name"].astype(str), tr("col.point_id"): peaks["point_id"].astype(str),
                              tr("col.capacity"): pd.array(peaks["capacity"], dtype="Float64"),
                              tr("col.peak_in_stock"): pd.array(peaks["peak_in_stock"], dtype="Float64"),
                              tr("col.peak_ratio"): pd.array(peaks["peak_ratio"], dtype="Float64"),
                              tr("col.peak_hour"): pd.to_datetime(peaks["peak_hour"])})
        out.append(Table(tr("brief.sheet.peaks"), frame, frozenset({tr("col.peak_ratio")})))
    if not overdue.empty:
        frame = pd.DataFrame({tr("col.parcel_id"): overdue["parcel_id"].astype(str),
                              tr("col.point_name"): overdue["point_name"].astype(str),
                              tr("col.building_id"): overdue["building_id"].astype(object).where(overdue["building_id"].notna(), None),
                              tr("col.carrier"): overdue["carrier"].astype(object).where(overdue["carrier"].notna(), None),
                              tr("col.arrived_at"): pd.to_datetime(overdue["arrived_at"]),
                              tr("col.picked_up_at"): pd.to_datetime(overdue["picked_up_at"]),
                              tr("col.waited_hours"): pd.array(overdue["waited_hours"], dtype="Float64"),
                              tr("col.still_waiting"): [tr("yes") if w else tr("no") for w in overdue["still_waiting"]]})
        out.append(Table(tr("brief.sheet.overdue"), frame))
    if not buildings.empty:
        frame = pd.DataFrame({tr("col.name"): buildings["name"].astype(str), tr("col.building_id"): buildings["building_id"].astype(str),
                              tr("col.complaints"): pd.array(buildings["complaints"], dtype="Int64"),
                              tr("col.outside_hours"): pd.array(buildings["outside_hours"], dtype="Int64")})
        out.append(Table(tr("brief.sheet.buildings"), frame))
    return tuple(out)


def _coop(src: Source, community: str, grain: str, start: dt.date, absent: bool, lang: str):
    """The monthly brief's cooperative (issue 20): a sheet of the month's books (sales, costs, profit, the three
    shares with the split used, the fund and each payment with its purpose and date) and a line with the
    fund's month-end balance and what it paid for. Nothing for a week, nor where the coop feed is not
    imported to the month (its numbers read 未导入 in the headlines, and that note names the feed)."""
    if grain != "month" or absent:
        return (), ()
    books = src("coop_period", community, grain, start, start)
    if books.empty:
        return (), ()
    row = books.iloc[0]
    ledger = src("coop_fund_ledger", community, period_next(grain, start))
    if ledger.empty and not any(row[k] for k in ("sales_yuan", "costs_yuan", "rent_yuan")):
        return (), ()   # before the cooperative's first entry: no books to print, not a month of zeros
    spends = coop.month_spends(ledger, start)
    members, share, fund = coop.split_of(row.to_dict())
    split = t("brief.coop.split", lang, members=coop.pct(members), coop=coop.pct(share), fund=coop.pct(fund))
    column = {"coop.members_share_yuan": "members_share_yuan"}
    items = [(metric_name(m, lang), row[m.split(".")[1]], split if m in column else "") for m in coop.BOOK_METRICS]
    items += [(t("brief.coop.spend_item", lang, purpose=coop.purpose_text("spent", p, d, lang)), a,
               fmt.date(pd.Timestamp(d).date(), lang)) for p, a, d in
              zip(spends["purpose"], spends["amount_yuan"], spends["day"])]
    frame = pd.DataFrame({t("coop.col.item", lang): [i for i, _, _ in items],
                          t("coop.col.amount", lang): pd.array([None if fmt.is_missing(a) else round(float(a), 2)
                                                                for _, a, _ in items], dtype="Float64"),
                          t("coop.col.note", lang): [n for _, _, n in items]})
    return (Table(t("brief.sheet.coop_books", lang), frame),), (coop.fund_sentence(row["fund_balance_yuan"], spends, lang),)


def snapshot_of(db: Path) -> str:
    """The published build the brief reads, or a UserError that says to build first."""
    from pipelines.build.runner import current_snapshot
    snap = current_snapshot(db)
    if snap is None:
        raise UserError(t("brief.err.no_build", "zh", db=str(db)), t("brief.err.no_build", "en", db=str(db)))
    return str(snap)
