"""The only data access for pages: the viewer's scope, caching, and the store's own records.

The numbers come from the plain reader of the published build snapshot (pipelines/snapshot_reader.py,
which the briefs and the command line use too); here each of its queries is cached and held to the
viewer's scope first. Every cached call takes the snapshot path, so a new build is a new cache key and
the dashboard shows it without a restart. Records that must show the moment they are saved (action
items, cases, alert rules, reports) are read from the store itself, kept while the store is unchanged
(records_version); the audit trail and the imports a viewer owns for a few seconds.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import inspect
import os
import sys
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboard.auth import viewer
from pipelines import snapshot_reader
from pipelines.build.runner import current_snapshot
from pipelines.database import default_path, reading, writing
from pipelines.forecast import read as forecast_read
from pipelines.lake import city
from pipelines.records import access

Scope = tuple[str, ...]


def db_path() -> Path:
    return default_path()


# The pages a city lake's kpi serves when `linli serve --kpi-from DIR` names one (issue 18 item 4); the other
# pages need the marts of a local build and read the store's snapshot as before.
CITY_PAGES = ("overview", "street")


def city_lake() -> Path | None:
    """The lake `linli serve --kpi-from DIR` named, passed as the store's path is (LINLI_KPI_FROM, set by the
    command in the server's environment): nothing a viewer sends can choose it."""
    lake = os.environ.get("LINLI_KPI_FROM")
    return Path(lake) if lake else None


def snapshot(page: str | None = None) -> str | None:
    """The snapshot a page reads: the city snapshot of the lake's kpi on the city pages when a lake is named
    (made again when the lake's kpi changes; the last good one while it is being rewritten), else the store's
    newest build. None when there is none to read."""
    lake = city_lake()
    if lake is not None and page in CITY_PAGES:
        try:
            return str(city.city_snapshot(lake, db_path()))
        except (city.CityLakeError, duckdb.Error, OSError):
            return None
    snap = current_snapshot(db_path())
    return str(snap) if snap else None


def city_info(page: str | None) -> tuple[Path, dt.datetime] | None:
    """The lake a city page reads and when its kpi was written; None on other pages or without a lake."""
    snap = snapshot(page) if city_lake() is not None and page in CITY_PAGES else None
    return (city_lake(), built_at(snap)) if snap else None


def city_problem(lang: str) -> str | None:
    """Why the named lake cannot be served (what, where, how to fix), in the UI language; None when it can."""
    try:
        city.city_snapshot(city_lake(), db_path())
    except city.CityLakeError as exc:
        return exc.zh if lang == "zh" else exc.en
    except (duckdb.Error, OSError) as exc:
        return str(exc)
    return None


class OutOfScope(PermissionError):
    """A community outside the viewer's scope was asked for (a hand-edited URL, a page's bug)."""

    def __init__(self, community: str):
        self.community = community
        super().__init__(f"无权查看社区“{community}”的数据：它不在您的账号范围内。/ "
                         f"community '{community}' is outside this account's scope.")


def _cached(fn):
    """Cached by its arguments; a query that takes `scope` is also held to the viewer's scope first.

    The check runs on every call, outside the cache: `scope` is cut down to the communities the
    viewer may see and a `community` outside them raises OutOfScope. The cache key therefore
    holds the cut-down scope, so a cached value is only ever served for the scope it was read
    under, whoever asks (queries appended later get the same check by taking `scope`).
    """
    cached = st.cache_data(max_entries=512, show_spinner=False)(fn)
    signature = inspect.signature(fn)
    if "scope" not in signature.parameters:
        return cached

    @functools.wraps(fn)
    def within_scope(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        allowed = visible_communities(bound.arguments["snap"])
        community = bound.arguments.get("community")
        if community is not None and community not in allowed:
            raise OutOfScope(community)
        bound.arguments["scope"] = tuple(c for c in bound.arguments["scope"] if c in allowed)
        return cached(*bound.args, **bound.kwargs)
    within_scope.clear = cached.clear
    return within_scope


built_at = _cached(snapshot_reader.built_at)


communities = _cached(snapshot_reader.communities)


def visible_communities(snap: str) -> Scope:
    """The communities the signed-in viewer may see (SPEC §9), here and nowhere else: everything for
    an admin or while Linli runs open, one community for a director or member, the communities of one
    street office for an official. Raises auth.NotSignedIn when accounts exist and nobody is signed in."""
    account = viewer()
    return _scope_of(snap, access.sees(account), account and account.community_id, account and account.street)


def sees_everything() -> bool:
    return access.sees(viewer()) == "all"


_scope_of = _cached(snapshot_reader.scope_of)


periods = _cached(snapshot_reader.periods)


data_ends = _cached(snapshot_reader.data_ends)


kpi_series = _cached(snapshot_reader.kpi_series)


# ---- coverage: which feeds each period has (SPEC §6 "Completeness is per feed"; docstrings in the reader) ----

coverage = _cached(snapshot_reader.coverage)


period_coverage = _cached(snapshot_reader.period_coverage)


latest_complete_periods = _cached(snapshot_reader.latest_complete_periods)


latest_complete_period = _cached(snapshot_reader.latest_complete_period)


street_measures = _cached(snapshot_reader.street_measures)


street_periods = _cached(snapshot_reader.street_periods)


street_series = _cached(snapshot_reader.street_series)


rules = _cached(snapshot_reader.rules)


orders_by_channel = _cached(snapshot_reader.orders_by_channel)


top_sellers = _cached(snapshot_reader.top_sellers)


dwell_bins = _cached(snapshot_reader.dwell_bins)


pickups_heatmap = _cached(snapshot_reader.pickups_heatmap)


point_peaks = _cached(snapshot_reader.point_peaks)


point_daily = _cached(snapshot_reader.point_daily)


overdue_parcels = _cached(snapshot_reader.overdue_parcels)


complaints_by_category = _cached(snapshot_reader.complaints_by_category)


noise_by_hour = _cached(snapshot_reader.noise_by_hour)


noise_buildings = _cached(snapshot_reader.noise_buildings)


training_courses = _cached(snapshot_reader.training_courses)


jobs_mix = _cached(snapshot_reader.jobs_mix)


map_buildings = _cached(snapshot_reader.map_buildings)


map_points = _cached(snapshot_reader.map_points)


def own_imports(scope: Scope, snap: str | None = None) -> tuple[int, ...] | None:
    """The imports a viewer may see and undo: None (all) for an admin or the open demo; else those
    whose rows were all in the viewer's scope, as the audit trail recorded them."""
    if sees_everything():
        return None
    return _own_imports(str(db_path()), tuple(sorted(scope)), snap)


# `snap` only keys the cache: every import and undo builds a new snapshot, so a director sees
# his own import in the history (and may undo it) right after, not a few seconds later
@st.cache_data(ttl=5, show_spinner=False)
def _own_imports(db: str, scope: Scope, snap: str | None = None) -> tuple[int, ...]:
    from pipelines.database import borrowed
    from pipelines.records import audit
    if not scope:
        return ()
    with borrowed(db, create=False) as con:   # the process's one connection: never fails another thread
        return () if con is None else tuple(sorted(audit.imports_of(con, list(scope))))


def imports(snap: str, scope: Scope) -> pd.DataFrame:
    """The store's whole history for an admin; for others the imports of their own communities."""
    return _imports(snap, own_imports(_narrowed(snap, scope), snap))


_imports = _cached(snapshot_reader.imports)


def quarantine(snap: str, scope: Scope) -> pd.DataFrame:
    """Quarantined rows still waiting for a fix, newest import first. A row without a community could
    be anyone's: it is shown to those who may see its import."""
    scope = _narrowed(snap, scope)
    return _quarantine(snap, scope, own_imports(scope, snap))


_quarantine = _cached(snapshot_reader.quarantine)


def _narrowed(snap: str, scope: Scope) -> Scope:
    allowed = visible_communities(snap)
    return tuple(c for c in scope if c in allowed)


# ---- the store's records: kept while the store is unchanged, read again once it changed ----

def records_version() -> tuple:
    """What changes whenever the store does: its file's and its write-ahead log's modification time and size (every
    record write, import, undo and build commits to one or the other, a commit to the log makes it longer; a read
    changes neither). Two stats, so a page may key a cache of what it read from the records by it without opening
    the store."""
    path = db_path()
    files = (path, path.with_name(path.name + ".wal"))
    return tuple((s.st_mtime_ns, s.st_size) if (s := _stat(f)) else None for f in files)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


class _StoreBusy(Exception):
    """The store was held by another process as a record was to be read: what the page shows meanwhile (`shown`)
    is not kept, so that the records are read as soon as the store is free again."""

    def __init__(self, shown=None):
        super().__init__()
        self.shown = shown


@contextlib.contextmanager
def _records(db: str | Path, busy_shows=None):
    """A cursor on the store for a record read kept while it is unchanged (_while_unchanged): None before there is
    a store; while another process holds it, _StoreBusy(busy_shows), so what the page shows meanwhile is not kept."""
    with reading(db) as con:
        if con is None and Path(db).exists():
            raise _StoreBusy(busy_shows)
        yield con


def _while_unchanged(cached, *args):
    """cached(*args, version): a record read kept while the store is unchanged (records_version), instead of for a
    few seconds (it reopened the store every few seconds); what it shows while the store is busy is not kept."""
    try:
        return cached(*args, records_version())
    except _StoreBusy as busy:
        return busy.shown


def audit_trail(snap: str, scope: Scope, limit: int = 1000) -> pd.DataFrame:
    """The audit trail, newest first (read from the store: it grows with every login, between builds).
    An admin or the open demo sees all of it; a director her communities' rows."""
    communities = None if sees_everything() else _narrowed(snap, scope)
    return _audit_trail(str(db_path()), communities, limit)


@st.cache_data(ttl=5, show_spinner=False)
def _audit_trail(db: str, communities: Scope | None, limit: int) -> pd.DataFrame:
    from pipelines.database import borrowed
    from pipelines.records import audit
    columns = ["seq", "recorded_at", "user_name", "action", "community_id", "detail"]
    if communities == ():
        return pd.DataFrame(columns=columns)
    with borrowed(db, create=False) as con:   # the process's one connection: never fails another thread
        rows = [] if con is None else audit.trail(con, None if communities is None else list(communities), limit)
    return pd.DataFrame(rows, columns=columns)


# ---- checks: freshness, overdue list with buildings, alert rules and rule dates (H4) ----

feed_freshness = _cached(snapshot_reader.feed_freshness)


overdue_list = _cached(snapshot_reader.overdue_list)


def alert_rules(snap: str, scope: Scope, community: str):
    """The community's alert rules as the store holds them now (an edit shows at once), or None while an
    import or build holds the store (the pages then use the defaults and say so)."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _while_unchanged(_alert_rules, str(db_path()), community)


@st.cache_data(max_entries=512, show_spinner=False)
def _alert_rules(db: str, community: str, version: tuple):
    from pipelines.records import alert_rules
    if not Path(db).exists():
        return list(alert_rules.DEFAULTS)
    found = alert_rules.read(db, community)
    if found is None:
        raise _StoreBusy(None)
    return found


def rule_dates(snap: str, scope: Scope, community: str) -> dict:
    """The day the community's window and overdue limit took effect ({"window": date | None, ...})."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _while_unchanged(_rule_dates, str(db_path()), community)


@st.cache_data(max_entries=512, show_spinner=False)
def _rule_dates(db: str, community: str, version: tuple) -> dict:
    from pipelines.records import rules
    unknown = {"window": None, "overdue_hours": None}
    with _records(db, unknown) as con:
        return unknown if con is None else rules.adopted_on(rules.history(con, community))


def save_alert_rule(community: str, rule_id: str, user: str | None = None, **changes) -> None:
    """A rule edited on a check page, written to the store with its history and audit row, if the access
    policy lets the viewer change the community's alert rules (access.NotAllowed otherwise)."""
    from pipelines.records import alert_rules
    account = viewer()
    access.require(account, "alert_rules", community)   # before the store is opened: a refusal waits for no lock
    with writing(db_path()) as con:
        alert_rules.set_rule(con, community, rule_id, account=account, user=user, **changes)
    _alert_rules.clear()


followup_complaints = _cached(snapshot_reader.followup_complaints)


recent_complaints = _cached(snapshot_reader.recent_complaints)


# ---- governance records: action items and consultation cases (H2) ----
# Read from the store, not the snapshot: a record is a few small rows that must show the moment it
# is saved, and republishing the whole snapshot (every mart, seconds on a year of data) for each
# click would race the imports. The short read-only connection never waits; while an import or
# build holds the store it gives None and the page says so.

def governance(snap: str, scope: Scope, community: str) -> tuple[list, list] | None:
    """(action items, cases) of one community as stored now, or None while the store is busy."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _while_unchanged(_governance, str(db_path()), community)


@st.cache_data(max_entries=512, show_spinner=False)
def _governance(db: str, community: str, version: tuple) -> tuple[list, list] | None:
    from pipelines.records import actions as records
    from pipelines.records import cases
    with _records(db) as con:
        return ([], []) if con is None else (records.actions(con, [community]), cases.cases(con, [community]))


def _writers() -> dict:
    from pipelines.records import actions as records
    from pipelines.records import cases
    return {"action.add": records.add_action, "action.update": records.update_action, "case.add": cases.add_case,
            "case.step": cases.set_step, "case.party": cases.add_party, "case.meeting": cases.add_meeting,
            "case.agree": cases.agree, "case.metric": cases.link_metric, "case.note": cases.add_note}


def save_governance(snap: str, scope: Scope, what: str, *args, community: str | None = None,
                    user: str | None = None, **values):
    """One change to a record, with its history and audit row, in one transaction. `community` for a new
    record; an existing one (`action_id` / `case_id` first in args) is looked up, and either must be in
    the viewer's scope."""
    from pipelines.records import actions as records
    from pipelines.records import cases
    allowed = _narrowed(snap, scope)
    account = viewer()
    action = "actions" if what.startswith("action.") else "cases"
    access.require(account, action)      # before the store is opened: a refused role waits for no lock
    with writing(db_path()) as con:
        if what.startswith("action.") and what != "action.add":
            community = records.get_action(con, args[0]).community_id
        elif what.startswith("case.") and what != "case.add":
            community = cases.community_of(con, args[0])
        if community not in allowed:
            raise OutOfScope(str(community))
        access.require(account, action, community)
        new_args = (community, *args) if what in ("action.add", "case.add") else args
        result = _writers()[what](con, *new_args, user=user, **values)
    _governance.clear()
    return result


# ---- the monthly feedback round on 每月检查 (H9) ----

feedback_buildings = _cached(snapshot_reader.feedback_buildings)


community_buildings = _cached(snapshot_reader.community_buildings)


def taken_response_ids(snap: str, scope: Scope, community: str, prefix: str) -> set[str] | None:
    """The community's stored feedback ids that start with `prefix`, read from the store (the snapshot
    holds no rows), so a round entered by hand never reuses one; None while the store is busy."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    with reading(db_path()) as con:
        if con is None:
            return None if db_path().exists() else set()
        try:
            rows = con.execute("""SELECT response_id FROM cur_feedback
                                  WHERE community_id = ? AND starts_with(response_id, ?)""",
                               [community, prefix]).fetchall()
        except duckdb.CatalogException:   # a store from before the feedback feed
            return set()
    return {r[0] for r in rows}


# ---- the cooperative's books on 合作社 (issue 20) ----

coop_period = _cached(snapshot_reader.coop_period)


coop_fund_ledger = _cached(snapshot_reader.coop_fund_ledger)


coop_statements = _cached(snapshot_reader.coop_statements)


coop_reconcile = _cached(snapshot_reader.coop_reconcile)


coop_rent = _cached(snapshot_reader.coop_rent)


def coop_splits(snap: str, scope: Scope, community: str) -> list[tuple]:
    """The community's split adoptions as the store holds them now, newest first: (effective_from, members,
    coop, fund) each; empty where none was set (the default 70/20/10 applies) or while the store is busy."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _while_unchanged(_coop_splits, str(db_path()), community)


@st.cache_data(max_entries=512, show_spinner=False)
def _coop_splits(db: str, community: str, version: tuple) -> list[tuple]:
    from pipelines.records import coop_split
    with _records(db, []) as con:
        if con is None:
            return []
        try:
            rows = coop_split.splits(con, community)
        except duckdb.CatalogException:   # a store from before the cooperative's books
            return []

    def field(row, name):
        return row[name] if isinstance(row, dict) else getattr(row, name)
    return [(field(r, "effective_from"), field(r, "members_pct"), field(r, "coop_pct"), field(r, "fund_pct"))
            for r in rows]


# ---- 未来两周: the forecast tables of the snapshot (pipelines/forecast/read.py, bound parameters) ----

point_outlook = _cached(forecast_read.point_outlook)


forecast_accuracy = _cached(forecast_read.accuracy)


community_forecast = _cached(forecast_read.community_forecast)


# ---- the report to the street office on 每周检查 / 每月检查 and 街道对比 (issue 19 item 5) ----
# Read from the store, as the governance records are: a saved report shows at once, without a build.

BUSY = "busy"


def reports_of(snap: str, scope: Scope, communities: tuple[str, ...], grain: str, period) -> dict | str:
    """community -> its stored report (records/reports.Report) for the period, of the communities asked for that
    the viewer may read; BUSY while an import or build holds the store."""
    allowed = _narrowed(snap, scope)
    return _while_unchanged(_reports_of, str(db_path()), tuple(c for c in communities if c in allowed), grain, period)


@st.cache_data(max_entries=512, show_spinner=False)
def _reports_of(db: str, communities: tuple[str, ...], grain: str, period, version: tuple) -> dict | str:
    from pipelines.records import reports
    with _records(db, BUSY) as con:
        return {} if con is None else reports.of_period(con, list(communities), grain, period)


def save_report(snap: str, scope: Scope, community: str, grain: str, period, text: str, status: str):
    """The report saved (or marked sent) with its history and audit row, if the policy lets the viewer write
    this community's report (access.NotAllowed otherwise, before the store is opened)."""
    from pipelines.records import reports
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    account = viewer()
    access.require(account, "reports", community)
    with writing(db_path()) as con:
        saved = reports.save(con, community, grain, period, text, status, account=account)
    _reports_of.clear()
    return saved


def community_events(snap: str, scope: Scope, community: str) -> list[dict]:
    """The community's own events (pipelines/records/events.py), read from the store so an addition shows at once:
    kept while the store is unchanged (records_version), none while an import or build holds it."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _while_unchanged(_community_events, str(db_path()), community)


@st.cache_data(max_entries=256, show_spinner=False)
def _community_events(db: str, community: str, version: tuple) -> list[dict]:
    """`version` only keys the cache."""
    from pipelines.records import events
    with _records(db, []) as con:
        return [] if con is None else events.events(con, community)


def save_community_event(snap: str, scope: Scope, community: str, name: str, starts_on, ends_on) -> dict:
    """Add an event for the forecasts: the policy first (community_events), then the viewer's scope."""
    from pipelines.records import events
    account = viewer()
    access.require(account, "community_events", community)
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    with writing(db_path()) as con:
        return events.add_in(con, community, name, starts_on, ends_on, account=account)


def deliveries_of(snap: str, scope: Scope, community: str) -> list[dict]:
    """The community's scheduled deliveries (pipelines/reports/deliver.py), newest week first; none while busy."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _while_unchanged(_deliveries_of, str(db_path()), community)


@st.cache_data(max_entries=512, show_spinner=False)
def _deliveries_of(db: str, community: str, version: tuple) -> list[dict]:
    from pipelines.reports import deliver
    with _records(db, []) as con:
        return [] if con is None else deliver.deliveries(con, community)


# ---- a check page's meeting brief (pipelines/reports/content.py gather): its report section and downloads ----

def brief(snap: str, scope: Scope, community: str, grain: str, period: dt.date, lang: str):
    """The community's brief of the period as the viewer may see it (gather with the pages' own queries and scope).
    Gathered once per snapshot, viewer's scope, period, language and day while the store is unchanged
    (records_version): the report section and the downloads of a check page share it, and a rerun reuses it."""
    from pipelines.reports.content import gather
    scope = _narrowed(snap, scope)
    if community not in scope:
        raise OutOfScope(community)
    try:
        return _brief(snap, scope, community, grain, period, lang, dt.date.today(), records_version())
    except _StoreBusy:   # gathered again, without the records (as gather does while busy), and not kept
        return gather(source(snap, scope), community, grain, period, lang)


def source(snap: str, scope: Scope):
    """What the briefs, the report's draft and the street comparison read (reports.content.Source): these queries,
    held to the viewer's `scope`."""
    from pipelines.reports.content import Source
    return Source.for_viewer(sys.modules[__name__], snap, scope, db_path())


@st.cache_data(max_entries=64, show_spinner=False)
def _brief(snap: str, scope: Scope, community: str, grain: str, period: dt.date, lang: str, today: dt.date,
           version: tuple) -> object:
    """`scope` is the viewer's, already cut down (brief); `version` only keys the cache."""
    from pipelines.reports.content import gather
    with _records(db_path()):   # held open for gather's own record reads (database.one_connection)
        return gather(source(snap, scope), community, grain, period, lang, today)


def street_view(snap: str, street: str, members: tuple[str, ...], grain: str, period: dt.date, measure: str,
                lang: str):
    """街道对比's comparison of the street's communities the viewer may see (pipelines/reports/street.py gather_street,
    through these queries in that scope), gathered once per snapshot, communities, period, measure and language while
    the store is unchanged (records_version: the communities' alert rules are records): some 80 cached reads a view."""
    from pipelines.reports.street import gather_street
    allowed = visible_communities(snap)
    members = tuple(c for c in members if c in allowed)
    try:
        return _street_view(snap, street, members, grain, period, measure, lang, records_version())
    except _StoreBusy:   # the alert rules unread: gathered with the defaults, as while busy, and not kept
        return gather_street(source(snap, members), street, list(members), grain, period, measure, lang)


@st.cache_data(max_entries=64, show_spinner=False)
def _street_view(snap: str, street: str, members: tuple[str, ...], grain: str, period: dt.date, measure: str,
                 lang: str, version: tuple) -> object:
    """`members` already cut down to the viewer's scope (street_view); `version` only keys the cache."""
    from pipelines.reports.street import gather_street
    with _records(db_path()):   # held open for the alert rules of every community
        return gather_street(source(snap, members), street, list(members), grain, period, measure, lang)
