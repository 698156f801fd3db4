"""Models declare themselves: the header each sql/ file opens with is read, checked and acted on
(stored as, refreshed how, published or not), and every model's grain is audited."""
from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from pipelines import snapshot_reader
from pipelines.build import increment
from pipelines.build import runner as build_mod
from pipelines.build.models import (
    KINDS,
    MODEL_FOLDERS,
    SQL_DIR,
    HeaderError,
    Model,
    grain_audit,
    load_models,
    parse_header,
    stray_files,
)
from pipelines.build.runner import AuditFailed, build, current_snapshot
from pipelines.feeds import FEEDS
from pipelines.ingest.store import current_rows_sql
from tests.conftest import build_store

HEADER = "-- kind: {kind}\n-- grain: {grain}\n-- published: {published}\n-- prose\nSELECT 1 AS a\n"

SMALL = {
    "communities": "community_id,name,households\nA,A社区,200\n",
    "points": "point_id,community_id,capacity\nP1,A,2\n",
    # K1 picked up 06-03 09:00 is the latest time; K2 never picked up waits until then (45 h, within 72)
    "parcels": """parcel_id,community_id,point_id,arrived_at,picked_up_at
K1,A,P1,2025-06-02 08:00,2025-06-03 09:00
K2,A,P1,2025-06-01 12:00,
""",
    "orders": """order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
O1,A,S1,团购,2025-06-02 10:00,10,已支付
O2,A,S2,团购,2025-06-03 10:00,20,已支付
""",
    # C1 open at the end of the week of 06-02 (resolved 06-09 00:00, the next week's first instant), C2 not
    "complaints": """complaint_id,community_id,received_at,category,resolved_at
C1,A,2025-06-02 21:00,livestream_noise,2025-06-09 00:00
C2,A,2025-06-03 21:00,livestream_noise,2025-06-08 23:59
""",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("models"), SMALL)


def test_every_shipped_model_declares_kind_grain_and_publication():
    models = load_models()
    assert {m.path.parent.name for m in models} == set(MODEL_FOLDERS)
    for m in models:
        assert m.kind in KINDS and m.grain, m.where
        assert (m.kind == "staging") == (m.path.parent.name == "staging"), m.where
    staged = {m.feed for m in models if m.kind == "staging"}
    assert staged == set(FEEDS)   # one staging model per feed, named by its header, not by its file name


def test_the_header_is_read_as_written():
    assert parse_header(HEADER.format(kind="since day", grain="community_id, point_id, day", published="yes"),
                        "x.sql") == ("since", "day", ("community_id", "point_id", "day"), True)
    assert parse_header(HEADER.format(kind="staging orders", grain="community_id, order_id", published="no"),
                        "x.sql") == ("staging", "orders", ("community_id", "order_id"), False)


@pytest.mark.parametrize("text, says", [
    ("-- grain: one row per community\nSELECT 1\n", "expected '-- kind: …'"),                 # the old header
    ("SELECT 1\n", "expected '-- kind: …'"),
    (HEADER.format(kind="table", grain="a", published="yes"), "unknown kind 'table'"),
    (HEADER.format(kind="since", grain="a", published="yes"), "unknown kind 'since'"),        # since what?
    (HEADER.format(kind="period day", grain="a", published="yes"), "unknown kind 'period day'"),
    (HEADER.format(kind="staging shops", grain="a", published="no"), "names no feed"),
    (HEADER.format(kind="staging orders", grain="order_id", published="no"), "its feed's key community_id, order_id"),
    (HEADER.format(kind="full", grain="one row per community", published="yes"), "a list of distinct column names"),
    (HEADER.format(kind="full", grain="a, a", published="yes"), "a list of distinct column names"),
    (HEADER.format(kind="full", grain="a", published="maybe"), "yes or no"),
    (HEADER.format(kind="view", grain="a", published="yes"), "a view is not published"),
    (HEADER.format(kind="period", grain="community_id, period_start, channel", published="yes"),
     "a period model's grain holds community_id, grain, period_start"),
    ("-- kind: full\n-- published: yes\n-- grain: a\nSELECT 1\n", "expected '-- grain: …'"),
])
def test_a_bad_header_is_refused_naming_the_file(text, says):
    with pytest.raises(HeaderError, match="sql/marts/m.sql") as refused:
        parse_header(text, "sql/marts/m.sql")
    assert says in str(refused.value)


def test_the_build_refuses_a_model_without_a_header(tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "fine.sql").write_text(HEADER.format(kind="full", grain="a", published="yes"))
    (tmp_path / "marts" / "bare.sql").write_text("-- grain: one row per thing\nSELECT 1 AS a\n")
    with pytest.raises(HeaderError, match=r"marts/bare\.sql"):
        load_models(tmp_path)


def test_staging_models_live_in_staging_and_only_there(tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "s.sql").write_text(
        HEADER.format(kind="staging orders", grain="community_id, order_id", published="no"))
    with pytest.raises(HeaderError, match="sql/staging/ holds the staging models"):
        load_models(tmp_path)


def test_a_period_model_keyed_without_its_period_is_refused_at_load(tmp_path):
    """An incremental build replaces a period model's rows by community, grain and period_start: a grain
    without them would let it keep a stale row or drop a good one."""
    (tmp_path / "marts").mkdir()
    mart = tmp_path / "marts" / "m.sql"
    mart.write_text(HEADER.format(kind="period", grain="community_id, grain, period_start, channel", published="yes"))
    assert [(m.name, m.grain) for m in load_models(tmp_path)] == [
        ("m", ("community_id", "grain", "period_start", "channel"))]
    mart.write_text(HEADER.format(kind="period", grain="community_id, period_start, channel", published="yes"))
    with pytest.raises(HeaderError, match=r"marts/m\.sql: a period model's grain holds community_id, grain, "
                                          r"period_start .*found community_id, period_start, channel"):
        load_models(tmp_path)


@pytest.mark.parametrize("stray", ["models/m.sql", "marts/old/m.sql", "helpers.sql", "checks/deep/c.sql"])
def test_a_sql_file_the_build_would_ignore_is_refused_by_name(tmp_path, stray):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "fine.sql").write_text(HEADER.format(kind="full", grain="a", published="yes"))
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "c.sql").write_text("-- grain: the rows breaking a rule\nSELECT 1 AS a WHERE false\n")
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "current_version.sql").write_text("-- template\nSELECT 1\n")
    (tmp_path / "macros.sql").write_text("-- helpers\n")
    assert [m.name for m in load_models(tmp_path)] == ["fine"]      # every file where the build reads it
    path = tmp_path / stray
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER.format(kind="full", grain="a", published="yes"))
    with pytest.raises(ValueError, match=rf"^{tmp_path.name}/{stray}: the build would ignore it; a model goes in"):
        load_models(tmp_path)


def test_the_shipped_sql_folder_holds_no_stray_file():
    assert stray_files() == []


def test_the_grain_audit_finds_a_key_twice_and_a_key_left_null():
    con = duckdb.connect()
    con.execute("CREATE TABLE m AS SELECT * FROM (VALUES ('A', 1, 10), ('A', 2, 11), ('A', 2, 12), "
                "('B', NULL, 13), ('B', 3, 14)) t(c, k, v)")
    model = Model("m", SQL_DIR / "marts" / "m.sql", "", "full", ("c", "k"), True)
    assert sorted(con.execute(grain_audit(model)).fetchall(), key=str) == [("A", 2, 2), ("B", None, 1)]
    con.execute("DELETE FROM m WHERE v IN (12, 13)")
    assert con.execute(grain_audit(model)).fetchall() == []


def test_the_shipped_grains_hold_on_a_good_build(store):
    con = duckdb.connect(str(store), read_only=True)
    try:
        for m in load_models():
            assert con.execute(grain_audit(m)).fetchall() == [], m.where
    finally:
        con.close()


def test_a_build_breaking_a_grain_is_not_published(tmp_path, monkeypatch):
    db = build_store(tmp_path, {k: SMALL[k] for k in ("communities", "orders")})
    snapshot = current_snapshot(db)
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    # a grain stated without the seller: A's two sellers S1 and S2 of the week of 06-02 share
    # (community_id, grain, period_start), so the statement is wrong and the build says so (a grain
    # without the period is refused before any build: test_a_period_model_keyed_without_its_period_...)
    mart = sql / "marts" / "mart_orders_seller.sql"
    mart.write_text(mart.read_text(encoding="utf-8").replace(
        "-- grain: community_id, grain, period_start, seller_id", "-- grain: community_id, grain, period_start"),
        encoding="utf-8")
    real = build_mod.load_models
    monkeypatch.setattr(build_mod, "load_models", lambda: real(sql))
    with pytest.raises(AuditFailed, match=r"mart_orders_seller\.sql grain \(community_id, grain, period_start\)"):
        build(db, full=True)
    assert current_snapshot(db) == snapshot          # the dashboard keeps the last good build
    monkeypatch.setattr(build_mod, "load_models", real)
    build(db, full=True)
    assert current_snapshot(db) != snapshot


def test_a_grain_naming_a_column_the_model_lacks_is_named(tmp_path, monkeypatch):
    """The audits asked in one statement (runner._all_pass) fail on a grain's missing column; inside the build's
    transaction that error aborts it, so the audits one by one must still be able to say which model it is."""
    db = build_store(tmp_path, {k: SMALL[k] for k in ("communities", "orders")})
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    mart = sql / "marts" / "mart_orders_seller.sql"
    mart.write_text(mart.read_text(encoding="utf-8").replace(
        "-- grain: community_id, grain, period_start, seller_id",
        "-- grain: community_id, grain, period_start, seller_code"), encoding="utf-8")
    real = build_mod.load_models
    monkeypatch.setattr(build_mod, "load_models", lambda: real(sql))
    with pytest.raises(RuntimeError, match=r"mart_orders_seller\.sql: its grain \(.*seller_code\) cannot be audited"):
        build(db, full=True)


def test_the_snapshot_holds_exactly_the_published_models(store):
    snap = duckdb.connect(str(current_snapshot(store)), read_only=True)
    try:
        tables = {r[0] for r in snap.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        snap.close()
    models = load_models()
    assert tables == {m.name for m in models if m.published} | set(build_mod.PUBLISHED_EXTRA) | {"build_info"}
    assert not tables & {"stg_orders", "stg_parcels", "stg_jobs", "stg_training", "int_point_hourly"}


def test_each_kind_is_stored_as_it_says(store):
    con = duckdb.connect(str(store), read_only=True)
    try:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    for m in load_models():
        assert m.name in (views if m.materialization == "VIEW" else tables), m.where


def test_the_current_version_rule_is_the_sql_file_with_the_feeds_names():
    sql = current_rows_sql("training")
    assert "{{" not in sql
    assert "FROM raw_training WHERE true" in sql and "FROM seen_training WHERE true" in sql
    assert "PARTITION BY community_id, session_id, participant_id ORDER BY _import_id DESC, _row DESC" in sql
    assert sql.count("_import_id = ?") == 0
    assert current_rows_sql("orders", "_import_id = ?").count("_import_id = ?") == 2


def test_open_at_a_periods_end(store):
    """open_at(opened, closed, t): opened before t, and not closed before t."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        cases = [("2025-06-02 21:00", None, "2025-06-09", True),
                 ("2025-06-02 21:00", "2025-06-09 00:00", "2025-06-09", True),   # closed at t: still open at t
                 ("2025-06-02 21:00", "2025-06-08 23:59", "2025-06-09", False),
                 ("2025-06-09 00:00", None, "2025-06-09", False)]                # opened at t: not yet
        for opened, closed, t, expected in cases:
            got = con.execute("SELECT open_at(?::TIMESTAMP, ?::TIMESTAMP, ?::TIMESTAMP)", [opened, closed, t]).fetchone()[0]
            assert got is expected, (opened, closed, t)
        # C1 counts open at the end of the week of 06-02, C2 (resolved the Sunday before) does not
        assert con.execute("SELECT open_at_end FROM mart_complaints_period WHERE grain = 'week' "
                           "AND period_start = DATE '2025-06-02'").fetchone()[0] == 1
    finally:
        con.close()


def test_the_follow_up_list_is_what_open_at_end_counts(store):
    """The snapshot reader lists the complaints open at a period's end by the same open_at macro the mart
    counts them by, made as TEMP macros on the read-only snapshot."""
    snap = str(current_snapshot(store))
    listed = {end: list(snapshot_reader.followup_complaints(snap, ("A",), "A", end)["complaint_id"])
              for end in (dt.date(2025, 6, 2), dt.date(2025, 6, 4), dt.date(2025, 6, 8), dt.date(2025, 6, 9))}
    # C1 received 06-02 21:00, resolved 06-09 00:00; C2 received 06-03 21:00, resolved 06-08 23:59
    assert listed == {dt.date(2025, 6, 2): [], dt.date(2025, 6, 4): ["C1", "C2"], dt.date(2025, 6, 8): ["C1", "C2"],
                      dt.date(2025, 6, 9): ["C1"]}
    counted = snapshot_reader._frame(snap, "SELECT open_at_end FROM mart_complaints_period WHERE grain = 'week' "
                                           "AND period_start = DATE '2025-06-02'", [])["open_at_end"][0]
    assert counted == len(listed[dt.date(2025, 6, 9)]) == 1
    assert snapshot_reader.followup_complaints(snap, ("B",), "A", dt.date(2025, 6, 9)).empty   # out of scope


def test_the_incremental_build_reads_the_parcel_data_end_from_the_model(store):
    con = duckdb.connect(str(store), read_only=True)
    try:
        ends = increment._parcel_data_end(con)
        waited = con.execute("SELECT waited_hours FROM mart_overdue_parcels").fetchall()
        k2 = con.execute("SELECT waited_hours FROM int_parcels WHERE parcel_id = 'K2'").fetchone()[0]
    finally:
        con.close()
    assert {c: str(t) for c, t in ends.items()} == {"A": "2025-06-03 09:00:00"}
    assert k2 == 45.0 and waited == []      # 06-01 12:00 to 06-03 09:00, within the 72 h limit


def test_each_rule_is_written_once():
    texts = {p.relative_to(SQL_DIR).as_posix(): p.read_text(encoding="utf-8") for p in SQL_DIR.rglob("*.sql")}
    # "open at a period's end" is the macro; the marts and the incremental build call it
    for name in ("marts/mart_complaints_period.sql", "marts/mart_jobs_period.sql"):
        assert "open_at(" in texts[name] and "IS NULL OR" not in texts[name], name
    assert all("open_at(" in increment.RELEVANT[k] for k, f in FEEDS.items() if f.open_until)
    # the parcel data end: one model computes it, reading the feed's latest time as the registry defines it
    assert [n for n, t in texts.items() if "greatest(arrived_at, picked_up_at)" in t] == []
    assert [n for n, t in texts.items() if "int_feed_times" in t and "data_end" in t and "parcels" in t] == [
        "intermediate/int_parcel_data_end.sql"]


def test_an_incremental_audit_reads_the_rows_the_build_wrote():
    """Outside the recomputed range rows are as the last audited build left them; inside, a key twice is found."""
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE dirty AS SELECT 'A' AS community_id, TIMESTAMP '2025-06-01' AS t_from, "
                "DATE '2025-06-02' AS week_from, DATE '2025-06-01' AS month_from")
    increment.bounds_as_variables(con)     # as mark_dirty leaves them: in_range reads the starts from these
    con.execute("""CREATE TABLE m AS SELECT * FROM (VALUES
                       ('A', 'week', DATE '2025-05-26', 1), ('A', 'week', DATE '2025-05-26', 2),
                       ('A', 'week', DATE '2025-06-09', 3), ('A', 'week', DATE '2025-06-09', 4),
                       ('A', 'month', DATE '2025-06-01', 5), ('B', 'week', DATE '2025-06-09', 6),
                       ('B', 'week', DATE '2025-06-09', 7)) t(community_id, grain, period_start, v)""")
    period = Model("m", SQL_DIR / "marts" / "m.sql", "", "period", ("community_id", "grain", "period_start"), True)
    scope = increment.audit_scope(period, set())
    assert [r[:3] + (r[3],) for r in con.execute(grain_audit(period, scope)).fetchall()] == [
        ("A", "week", dt.date(2025, 6, 9), 2)]     # not May's week before the range, not untouched B
    assert len(con.execute(grain_audit(period)).fetchall()) == 3    # a full build reads them all
    since_keyed_without_time = Model("m", SQL_DIR / "m.sql", "", "since", ("community_id", "v"), True, "period_start")
    # keyed without its time: the rows whose key the build recomputed or found in range (the runner keeps them)
    con.execute("CREATE TEMP TABLE recomputed_m AS SELECT 'A' AS community_id, 1 AS v")
    scope = increment.audit_scope(since_keyed_without_time, set())
    assert con.execute(grain_audit(since_keyed_without_time, scope)).fetchall() == []
    con.execute("INSERT INTO m VALUES ('A', 'week', DATE '2025-06-09', 1)")   # key (A, 1) again, once before the range
    assert [r[:3] for r in con.execute(grain_audit(since_keyed_without_time, scope)).fetchall()] == [("A", 1, 2)]
    staging = Model("stg_orders", SQL_DIR / "staging" / "stg_orders.sql", "", "staging",
                    ("community_id", "order_id"), False, "orders")
    assert increment.audit_scope(staging, set()) == "false"       # not refreshed: as the last build left it
    assert "touched_stg_orders" in increment.audit_scope(staging, {"stg_orders"})


def test_a_full_model_over_period_models_is_recomputed_after_them():
    early, late = increment.full_models_by_phase(load_models())
    assert "period_spine" in {m.name for m in early} and "community_rules_effective" in {m.name for m in early}
    assert all(m.kind in ("full", "community") for m in early + late)
    # e.g. a ranking across communities over kpi, which an incremental build swaps in part by part
    assert {m.name for m in late} >= {m.name for m in load_models() if m.kind == "full" and "kpi" in m.reads}
    folder = SQL_DIR / "marts"
    spine = Model("spine", folder / "spine.sql", "", "full", ("a",), True)
    kpi = Model("kpi", folder / "kpi.sql", "", "period", ("a",), True, reads=frozenset({"spine"}))
    ranks = Model("ranks", folder / "ranks.sql", "", "full", ("a",), True, reads=frozenset({"kpi"}))
    assert increment.full_models_by_phase([spine, kpi, ranks]) == ([spine], [ranks])
    reader = Model("reader", folder / "reader.sql", "", "period", ("a",), True, reads=frozenset({"ranks"}))
    with pytest.raises(ValueError, match="reader.sql: a period model reads ranks"):
        increment.full_models_by_phase([spine, kpi, ranks, reader])


def test_models_are_parsed_once_per_version_of_the_files(tmp_path):
    # a process parses sql/ once (every build did, a sixth of a small build's time); an edited file is read anew
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    first = load_models(sql)
    assert load_models(sql) == first and load_models(sql) is not first   # a copy: a caller may change its list
    mart = sql / "marts" / "mart_orders_seller.sql"
    mart.write_text(mart.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    (edited,) = [m for m in load_models(sql) if m.name == "mart_orders_seller"]
    assert edited.sql.endswith("-- edited\n")


def test_the_parsed_models_follow_the_values_filled_into_them(monkeypatch):
    """load_models parses each version of sql/ once per process: a version is the files and the values sqlgen
    fills in (a test setting a rule default, a metric added), or the build runs the SQL of the values before."""
    from pipelines.build import sqlgen

    def mart():
        return next(m for m in load_models() if m.name == "mart_complaints_period").sql
    assert "WHERE complaints >= 2 GROUP BY ALL" in mart()
    monkeypatch.setattr(sqlgen, "REPEAT_COMPLAINTS", 3)
    assert "WHERE complaints >= 3 GROUP BY ALL" in mart()


def test_a_community_model_keys_its_rows_by_community_and_its_increment_reads_the_touched_ones(tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "per_feed.sql").write_text(HEADER.format(kind="community", grain="feed", published="no"))
    with pytest.raises(HeaderError, match="community model's grain holds community_id"):
        load_models(tmp_path)
    con = duckdb.connect()
    con.execute("SET VARIABLE inc_touched = ['A']::VARCHAR[]")   # as touch_communities leaves it
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('A', 'x'), ('A', 'x'), ('B', 'y'), ('B', 'y')) v(community_id, feed)")
    ours = Model("t", SQL_DIR / "marts" / "t.sql", "", "community", ("community_id", "feed"), True)
    # B's key twice was there when the last audited build passed: only A's rows were written now
    assert [r[:2] for r in con.execute(grain_audit(ours, increment.audit_scope(ours, set()))).fetchall()] == [("A", "x")]
