"""Incremental builds: recompute only what the imports since the last build can have changed.

Every metric of a period depends on events of that period or earlier (open complaints,
jobs active at the end, parcels in stock, a seller's first order), never later ones,
except through a community's parcel "data end". So when the rows of a community change
at times >= T, every period starting before T keeps its values. A build then:

1. reads the keys whose current row changed from the store's change log (staging models are
   views over the current rows the store keeps, so there is nothing to refresh): the earliest
   time each replaced row held (logged as the store replaced it) and the times of the current
   rows give T per community; a change of rules or of reference data gives T = the beginning;
2. shadows the staging tables with temporary views holding only the events that can
   reach a period from T on (plus each seller's first order, and parcels still in stock
   or complaints still open at T), and the spine with its periods from T on;
3. runs the unchanged model SQL on those, and swaps the rows from T on into each table.

tests/pipelines/test_incremental.py checks that this equals a full build after every
step of random imports, corrections, undos and rule changes.
"""
from __future__ import annotations

from pipelines.database import IMPORT_COMMUNITIES, stored_relations
from pipelines.feeds import FEEDS
from pipelines.ingest.store import changes_table, key_match, old_from_sql
from pipelines.rule_defaults import DEFAULT_RULES
from pipelines.sqlrows import scalar

EPOCH = "TIMESTAMP '1900-01-01'"


def _event_times(feed) -> list[str]:
    """Times of an event that place it in a period or end its open state (both bound what it can change)."""
    return list(dict.fromkeys(feed.period_times + ((feed.open_until,) if feed.open_until else ())))


def _relevant(feed) -> str:
    """Which staging rows a recomputation from T needs: events anchored from T on, and those still open at T
    (the macro open_at of sql/macros.sql, the rule the marts count open events by)."""
    anchor = f"s.{feed.period_times[0]}"
    if feed.open_until:
        return f"{anchor} >= d.t_from OR open_at({anchor}, s.{feed.open_until}, d.t_from)"
    return f"{anchor} >= d.t_from"


# From the feed registry (pipelines/feeds.py): period_times and open_until.
EVENT_TIMES = {kind: _event_times(feed) for kind, feed in FEEDS.items() if feed.is_event}
RELEVANT = {kind: _relevant(feed) for kind, feed in FEEDS.items() if feed.is_event}


def changed_since(con, last_seq: int) -> tuple[list[int], list[str]]:
    """Imports applied or undone after last_seq, and communities whose rules changed."""
    imports = [r[0] for r in con.execute(
        "SELECT import_id FROM imports WHERE import_id > ? OR undone_seq > ?", [last_seq, last_seq]).fetchall()]
    # a new split of the cooperative's profit (records/coop_split.py) moves every later period's shares and the
    # fund's running balance: its community is recomputed from the beginning, as for a change of rules
    rules = [r[0] for r in con.execute(
        """SELECT community_id FROM community_rules WHERE changed_seq > ?
           UNION SELECT community_id FROM coop_split WHERE changed_seq > ?""", [last_seq, last_seq]).fetchall()]
    return imports, rules


# What a community model's rows are recomputed for: the communities an increment touched (a list variable).
TOUCHED = "list_contains(getvariable('inc_touched'), {alias}community_id)"


def touch_communities(con, last_seq: int, rule_changes: list[str], imports: list[int]) -> None:
    """Set the list inc_touched: every community whose current rows changed since last_seq (the store's change
    logs), whose rules or split changed, or whose rows an import applied or undone since then brought (an undo
    that left every current row as it was still changes when the community's feed was last brought up)."""
    logs = " UNION ALL ".join(f"SELECT community_id FROM {changes_table(kind)} WHERE seq > ?" for kind in FEEDS)
    con.execute(f"""SET VARIABLE inc_touched = (
                        SELECT coalesce(list(DISTINCT community_id) FILTER (WHERE community_id IS NOT NULL), [])::VARCHAR[]
                        FROM ({logs} UNION ALL SELECT unnest(?::VARCHAR[])
                              UNION ALL SELECT community_id FROM {IMPORT_COMMUNITIES} WHERE list_contains(?, import_id)))""",
                [last_seq] * len(FEEDS) + [rule_changes, imports])


def mark_dirty(con, staging: list, last_seq: int, rule_changes: list[str], old_end: dict) -> set[str]:
    """Fill temp table `dirty` (community_id, t_from, week_from, month_from) from the keys whose current row
    changed since last_seq (the store logs them: store.changes_table; kept in temp tables touched_<model> for the
    audits), and return the names of the staging models whose feed changed. `old_end`: the parcel data ends the
    last build stored (read before int_parcel_data_end is recomputed), the current ones are in that table now."""
    con.execute("CREATE OR REPLACE TEMP TABLE dirty_times (community_id VARCHAR, t TIMESTAMP)")
    for community in rule_changes:
        con.execute(f"INSERT INTO dirty_times VALUES (?, {EPOCH})", [community])
    db = scalar(con.execute("SELECT current_database()"))
    # the feeds with a logged change, in one statement: a week of orders leaves ten of eleven logs empty, and two
    # statements a feed to find that out cost as much as the week's own
    logged = {r[0] for r in con.execute(" UNION ALL ".join(
        f"SELECT '{m.feed}' WHERE EXISTS (SELECT 1 FROM {changes_table(m.feed)} WHERE seq > ?)" for m in staging),
        [last_seq] * len(staging)).fetchall()} if staging else set()
    refreshed = set()
    for model in staging:
        kind, stg, key = model.feed, model.name, ", ".join(model.grain)
        if kind not in logged:
            continue
        touched, log = f"touched_{stg}", changes_table(kind)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {touched} AS
                        SELECT DISTINCT {key} FROM {log} WHERE seq > ?""", [last_seq])
        refreshed.add(stg)
        if kind in EVENT_TIMES:
            # the rows replaced: gone from the current rows, their earliest time was logged as they went
            con.execute(f"""INSERT INTO dirty_times SELECT community_id, min(old_from) FROM {log}
                            WHERE seq > ? AND old_from IS NOT NULL GROUP BY community_id""", [last_seq])
            # the rows now current, through the staging model (a view over them)
            con.execute(f"""INSERT INTO dirty_times SELECT s.community_id, min({old_from_sql(kind, 's')})
                            FROM "{db}".main.{stg} s SEMI JOIN {touched} t ON {key_match(kind, 's', 't')}
                            GROUP BY s.community_id""")
        else:   # reference data (households, capacities, names): the whole history of those communities
            con.execute(f"INSERT INTO dirty_times SELECT DISTINCT community_id, {EPOCH} FROM {touched}")
    _parcel_end_moves(con, old_end)
    con.execute("""CREATE OR REPLACE TEMP TABLE dirty AS
                   SELECT community_id, min(t) AS t_from,
                          period_start('week', min(t)) AS week_from, period_start('month', min(t)) AS month_from
                   FROM dirty_times WHERE community_id IS NOT NULL AND t IS NOT NULL GROUP BY community_id""")
    # recomputation starts at the earlier of the two periods holding t_from
    con.execute("UPDATE dirty SET t_from = least(week_from, month_from)::TIMESTAMP")
    bounds_as_variables(con)
    return refreshed


# The starts of `dirty` as session variables, community -> start (in_range reads them).
BOUNDS = {"t_from": "TIMESTAMP", "week_from": "DATE", "month_from": "DATE"}


def bounds_as_variables(con) -> None:
    """Each start of `dirty` as a map from community, read by in_range: a map lookup per row costs a DELETE or an
    INSERT of a model's range 0.5 ms where the scalar subquery over `dirty` it replaces cost 2 ms, ~60 times a build."""
    for column, sql_type in BOUNDS.items():
        con.execute(f"SET VARIABLE inc_{column} = (SELECT map(list(community_id), list({column}))"
                    f"::MAP(VARCHAR, {sql_type}) FROM dirty)")


def _parcel_data_end(con) -> dict:
    """Each community's parcel data end, as the overdue flags use it (the table int_parcel_data_end: as the
    last build left it until an incremental build recomputes it with the small full models)."""
    return dict(con.execute("SELECT community_id, data_end FROM int_parcel_data_end").fetchall())


def _parcel_end_moves(con, old_end: dict) -> None:
    """A moved data end can flip 'not picked up and past the limit' for parcels that arrived within
    the limit before the earlier of the two ends."""
    new_end = _parcel_data_end(con)
    for community in set(old_end) | set(new_end):
        before, after = old_end.get(community), new_end.get(community)
        if before == after:
            continue
        earliest = min(t for t in (before, after) if t is not None)
        con.execute("""INSERT INTO dirty_times
                       SELECT ?, ?::TIMESTAMP - to_microseconds(CAST(coalesce(
                           (SELECT overdue_hours FROM community_rules WHERE community_id = ?), ?) * 3600e6 AS BIGINT))""",
                    [community, earliest, community, DEFAULT_RULES["overdue_hours"]])


def shadow_inputs(con, staging: list) -> None:
    """Temp tables named like the event feeds' staging tables and the spine, holding only what periods
    from t_from need. Tables, not views: several models read each, and a view would filter the whole
    staging table again for every one of them."""
    db = scalar(con.execute("SELECT current_database()"))
    for model in staging:
        if model.feed not in RELEVANT:
            continue   # reference data: a change to it made t_from the beginning anyway
        stg = model.name
        extra = ""
        if model.feed == "orders":
            # each seller's first non-cancelled order decides in which period it is new: one hash aggregate
            # over the orders before t_from (RELEVANT takes those from t_from on)
            extra = f"""UNION ALL SELECT unnest(first) FROM (
                            SELECT arg_min(s, (s.ordered_at, s.order_id)) AS first
                            FROM "{db}".main.{stg} s JOIN dirty d USING (community_id)
                            WHERE s.status <> 'cancelled' AND s.ordered_at < d.t_from
                            GROUP BY s.community_id, s.seller_id)"""
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {stg} AS
                        SELECT s.* FROM "{db}".main.{stg} s JOIN dirty d USING (community_id)
                        WHERE ({RELEVANT[model.feed]})
                        {extra}""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE period_spine AS
                    SELECT s.* FROM "{db}".main.period_spine s JOIN dirty d USING (community_id)
                    WHERE s.period_start >= CASE s.grain WHEN 'week' THEN d.week_from ELSE d.month_from END""")


def in_range(table_alias: str, model) -> str:
    """Rows of a model (kind period or since) at or after the recomputed start of their community."""
    def start(column: str) -> str:   # NULL, so false, for a community not dirty (mark_dirty set the maps)
        return f"getvariable('inc_{column}')[{table_alias}.community_id]"
    if model.kind == "period":
        return (f"{table_alias}.period_start >= CASE {table_alias}.grain WHEN 'week' THEN {start('week_from')} "
                f"ELSE {start('month_from')} END")
    # (an EXISTS over dirty cost 40 times the CPU, 0.3 s over a million parcels; a scalar subquery 4 times)
    return f"{table_alias}.{model.since_column} >= {start('t_from')}"


def replaces_by_key(model) -> bool:
    """A since model keyed without its time holds one row per thing (a parcel), whose values may move after
    t_from though its time is before it (a parcel still waiting has waited until the data end). Each row
    the recomputation gives is whole (the thing's rows are all there: it is open at t_from, or from t_from
    on), so the build replaces every row it recomputed, besides those in range."""
    return model.kind == "since" and model.since_column not in model.grain


def recomputed(model) -> str:
    """The temp table of the keys an incremental build replaces in a model that replaces_by_key: those it
    recomputed and those stored in range (filled by the runner)."""
    return f"recomputed_{model.name}"


def swapped(table_alias: str, model) -> str:
    """The stored rows an incremental build replaces: in range, and for a model that replaces_by_key, every
    row whose key it recomputed (one semi join on the key columns: an OR of two subqueries, or a row-value
    IN, cost seconds at street scale)."""
    if not replaces_by_key(model):
        return in_range(table_alias, model)
    same = " AND ".join(f"r.{k} = {table_alias}.{k}" for k in model.grain)
    return f"EXISTS (SELECT 1 FROM {recomputed(model)} r WHERE {same})"


def full_models_by_phase(models: list) -> tuple[list, list]:
    """The full and community models an incremental build recomputes before the period models (they read staging,
    views and other such tables) and after them (they read a period or since model, which is whole only
    once its recomputed rows are swapped in). A period model cannot read one of the second: it would see
    it before it is recomputed, so that is refused."""
    after_partial = {}   # model -> it reads, directly or not, a table recomputed in part
    early, late = [], []
    for m in models:
        reads_partial = any(after_partial[r] for r in m.reads)
        after_partial[m.name] = m.kind in ("period", "since") or reads_partial
        if m.kind in ("full", "community"):
            (late if reads_partial else early).append(m)
    late_names = {m.name for m in late}
    for m in models:
        if m.kind in ("period", "since", "view") and m.reads & late_names:
            raise ValueError(f"{m.where}: a {m.kind} model reads {', '.join(sorted(m.reads & late_names))}, a full "
                             f"model over period models, which an incremental build recomputes after it")
    return early, late


def audit_scope(model, refreshed: set[str]) -> str | None:
    """The rows (alias x) an incremental build's grain audit of the model must read; None: all of them.

    The rows outside are those the build left as they were, which the last build's audits passed. Two
    rows holding one key agree on every grain column, so when the grain holds the columns that decide
    the scope, both rows are inside it or both outside: the narrow audit finds what a whole one would.
    """
    if model.kind == "staging":
        if model.name not in refreshed:
            return "false"
        nulls = " OR ".join(f"x.{k} IS NULL" for k in model.grain)
        keys = ", ".join(model.grain)
        return f"({', '.join(f'x.{k}' for k in model.grain)}) IN (SELECT ({keys}) FROM touched_{model.name}) OR {nulls}"
    if model.kind == "community":   # its grain holds community_id: both rows of a key are of one community
        return TOUCHED.format(alias="x.")
    if model.kind in ("period", "since"):
        decides = {"community_id", "grain", "period_start"} if model.kind == "period" else {"community_id",
                                                                                              model.since_column}
        if decides <= set(model.grain):
            return in_range("x", model)
        if replaces_by_key(model):
            return swapped("x", model)   # a key twice holds a row written now: both are in this scope
    return None   # full tables and views are computed anew


def drop_shadows(con) -> None:
    """Drop the temp views and the temp copies of models that hide the stored ones; `dirty` and the touched
    keys stay for the audits (drop_scratch ends them)."""
    # a stored view hides behind a temp table too: the staging models are views over the current rows, and a
    # shadow of one left in place fed the late models, the audits and the forecast a part of the feed
    models = stored_relations(con)
    for name, kind in _temporary(con):
        if kind == "VIEW" or name in models:
            con.execute(f"DROP {kind} IF EXISTS temp.main.{name}")


def drop_scratch(con) -> None:
    """Every temporary table and view an incremental build made, and the variables in_range read."""
    for name, kind in _temporary(con):
        con.execute(f"DROP {kind} IF EXISTS temp.main.{name}")
    for column in (*BOUNDS, "touched"):
        con.execute(f"RESET VARIABLE inc_{column}")


def _temporary(con) -> list[tuple[str, str]]:
    """(name, 'VIEW' or 'TABLE') of the connection's temporary relations; not DuckDB's own catalog views
    (information_schema, pg_catalog), which are temporary too: dropping their fifty cost 15 ms twice a build."""
    return con.execute("SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND NOT internal "
                       "UNION ALL SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary").fetchall()
