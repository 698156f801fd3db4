"""A plain reader of the published build snapshot: every query the pages, the briefs and the command
line ask of the numbers, with bound parameters and no Streamlit.

A snapshot is the read-only copy `linli build` publishes (pipelines/build/runner.py); each query takes
its path, so a new build is read as soon as it is published. Every query also takes `scope`, the
communities the caller may see, and filters on it in SQL. Who may see what is decided by the caller:
the dashboard's cached layer (dashboard/queries.py) cuts `scope` to the viewer's communities before
calling; the command line's operator holds the database file and sees every community.
"""
from __future__ import annotations

import datetime as dt
import functools
import threading

import duckdb
import pandas as pd

from pipelines.build.models import macros_sql

Scope = tuple[str, ...]

_LOCK = threading.Lock()


@functools.lru_cache(maxsize=3)
def _connection(snap: str) -> duckdb.DuckDBPyConnection:
    # a few recent snapshots at most: a new build publishes a new file and the old ones are removed
    return duckdb.connect(snap, read_only=True)


@functools.cache
def _macros() -> str:
    return macros_sql(temp=True)


def _frame(snap: str, sql: str, params: list, macros: bool = False) -> pd.DataFrame:
    """`macros`: the query calls the rules of sql/macros.sql (open_at …), made for it as TEMP macros: a
    snapshot is read-only, and a cursor does not see its connection's temp macros (about 2 ms a query,
    so only the queries that call one ask for them)."""
    with _LOCK:   # lru_cache may build one connection twice under two threads; one is enough
        con = _connection(snap)
    cursor = con.cursor()   # one cursor per query: the connection is shared across threads
    try:
        if macros:
            cursor.execute(_macros())
        return cursor.execute(sql, params).df()
    finally:
        cursor.close()


def built_at(snap: str) -> dt.datetime:
    return _frame(snap, "SELECT built_at FROM build_info", [])["built_at"][0].to_pydatetime()


def communities(snap: str, scope: Scope) -> pd.DataFrame:
    """Communities with any period in kpi, with names and households where imported."""
    return _frame(snap, """
        SELECT k.community_id, coalesce(c.name, k.community_id) AS name, c.street, c.households, c.lat, c.lon
        FROM (SELECT DISTINCT community_id FROM kpi) k LEFT JOIN stg_communities c USING (community_id)
        WHERE list_contains(?::VARCHAR[], k.community_id) ORDER BY k.community_id""", [list(scope)])


def scope_of(snap: str, sees: str, community: str | None, street: str | None) -> Scope:
    """The communities with numbers that a reader who `sees` "all", one "street" office or one "community"
    may read (who sees what: pipelines/records/access.py); anything else reads nothing."""
    if sees == "all":
        sql, params = "SELECT DISTINCT community_id FROM kpi ORDER BY 1", []
    elif sees == "street":
        sql = """SELECT DISTINCT k.community_id FROM kpi k JOIN stg_communities c USING (community_id)
                 WHERE c.street = ? ORDER BY 1"""
        params = [street]
    elif sees == "community":
        sql, params = "SELECT DISTINCT community_id FROM kpi WHERE community_id = ?", [community]
    else:
        return ()
    return tuple(_frame(snap, sql, params)["community_id"])


def periods(snap: str, scope: Scope, community: str, grain: str) -> list[dt.date]:
    df = _frame(snap, """SELECT DISTINCT period_start FROM kpi
                          WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? ORDER BY 1""",
                [list(scope), community, grain])
    return [d.date() for d in pd.to_datetime(df["period_start"])]


@functools.lru_cache(maxsize=256)
def has_column(snap: str, table: str, column: str) -> bool:
    """Whether the snapshot's table has the column (a snapshot built by an older Linli may lack it). A
    published snapshot never changes, so the answer is kept for the file's life."""
    return not _frame(snap, """SELECT 1 FROM information_schema.columns WHERE table_name = ? AND column_name = ?""",
                      [table, column]).empty


def data_ends(snap: str, scope: Scope) -> dict[str, dt.datetime]:
    """How far each community's data runs (SPEC §6): its latest event time.

    The snapshot publishes no row-level tables, so unless period_spine carries the exact `data_end`
    this is the latest time the published marts show: the start of the community's last week and
    month, its overdue parcels' times and the last week's pickup hours. That is never later than
    the truth and never earlier than the start of the last period, so it tells complete periods
    from the partial last one exactly; only the day shown for that one can be early.
    """
    if has_column(snap, "period_spine", "data_end"):
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


COVERAGE_COLUMNS = ["community_id", "feed", "period_start", "period_next", "in_use", "complete", "data_end",
                    "last_import"]


def coverage(snap: str, scope: Scope, grain: str, community: str | None = None) -> pd.DataFrame:
    """Which feeds each community has brought up to each period (SPEC §6 "Completeness is per feed"), from
    the published `coverage` table (sql/marts/coverage.sql): one row per community of `scope` (only
    `community`, when given) × event feed × period of `grain`, ordered by community, period, feed, with columns

    - community_id, feed (orders, parcels, complaints, training, jobs, feedback), period_start (date),
      period_next (the first day after the period, a date);
    - in_use: the community has ever imported this feed (only these decide whether a period is complete);
    - complete: the feed is complete for the period: its data reaches the period's last day, or a file of it
      with this community's rows was imported after the period ended. Where it is False the feed's metrics
      for that period are not yet imported (未导入): never show them as 0 or as a change;
    - data_end: the feed's latest event time for the community (NaT when it has none): the date it "runs to";
    - last_import: when the latest file of the feed carrying the community's rows was imported (NaT: never).

    A snapshot built before the table existed answers from the community's data end alone (every feed
    complete where the community's data runs past the period, as the pages judged before).
    """
    if has_column(snap, "coverage", "complete"):
        df = _frame(snap, """SELECT community_id, feed, period_start, period_next, in_use, complete, data_end, last_import
                              FROM coverage WHERE list_contains(?::VARCHAR[], community_id) AND grain = ?
                                AND (?::VARCHAR IS NULL OR community_id = ?)
                              ORDER BY community_id, period_start, feed""", [list(scope), grain, community, community])
    else:
        df = _frame(snap, """SELECT s.community_id, f.feed, s.period_start, s.period_next, true AS in_use,
                                    s.data_end >= s.period_next::TIMESTAMP AS complete,
                                    f.latest_event AS data_end, NULL::TIMESTAMP AS last_import
                             FROM period_spine s JOIN mart_feed_freshness f USING (community_id)
                             WHERE list_contains(?::VARCHAR[], s.community_id) AND s.grain = ?
                               AND (?::VARCHAR IS NULL OR s.community_id = ?)
                             ORDER BY s.community_id, s.period_start, f.feed""", [list(scope), grain, community, community])
    for c in ("period_start", "period_next"):
        df[c] = pd.to_datetime(df[c]).dt.date
    df["complete"] = df["complete"].fillna(False).astype(bool)
    df["in_use"] = df["in_use"].fillna(False).astype(bool)
    return df[COVERAGE_COLUMNS]


def period_coverage(snap: str, scope: Scope, grain: str, community: str | None = None) -> pd.DataFrame:
    """One row per community of `scope` (only `community`, when given) × period of `grain`: community_id,
    period_start, complete (every feed the community has ever imported is complete for the period) and behind:
    the feeds in use that are not, as a list of (feed, data_end) pairs in the feed registry's order (data_end a
    datetime, or None)."""
    cov = coverage(snap, scope, grain, community)
    order = {kind: i for i, kind in enumerate(_event_feeds())}
    rows = []
    for (community, start), g in cov.groupby(["community_id", "period_start"], sort=True):
        late = g[g["in_use"] & ~g["complete"]].sort_values("feed", key=lambda s: s.map(order))
        rows.append((community, start, late.empty,
                     [(f, None if pd.isna(e) else pd.Timestamp(e).to_pydatetime())
                      for f, e in zip(late["feed"], late["data_end"])]))
    return pd.DataFrame(rows, columns=["community_id", "period_start", "complete", "behind"])


def latest_complete_periods(snap: str, scope: Scope, grain: str) -> dict[str, dt.date | None]:
    """Each community of `scope` -> its latest period of `grain` complete for every feed it has imported
    (SPEC §6: where its pages open), or None when it has none."""
    pc = period_coverage(snap, scope, grain)
    found: dict[str, dt.date | None] = {c: None for c in pc["community_id"].unique()}
    for c, start in zip(pc["community_id"][pc["complete"]], pc["period_start"][pc["complete"]]):
        found[c] = start if found[c] is None or start > found[c] else found[c]
    return found


def latest_complete_period(snap: str, scope: Scope, grain: str) -> dt.date | None:
    """The latest period of `grain` that every community of `scope` holding it has complete (a community
    whose periods stop before it does not hold it back; compare latest_complete_periods to name those that
    are behind). With one community, that community's latest complete period. None when there is none."""
    pc = period_coverage(snap, scope, grain)
    if pc.empty:
        return None
    done = pc.groupby("period_start")["complete"].all()
    done = done[done]
    return None if done.empty else max(done.index)


@functools.cache
def _event_feeds() -> tuple[str, ...]:
    from pipelines.feeds import FEEDS
    return tuple(kind for kind, feed in FEEDS.items() if feed.is_event)


def kpi_series(snap: str, scope: Scope, community: str, grain: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """period_start, metric, value for start <= period_start <= end."""
    return _frame(snap, """SELECT period_start, metric, value FROM kpi
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start BETWEEN ? AND ?
                            ORDER BY period_start, metric""", [list(scope), community, grain, start, end])


def street_measures(snap: str, scope: Scope, grain: str, period: dt.date) -> pd.DataFrame:
    """Every community's measures of one period (kpi metrics and the per-1,000-household counts of
    mart_street_measures) with its name and rank on each measure, one row per community × measure."""
    return _frame(snap, """SELECT m.community_id, coalesce(c.name, m.community_id) AS name, m.measure, m.value,
                                   m.street_rank
                            FROM mart_street_measures m LEFT JOIN stg_communities c USING (community_id)
                            WHERE list_contains(?::VARCHAR[], m.community_id) AND m.grain = ? AND m.period_start = ?""",
                  [list(scope), grain, period])


def street_periods(snap: str, scope: Scope, grain: str) -> list[dt.date]:
    """Every period any of the scope's communities has (the street comparison's choice of period)."""
    df = _frame(snap, """SELECT DISTINCT period_start FROM kpi
                          WHERE list_contains(?::VARCHAR[], community_id) AND grain = ? ORDER BY 1""",
                [list(scope), grain])
    return [d.date() for d in pd.to_datetime(df["period_start"])]


def street_series(snap: str, scope: Scope, grain: str, measure: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """community_id, period_start, value of one street measure for start <= period_start <= end (the trends)."""
    return _frame(snap, """SELECT community_id, period_start, value FROM mart_street_measures
                            WHERE list_contains(?::VARCHAR[], community_id) AND grain = ? AND measure = ?
                              AND period_start BETWEEN ? AND ? ORDER BY community_id, period_start""",
                  [list(scope), grain, measure, start, end])


def rules(snap: str, scope: Scope, community: str) -> dict:
    df = _frame(snap, "SELECT * FROM community_rules_effective WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ?",
                [list(scope), community])
    if df.empty:
        from pipelines.records.rules import DEFAULT_RULES
        return dict(DEFAULT_RULES)
    row = df.iloc[0]
    return {"window_start": row["window_start"], "window_end": row["window_end"],
            "overdue_hours": float(row["overdue_hours"])}


def orders_by_channel(snap, scope, community, grain, start, end) -> pd.DataFrame:
    return _frame(snap, """SELECT period_start, channel, orders, gmv_yuan FROM mart_orders_channel
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ?
                             AND period_start BETWEEN ? AND ? ORDER BY period_start""",
                  [list(scope), community, grain, start, end])


def top_sellers(snap, scope, community, grain, period, limit: int = 10) -> pd.DataFrame:
    return _frame(snap, """SELECT seller_id, channel, orders, gmv_yuan, is_new FROM mart_orders_seller
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ?
                            ORDER BY gmv_yuan DESC, orders DESC, seller_id LIMIT ?""",
                  [list(scope), community, grain, period, limit])


def dwell_bins(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT bin, parcels FROM mart_parcel_dwell_bins
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ? ORDER BY bin""",
                  [list(scope), community, grain, period])


def pickups_heatmap(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT weekday, hour, pickups FROM mart_parcel_pickups_hour
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ?""",
                  [list(scope), community, grain, period])


def point_peaks(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT p.point_id, coalesce(s.name, p.point_id) AS name, p.capacity, p.peak_in_stock,
                                   p.peak_ratio, p.peak_hour
                            FROM mart_point_peak p LEFT JOIN stg_points s USING (community_id, point_id)
                            WHERE list_contains(?::VARCHAR[], p.community_id) AND p.community_id = ?
                              AND p.grain = ? AND p.period_start = ? ORDER BY p.peak_ratio DESC""",
                  [list(scope), community, grain, period])


def point_daily(snap, scope, community, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _frame(snap, """SELECT d.day, coalesce(s.name, d.point_id) AS name, d.peak_ratio
                            FROM mart_point_daily d LEFT JOIN stg_points s USING (community_id, point_id)
                            WHERE list_contains(?::VARCHAR[], d.community_id) AND d.community_id = ?
                              AND d.day >= ? AND d.day < ? ORDER BY d.day""",
                  [list(scope), community, start, end])


def overdue_parcels(snap, scope, community, start: dt.date, end: dt.date, limit: int = 500) -> pd.DataFrame:
    return _frame(snap, """SELECT parcel_id, point_id, carrier, arrived_at, picked_up_at, waited_hours, still_waiting
                            FROM mart_overdue_parcels
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND arrived_at >= ? AND arrived_at < ?
                            ORDER BY still_waiting DESC, waited_hours DESC LIMIT ?""",
                  [list(scope), community, start, end, limit])


def complaints_by_category(snap, scope, community, grain, start, end) -> pd.DataFrame:
    return _frame(snap, """SELECT period_start, category, complaints FROM mart_complaints_category
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ?
                             AND period_start BETWEEN ? AND ? ORDER BY period_start""",
                  [list(scope), community, grain, start, end])


def noise_by_hour(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT hour, complaints, outside_hours FROM mart_noise_hour
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ? ORDER BY hour""",
                  [list(scope), community, grain, period])


def noise_buildings(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT n.building_id, coalesce(b.name, n.building_id) AS name, n.complaints, n.outside_hours
                            FROM mart_noise_buildings n LEFT JOIN stg_buildings b USING (community_id, building_id)
                            WHERE list_contains(?::VARCHAR[], n.community_id) AND n.community_id = ?
                              AND n.grain = ? AND n.period_start = ?
                            ORDER BY n.complaints DESC, n.building_id""",
                  [list(scope), community, grain, period])


def training_courses(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT course_type, sessions, registrations, attended, participants, elderly_participants
                            FROM mart_training_course
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ?
                            ORDER BY sessions DESC, course_type""", [list(scope), community, grain, period])


def jobs_mix(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT employment_type, role, started, via_training, median_monthly_income_yuan
                            FROM mart_jobs_breakdown
                            WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ? AND period_start = ?
                            ORDER BY started DESC""", [list(scope), community, grain, period])


def map_buildings(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT b.building_id, b.name, b.lat, b.lon, coalesce(n.complaints, 0) AS complaints
                            FROM stg_buildings b LEFT JOIN mart_noise_buildings n
                              ON n.community_id = b.community_id AND n.building_id = b.building_id
                             AND n.grain = ? AND n.period_start = ?
                            WHERE list_contains(?::VARCHAR[], b.community_id) AND b.community_id = ?
                              AND b.lat IS NOT NULL AND b.lon IS NOT NULL""",
                  [grain, period, list(scope), community])


def map_points(snap, scope, community, grain, period) -> pd.DataFrame:
    return _frame(snap, """SELECT s.point_id, s.name, s.lat, s.lon, s.capacity, p.peak_ratio
                            FROM stg_points s LEFT JOIN mart_point_peak p
                              ON p.community_id = s.community_id AND p.point_id = s.point_id
                             AND p.grain = ? AND p.period_start = ?
                            WHERE list_contains(?::VARCHAR[], s.community_id) AND s.community_id = ?
                              AND s.lat IS NOT NULL AND s.lon IS NOT NULL""",
                  [grain, period, list(scope), community])


def imports(snap: str, own: tuple[int, ...] | None) -> pd.DataFrame:
    return _frame(snap, """SELECT import_id, kind, file_name, imported_at, rows_read, rows_new, rows_replaced,
                                  rows_quarantined, status FROM imports
                           WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], import_id)
                           ORDER BY import_id DESC""", [_ids(own), _ids(own)])


def quarantine(snap: str, scope: Scope, own: tuple[int, ...] | None) -> pd.DataFrame:
    return _frame(snap, """SELECT import_id, kind, file_name, row_number, reason_zh, reason_en, raw
                           FROM quarantine_open
                           WHERE list_contains(?::VARCHAR[], community_id)
                              OR (community_id IS NULL AND (?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], import_id)))
                           ORDER BY import_id DESC, row_number""", [list(scope), _ids(own), _ids(own)])


def feed_freshness(snap: str, scope: Scope, community: str) -> pd.DataFrame:
    """feed, latest_event, rows for the community; and the last import of each feed (the store's
    history is not per community: a feed imported for any community counts as imported)."""
    if not has_column(snap, "mart_feed_freshness", "feed"):
        return pd.DataFrame(columns=["feed", "latest_event", "rows", "last_import"])
    return _frame(snap, """
        WITH imported AS (
            SELECT kind AS feed, max(imported_at) AS last_import FROM imports WHERE status <> 'undone' GROUP BY 1
        )
        SELECT f.feed, f.latest_event, f.rows, i.last_import
        FROM mart_feed_freshness f LEFT JOIN imported i USING (feed)
        WHERE list_contains(?::VARCHAR[], f.community_id) AND f.community_id = ?
        ORDER BY f.feed""", [list(scope), community])


def overdue_list(snap, scope, community, start: dt.date, end: dt.date, limit: int = 500) -> pd.DataFrame:
    """The overdue parcels with their point's name and, where the feed records it, the building."""
    building = ("o.building_id" if has_column(snap, "mart_overdue_parcels", "building_id")
                else "NULL::VARCHAR AS building_id")
    return _frame(snap, f"""SELECT o.parcel_id, o.point_id, coalesce(s.name, o.point_id) AS point_name, {building},
                                   o.carrier, o.arrived_at, o.picked_up_at, o.waited_hours, o.still_waiting
                            FROM mart_overdue_parcels o LEFT JOIN stg_points s USING (community_id, point_id)
                            WHERE list_contains(?::VARCHAR[], o.community_id) AND o.community_id = ?
                              AND o.arrived_at >= ? AND o.arrived_at < ?
                            ORDER BY o.still_waiting DESC, o.waited_hours DESC, o.parcel_id LIMIT ?""",
                  [list(scope), community, start, end, limit])


def followup_complaints(snap, scope, community, end: dt.date, limit: int = 200) -> pd.DataFrame:
    """Complaints open at `end` (sql/macros.sql open_at, the rule complaints.open_at_end counts by: received
    before it and not resolved by then), oldest first, with the building's name."""
    if not has_column(snap, "mart_complaints_followup", "complaint_id"):
        return pd.DataFrame(columns=["complaint_id", "category", "building_id", "building_name", "source",
                                     "received_at", "open_days"])
    return _frame(snap, """SELECT f.complaint_id, f.category, f.building_id, coalesce(b.name, f.building_id) AS building_name,
                                  f.source, f.received_at,
                                  round(date_diff('hour', f.received_at, ?::TIMESTAMP) / 24.0, 1) AS open_days
                           FROM mart_complaints_followup f LEFT JOIN stg_buildings b USING (community_id, building_id)
                           WHERE list_contains(?::VARCHAR[], f.community_id) AND f.community_id = ?
                             AND open_at(f.received_at, f.resolved_at, ?::TIMESTAMP)
                           ORDER BY f.received_at, f.complaint_id LIMIT ?""",
                  [end, list(scope), community, end, limit], macros=True)


def recent_complaints(snap, scope, community, end: dt.datetime, limit: int = 20) -> pd.DataFrame:
    """The latest complaints received before `end`, newest first: when, which building, what kind, and
    whether (and when) each was resolved by then, for a member checking last night's on a phone."""
    if not has_column(snap, "mart_complaints_followup", "complaint_id"):
        return pd.DataFrame(columns=["complaint_id", "received_at", "building_id", "building_name", "category",
                                     "outside_hours", "resolved_at"])
    return _frame(snap, """SELECT f.complaint_id, f.received_at, f.building_id,
                                  coalesce(b.name, f.building_id) AS building_name, f.category, f.outside_hours,
                                  CASE WHEN f.resolved_at < ?::TIMESTAMP THEN f.resolved_at END AS resolved_at
                           FROM mart_complaints_followup f LEFT JOIN stg_buildings b USING (community_id, building_id)
                           WHERE list_contains(?::VARCHAR[], f.community_id) AND f.community_id = ?
                             AND f.received_at < ?::TIMESTAMP
                           ORDER BY f.received_at DESC, f.complaint_id DESC LIMIT ?""",
                  [end, list(scope), community, end, limit])


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


def community_buildings(snap, scope, community) -> pd.DataFrame:
    """The community's buildings register (building_id, name), for picking a building by its name."""
    return _frame(snap, """SELECT building_id, coalesce(name, building_id) AS name FROM stg_buildings
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ?
                           ORDER BY building_id""", [list(scope), community])


def _ids(own: tuple[int, ...] | None) -> list[int] | None:
    return None if own is None else list(own)


# ---- the cooperative's books (SPEC §3 coop, §5 coop.*; the marts are sql/marts/mart_coop_*.sql) ----

def coop_period(snap, scope, community, grain, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The books per period from `start` to `end` (both period starts): sales, costs, the three shares,
    the fund and the split used."""
    return _frame(snap, """SELECT period_start, sales_yuan, costs_yuan, profit_yuan, members_share_yuan, coop_share_yuan,
                                  fund_accrued_yuan, fund_spent_yuan, fund_balance_yuan, active_members, rent_yuan,
                                  members_pct, coop_pct, fund_pct
                           FROM mart_coop_period
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ?
                             AND period_start BETWEEN ? AND ? ORDER BY period_start""",
                  [list(scope), community, grain, start, end])


def coop_fund_ledger(snap, scope, community, end: dt.date) -> pd.DataFrame:
    """Every entry of the public fund before `end` (the day after the period), oldest first, each with the
    balance after it: the month's accrual, each payment with its purpose."""
    return _frame(snap, """SELECT day, kind, amount_yuan, purpose, entry_id, balance_yuan FROM mart_coop_fund_ledger
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND day < ?
                           ORDER BY day, kind = 'spent', entry_id NULLS FIRST""",
                  [list(scope), community, end])


def coop_statements(snap, scope, community, month: dt.date) -> pd.DataFrame:
    """Each producer's line of the month: their sales and their part of the members' share, largest first."""
    return _frame(snap, """SELECT member_id, sales_yuan, share_yuan FROM mart_coop_statements
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND month = ?
                           ORDER BY share_yuan DESC, member_id""",
                  [list(scope), community, month])


def coop_reconcile(snap, scope, community, grain, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The books' sales beside the paid orders of channel coop_store, per period from `start` to `end`."""
    return _frame(snap, """SELECT period_start, coop_sales_yuan, coop_store_orders_yuan, difference_yuan,
                                  difference_share, over_threshold
                           FROM mart_coop_reconcile
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ? AND grain = ?
                             AND period_start BETWEEN ? AND ? ORDER BY period_start""",
                  [list(scope), community, grain, start, end])


def coop_rent(snap, scope, community, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Rent per seller per month for the months starting in [start, end): booked, and whether the seller
    was active (an active seller without rent is the row to follow up)."""
    return _frame(snap, """SELECT month, seller_id, rent_yuan, has_rent, active FROM mart_coop_rent
                           WHERE list_contains(?::VARCHAR[], community_id) AND community_id = ?
                             AND month >= ? AND month < ?
                           ORDER BY month, has_rent, seller_id""",
                  [list(scope), community, start, end])
