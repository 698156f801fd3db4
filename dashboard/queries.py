"""The only data access for pages: read-only, cached, bound parameters, small frames out.

Pages read the newest published build snapshot (see pipelines/build.py). Every
cached call takes the snapshot path, so a new build is a new cache key and the
dashboard shows it without a restart. Every query takes the communities the
viewer may see (`scope`) and filters on them here, not in the pages.
"""
from __future__ import annotations

import datetime as dt
import functools
import inspect
import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines.build.runner import current_snapshot

Scope = tuple[str, ...]


def db_path() -> Path:
    return Path(os.environ.get("LINLI_DB", "data/linli.duckdb"))


def snapshot() -> str | None:
    snap = current_snapshot(db_path())
    return str(snap) if snap else None


@st.cache_resource(max_entries=3, show_spinner=False)
def _connection(snap: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(snap, read_only=True)


def _frame(snap: str, sql: str, params: list) -> pd.DataFrame:
    cursor = _connection(snap).cursor()   # one cursor per query: connections are shared across sessions
    try:
        return cursor.execute(sql, params).df()
    finally:
        cursor.close()


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


@_cached
def built_at(snap: str) -> dt.datetime:
    return _frame(snap, "SELECT built_at FROM build_info", [])["built_at"][0].to_pydatetime()


@_cached
def communities(snap: str, scope: Scope) -> pd.DataFrame:
    """Communities with any period in kpi, with names and households where imported."""
    return _frame(snap, """
        SELECT k.community_id, coalesce(c.name, k.community_id) AS name, c.street, c.households, c.lat, c.lon
        FROM (SELECT DISTINCT community_id FROM kpi) k LEFT JOIN stg_communities c USING (community_id)
        WHERE list_contains(?::VARCHAR[], k.community_id) ORDER BY k.community_id""", [list(scope)])


def visible_communities(snap: str) -> Scope:
    """The communities the signed-in viewer may see (SPEC §9), here and nowhere else: everything for
    an admin or while Linli runs open, one community for a director or member, the communities of one
    street office for an official. Raises auth.NotSignedIn when accounts exist and nobody is signed in."""
    from dashboard.auth import viewer    # auth reads db_path from here
    account = viewer()
    if account is None:
        return _scope_of(snap, "admin", None, None)
    return _scope_of(snap, account.role, account.community_id, account.street)


def sees_everything() -> bool:
    from dashboard.auth import viewer
    account = viewer()
    return account is None or account.role == "admin"


@_cached
def _scope_of(snap: str, role: str, community: str | None, street: str | None) -> Scope:
    if role == "admin":
        sql, params = "SELECT DISTINCT community_id FROM kpi ORDER BY 1", []
    elif role == "official":
        sql = """SELECT DISTINCT k.community_id FROM kpi k JOIN stg_communities c USING (community_id)
                 WHERE c.street = ? ORDER BY 1"""
        params = [street]
    elif role in ("director", "member"):
        sql, params = "SELECT DISTINCT community_id FROM kpi WHERE community_id = ?", [community]
    else:
        return ()
    return tuple(_frame(snap, sql, params)["community_id"])


@_cached
def periods(snap: str, scope: Scope, community: str, grain: str) -> list[dt.date]:
    df = _frame(snap, """SELECT DISTINCT period_start FROM kpi
                          WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? ORDER BY 1""",
                [list(scope), community, grain])
    return [d.date() for d in pd.to_datetime(df["period_start"])]


@_cached
def _has_column(snap: str, table: str, column: str) -> bool:
    return not _frame(snap, """SELECT 1 FROM information_schema.columns WHERE table_name = ? AND column_name = ?""",
                      [table, column]).empty


@_cached
def data_ends(snap: str, scope: Scope) -> dict[str, dt.datetime]:
    """How far each community's data runs (SPEC §6): its latest event time.

    The snapshot publishes no row-level tables, so unless period_spine carries the exact `data_end`
    this is the latest time the published marts show: the start of the community's last week and
    month, its overdue parcels' times and the last week's pickup hours. That is never later than
    the truth and never earlier than the start of the last period, so it tells complete periods
    from the partial last one exactly; only the day shown for that one can be early.
    """
    if _has_column(snap, "period_spine", "data_end"):
        sql = """SELECT community_id, max(data_end)::TIMESTAMP AS data_end FROM period_spine
                 WHERE list_contains(?::VARCHAR[], community_id) GROUP BY 1"""
    else:
        sql = """
        WITH last_week AS (
            SELECT community_id, max(period_start) AS period_start FROM period_spine WHERE grain = 'week' GROUP BY 1
        ),
        evidence AS (
            SELECT community_id, max(period_start)::TIMESTAMP AS t FROM period_spine GROUP BY 1
            UNION ALL
            SELECT community_id, max(greatest(arrived_at, coalesce(picked_up_at, arrived_at))) FROM mart_overdue_parcels GROUP BY 1
            UNION ALL
            SELECT h.community_id, max(h.period_start + (h.weekday - 1) * INTERVAL 1 DAY + h.hour * INTERVAL 1 HOUR)
            FROM mart_parcel_pickups_hour h JOIN last_week w USING (community_id, period_start)
            WHERE h.grain = 'week' GROUP BY 1
        )
        SELECT community_id, max(t) AS data_end FROM evidence
        WHERE list_contains(?::VARCHAR[], community_id) GROUP BY 1"""
    df = _frame(snap, sql, [list(scope)])
    return {c: pd.Timestamp(t).to_pydatetime() for c, t in zip(df["community_id"], df["data_end"]) if not pd.isna(t)}


@_cached
def kpi_series(snap: str, scope: Scope, community: str, grain: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """period_start, metric, value for start <= period_start <= end."""
    return _frame(snap, """SELECT period_start, metric, value FROM kpi
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start BETWEEN ? AND ?
                            ORDER BY period_start, metric""", [list(scope), community, grain, start, end])


@_cached
def kpi_street(snap: str, scope: Scope, grain: str, period: dt.date) -> pd.DataFrame:
    return _frame(snap, """SELECT k.community_id, coalesce(c.name, k.community_id) AS name, c.households,
                                   k.metric, k.value
                            FROM kpi k LEFT JOIN stg_communities c USING (community_id)
                            WHERE list_contains(?::VARCHAR[], k.community_id) AND k.grain = ? AND k.period_start = ?""",
                  [list(scope), grain, period])


@_cached
def rules(snap: str, scope: Scope, community: str) -> dict:
    df = _frame(snap, "SELECT * FROM community_rules_effective WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ?",
                [list(scope), community])
    if df.empty:
        from pipelines.records.rules import DEFAULT_RULES
        return dict(DEFAULT_RULES)
    row = df.iloc[0]
    return {"window_start": row["window_start"], "window_end": row["window_end"],
            "overdue_hours": float(row["overdue_hours"])}


@_cached
def orders_by_channel(snap, scope, community, grain, start, end) -> pd.DataFrame:
    return _frame(snap, """SELECT period_start, channel, orders, gmv_yuan FROM mart_orders_channel
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ?
                             AND period_start BETWEEN ? AND ? ORDER BY period_start""",
                  [list(scope), community, grain, start, end])


@_cached
def top_sellers(snap, scope, community, grain, period, limit: int = 10) -> pd.DataFrame:
    return _frame(snap, """SELECT seller_id, channel, orders, gmv_yuan, is_new FROM mart_orders_seller
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ?
                            ORDER BY gmv_yuan DESC, orders DESC, seller_id LIMIT ?""",
                  [list(scope), community, grain, period, limit])


@_cached
def dwell_bins(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT bin, parcels FROM mart_parcel_dwell_bins
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ? ORDER BY bin""",
                  [list(scope), community, grain, period])


@_cached
def pickups_heatmap(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT weekday, hour, pickups FROM mart_parcel_pickups_hour
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ?""",
                  [list(scope), community, grain, period])


@_cached
def point_peaks(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT p.point_id, coalesce(s.name, p.point_id) AS name, p.capacity, p.peak_in_stock,
                                   p.peak_ratio, p.peak_hour
                            FROM mart_point_peak p LEFT JOIN stg_points s USING (community_id, point_id)
                            WHERE list_contains(?::VARCHAR[], p.community_id) AND p.community_id = ?
                              AND p.grain = ? AND p.period_start = ? ORDER BY p.peak_ratio DESC""",
                  [list(scope), community, grain, period])


@_cached
def point_daily(snap, scope, community, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _frame(snap, """SELECT d.day, coalesce(s.name, d.point_id) AS name, d.peak_ratio
                            FROM mart_point_daily d LEFT JOIN stg_points s USING (community_id, point_id)
                            WHERE list_contains(?::VARCHAR[], d.community_id) AND d.community_id = ?
                              AND d.day >= ? AND d.day < ? ORDER BY d.day""",
                  [list(scope), community, start, end])


@_cached
def overdue_parcels(snap, scope, community, start: dt.date, end: dt.date, limit: int = 500) -> pd.DataFrame:
    return _frame(snap, """SELECT parcel_id, point_id, carrier, arrived_at, picked_up_at, waited_hours, still_waiting
                            FROM mart_overdue_parcels
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND arrived_at >= ? AND arrived_at < ?
                            ORDER BY still_waiting DESC, waited_hours DESC LIMIT ?""",
                  [list(scope), community, start, end, limit])


@_cached
def complaints_by_category(snap, scope, community, grain, start, end) -> pd.DataFrame:
    return _frame(snap, """SELECT period_start, category, complaints FROM mart_complaints_category
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ?
                             AND period_start BETWEEN ? AND ? ORDER BY period_start""",
                  [list(scope), community, grain, start, end])


@_cached
def noise_by_hour(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT hour, complaints, outside_hours FROM mart_noise_hour
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ? ORDER BY hour""",
                  [list(scope), community, grain, period])


@_cached
def noise_buildings(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT n.building_id, coalesce(b.name, n.building_id) AS name, n.complaints, n.outside_hours
                            FROM mart_noise_buildings n LEFT JOIN stg_buildings b USING (community_id, building_id)
                            WHERE list_contains(?::VARCHAR[], n.community_id) AND n.community_id = ?
                              AND n.grain = ? AND n.period_start = ?
                            ORDER BY n.complaints DESC, n.building_id""",
                  [list(scope), community, grain, period])


@_cached
def training_courses(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT course_type, sessions, registrations, attended, participants, elderly_participants
                            FROM mart_training_course
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ?
                            ORDER BY sessions DESC, course_type""", [list(scope), community, grain, period])


@_cached
def jobs_mix(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT employment_type, role, started, via_training, median_monthly_income_yuan
                            FROM mart_jobs_breakdown
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ?
                            ORDER BY started DESC""", [list(scope), community, grain, period])


@_cached
def map_buildings(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT b.building_id, b.name, b.lat, b.lon, coalesce(n.complaints, 0) AS complaints
                            FROM stg_buildings b LEFT JOIN mart_noise_buildings n
                              ON n.community_id = b.community_id AND n.building_id = b.building_id
                             AND n.grain = ? AND n.period_start = ?
                            WHERE list_contains(?::VARCHAR[], b.community_id) AND b.community_id = ?
                              AND b.lat IS NOT NULL AND b.lon IS NOT NULL""",
                  [grain, period, list(scope), community])


@_cached
def map_points(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT s.point_id, s.name, s.lat, s.lon, s.capacity, p.peak_ratio
                            FROM stg_points s LEFT JOIN mart_point_peak p
                              ON p.community_id = s.community_id AND p.point_id = s.point_id
                             AND p.grain = ? AND p.period_start = ?
                            WHERE list_contains(?::VARCHAR[], s.community_id) AND s.community_id = ?
                              AND s.lat IS NOT NULL AND s.lon IS NOT NULL""",
                  [grain, period, list(scope), community])


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
    from pipelines.records import audit
    from pipelines.database import connect
    if not scope or not Path(db).exists():
        return ()
    con = connect(db)
    try:
        return tuple(sorted(audit.imports_of(con, list(scope))))
    finally:
        con.close()


def imports(snap: str, scope: Scope) -> pd.DataFrame:
    """The store's whole history for an admin; for others the imports of their own communities."""
    return _imports(snap, own_imports(_narrowed(snap, scope), snap))


@_cached
def _imports(snap: str, own: tuple[int, ...] | None) -> pd.DataFrame:
    return _frame(snap, """SELECT import_id, kind, file_name, imported_at, rows_read, rows_new, rows_replaced,
                                  rows_quarantined, status FROM imports
                           WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], import_id)
                           ORDER BY import_id DESC""", [_ids(own), _ids(own)])


def quarantine(snap: str, scope: Scope) -> pd.DataFrame:
    """Quarantined rows still waiting for a fix, newest import first. A row without a community could
    be anyone's: it is shown to those who may see its import."""
    scope = _narrowed(snap, scope)
    return _quarantine(snap, scope, own_imports(scope, snap))


@_cached
def _quarantine(snap: str, scope: Scope, own: tuple[int, ...] | None) -> pd.DataFrame:
    return _frame(snap, """SELECT import_id, kind, file_name, row_number, reason_zh, reason_en, raw
                           FROM quarantine_open
                           WHERE list_contains(?::VARCHAR[], community_id)
                              OR (community_id IS NULL AND (?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], import_id)))
                           ORDER BY import_id DESC, row_number""", [list(scope), _ids(own), _ids(own)])


def _ids(own: tuple[int, ...] | None) -> list[int] | None:
    return None if own is None else list(own)


def _narrowed(snap: str, scope: Scope) -> Scope:
    allowed = visible_communities(snap)
    return tuple(c for c in scope if c in allowed)


def audit_trail(snap: str, scope: Scope, limit: int = 1000) -> pd.DataFrame:
    """The audit trail, newest first (read from the store: it grows with every login, between builds).
    An admin or the open demo sees all of it; a director her communities' rows."""
    communities = None if sees_everything() else _narrowed(snap, scope)
    return _audit_trail(str(db_path()), communities, limit)


@st.cache_data(ttl=5, show_spinner=False)
def _audit_trail(db: str, communities: Scope | None, limit: int) -> pd.DataFrame:
    from pipelines.records import audit
    from pipelines.database import connect
    columns = ["seq", "recorded_at", "user_name", "action", "community_id", "detail"]
    if not Path(db).exists() or communities == ():
        return pd.DataFrame(columns=columns)
    con = connect(db)
    try:
        rows = audit.trail(con, None if communities is None else list(communities), limit)
    finally:
        con.close()
    return pd.DataFrame(rows, columns=columns)


# ---- checks: freshness, overdue list with buildings, alert rules and rule dates (H4) ----

@_cached
def feed_freshness(snap: str, scope: Scope, community: str) -> pd.DataFrame:
    """feed, latest_event, rows for the community; and the last import of each feed (the store's
    history is not per community: a feed imported for any community counts as imported)."""
    if not _has_column(snap, "mart_feed_freshness", "feed"):
        return pd.DataFrame(columns=["feed", "latest_event", "rows", "last_import"])
    return _frame(snap, """
        WITH imported AS (
            SELECT kind AS feed, max(imported_at) AS last_import FROM imports WHERE status <> 'undone' GROUP BY 1
        )
        SELECT f.feed, f.latest_event, f.rows, i.last_import
        FROM mart_feed_freshness f LEFT JOIN imported i USING (feed)
        WHERE list_contains(?::VARCHAR[], f.community_id) AND f.community_id = ?
        ORDER BY f.feed""", [list(scope), community])


@_cached
def overdue_list(snap, scope, community, start: dt.date, end: dt.date, limit: int = 500) -> pd.DataFrame:
    """The overdue parcels with their point's name and, where the feed records it, the building."""
    building = ("o.building_id" if _has_column(snap, "mart_overdue_parcels", "building_id")
                else "NULL::VARCHAR AS building_id")
    return _frame(snap, f"""SELECT o.parcel_id, o.point_id, coalesce(s.name, o.point_id) AS point_name, {building},
                                   o.carrier, o.arrived_at, o.picked_up_at, o.waited_hours, o.still_waiting
                            FROM mart_overdue_parcels o LEFT JOIN stg_points s USING (community_id, point_id)
                            WHERE list_contains(?::VARCHAR[], o.community_id) AND o.community_id = ?
                              AND o.arrived_at >= ? AND o.arrived_at < ?
                            ORDER BY o.still_waiting DESC, o.waited_hours DESC, o.parcel_id LIMIT ?""",
                  [list(scope), community, start, end, limit])


def alert_rules(snap: str, scope: Scope, community: str):
    """The community's alert rules as the store holds them now (an edit shows at once), or None while an
    import or build holds the store (the pages then use the defaults and say so)."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _alert_rules(str(db_path()), community)


@st.cache_data(ttl=5, show_spinner=False)
def _alert_rules(db: str, community: str):
    from pipelines.records import alert_rules
    return alert_rules.read(db, community) if Path(db).exists() else list(alert_rules.DEFAULTS)


def rule_dates(snap: str, scope: Scope, community: str) -> dict:
    """The day the community's window and overdue limit took effect ({"window": date | None, ...})."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _rule_dates(str(db_path()), community)


@st.cache_data(ttl=5, show_spinner=False)
def _rule_dates(db: str, community: str) -> dict:
    from pipelines.records import rules
    try:
        con = duckdb.connect(str(Path(db).absolute()), read_only=True)
    except duckdb.Error:
        return {"window": None, "overdue_hours": None}
    try:
        return rules.adopted_on(rules.history(con, community))
    finally:
        con.close()


def save_alert_rule(community: str, rule_id: str, user: str | None = None, **changes) -> None:
    """A rule edited on a check page, written to the store with its history and audit row."""
    from pipelines.records import alert_rules
    from pipelines.database import connect
    con = connect(db_path())
    try:
        con.begin()
        alert_rules.set_rule(con, community, rule_id, user=user, **changes)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
    _alert_rules.clear()


@_cached
def followup_complaints(snap, scope, community, end: dt.date, limit: int = 200) -> pd.DataFrame:
    """Complaints received before `end` and not resolved by then, oldest first, with the building's name."""
    if not _has_column(snap, "mart_complaints_followup", "complaint_id"):
        return pd.DataFrame(columns=["complaint_id", "category", "building_id", "building_name", "source",
                                     "received_at", "open_days"])
    return _frame(snap, """SELECT f.complaint_id, f.category, f.building_id, coalesce(b.name, f.building_id) AS building_name,
                                  f.source, f.received_at,
                                  round(date_diff('hour', f.received_at, ?::TIMESTAMP) / 24.0, 1) AS open_days
                           FROM mart_complaints_followup f LEFT JOIN stg_buildings b USING (community_id, building_id)
                           WHERE list_contains(?::VARCHAR[], f.community_id) AND f.community_id = ?
                             AND f.received_at < ? AND (f.resolved_at IS NULL OR f.resolved_at >= ?)
                           ORDER BY f.received_at, f.complaint_id LIMIT ?""",
                  [end, list(scope), community, end, end, limit])


# ---- governance records: action items and consultation cases (H2) ----
# Read from the store, not the snapshot: a record is a few small rows that must show the moment it
# is saved, and republishing the whole snapshot (every mart, seconds on a year of data) for each
# click would race the imports. The short read-only connection never waits; while an import or
# build holds the store it gives None and the page says so.

def governance(snap: str, scope: Scope, community: str) -> tuple[list, list] | None:
    """(action items, cases) of one community as stored now, or None while the store is busy."""
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    return _governance(str(db_path()), community)


@st.cache_data(ttl=5, show_spinner=False)
def _governance(db: str, community: str) -> tuple[list, list] | None:
    from pipelines.records import cases as consult
    from pipelines.records import actions as records
    with records.reading(db) as con:
        if con is None:
            return None if Path(db).exists() else ([], [])
        return records.actions(con, [community]), consult.cases(con, [community])


def _writers() -> dict:
    from pipelines.records import cases as consult
    from pipelines.records import actions as records
    return {"action.add": records.add_action, "action.update": records.update_action, "case.add": consult.add_case,
            "case.step": consult.set_step, "case.party": consult.add_party, "case.meeting": consult.add_meeting,
            "case.agree": consult.agree, "case.metric": consult.link_metric, "case.note": consult.add_note}


def save_governance(snap: str, scope: Scope, what: str, *args, community: str | None = None,
                    user: str | None = None, **values):
    """One change to a record, with its history and audit row, in one transaction. `community` for a new
    record; an existing one (`action_id` / `case_id` first in args) is looked up, and either must be in
    the viewer's scope."""
    from pipelines.records import cases as consult
    from pipelines.records import actions as records
    allowed = _narrowed(snap, scope)
    with records.writing(db_path()) as con:
        if what.startswith("action.") and what != "action.add":
            community = records.get_action(con, args[0]).community_id
        elif what.startswith("case.") and what != "case.add":
            community = consult.community_of(con, args[0])
        if community not in allowed:
            raise OutOfScope(str(community))
        new_args = (community, *args) if what in ("action.add", "case.add") else args
        result = _writers()[what](con, *new_args, user=user, **values)
    _governance.clear()
    return result


# ---- the monthly feedback round on 每月检查 (H9) ----

@_cached
def feedback_buildings(snap, scope, community, grain, period) -> pd.DataFrame:
    """Each building's feedback beside its noise complaints, the one that needs attention first: the
    highest dissatisfied share, then the most heard at night, then the most complaints."""
    return _frame(snap, """SELECT f.building_id, coalesce(b.name, f.building_id) AS name, f.responses, f.dissatisfied,
                                  f.dissatisfied_share, f.late_noise_share, f.noise_complaints
                           FROM mart_feedback_buildings f LEFT JOIN stg_buildings b USING (community_id, building_id)
                           WHERE list_contains(?::VARCHAR[], f.community_id) AND f.community_id = ?
                             AND f.grain = ? AND f.period_start = ?
                           ORDER BY f.dissatisfied_share DESC NULLS LAST, f.late_noise_share DESC NULLS LAST,
                                    f.noise_complaints DESC, f.building_id""",
                  [list(scope), community, grain, period])


@_cached
def community_buildings(snap, scope, community) -> pd.DataFrame:
    """The community's buildings register (building_id, name), for picking a building by its name."""
    return _frame(snap, """SELECT building_id, coalesce(name, building_id) AS name FROM stg_buildings
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ?
                           ORDER BY building_id""", [list(scope), community])


def taken_response_ids(snap: str, scope: Scope, community: str, prefix: str) -> set[str] | None:
    """The community's stored feedback ids that start with `prefix`, read from the store (the snapshot
    holds no rows), so a round entered by hand never reuses one; None while the store is busy."""
    from pipelines.records import actions as records
    if community not in _narrowed(snap, scope):
        raise OutOfScope(community)
    with records.reading(db_path()) as con:
        if con is None:
            return None if db_path().exists() else set()
        try:
            rows = con.execute("""SELECT response_id FROM cur_feedback
                                  WHERE community_id = ? AND starts_with(response_id, ?)""",
                               [community, prefix]).fetchall()
        except duckdb.CatalogException:   # a store from before the feedback feed
            return set()
    return {r[0] for r in rows}
