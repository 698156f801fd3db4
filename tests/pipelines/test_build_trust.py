"""What a build trusts the store for (issue 17, the second pass): staging models are views over the current rows
the store keeps, so an increment learns a replaced row's old time from the store's change log, not from an old
staging row; and the keys the store already holds unique are audited without grouping every key."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.build import runner as build_mod
from pipelines.build.models import SQL_DIR, HeaderError, Model, grain_audit, load_models
from pipelines.build.runner import build
from pipelines.ingest.store import import_file, undo
from tests.conftest import rows

HEAD = "订单号,社区编号,商户编号,渠道,下单时间,金额,状态\n"


def orders(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(HEAD + "".join(f"{oid},A,S1,group_buy,{at},10,paid\n" for oid, at in rows), encoding="utf-8")
    return path


def q(db: Path, sql: str) -> list[tuple]:
    return rows(db, sql)


def weekly_orders(db: Path) -> dict[dt.date, float]:
    return dict(q(db, "SELECT period_start, value FROM kpi WHERE metric = 'orders.count' AND grain = 'week' "
                      "AND community_id = 'A' ORDER BY 1"))


def test_a_correction_moving_an_order_later_empties_its_old_week_in_an_increment(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", orders(tmp_path / "1.csv", [("O1", "2025-06-02 10:00"), ("O2", "2025-06-23 09:00")]))
    build(db)
    assert weekly_orders(db) == {dt.date(2025, 6, 2): 1, dt.date(2025, 6, 9): 0, dt.date(2025, 6, 16): 0,
                                 dt.date(2025, 6, 23): 1}
    fix = import_file(db, "orders", orders(tmp_path / "2.csv", [("O1", "2025-06-17 08:30"), ("O3", "2025-06-24 12:00")]))
    # the store logged the row it replaced with that row's time (O1 was in the week of 2 June); O3 replaced none
    assert q(db, "SELECT order_id, seq, old_from FROM cur_changes_orders ORDER BY 1") == [
        ("O1", fix.import_id, dt.datetime(2025, 6, 2, 10, 0)), ("O3", fix.import_id, None)]
    assert build(db).mode == "incremental"
    # recomputed from the old row's week: O1 left the week of 2 June, so the data now starts on 17 June and the
    # weeks of 2 and 9 June are gone; the new rows alone (17 June on) would have left them standing, O1 counted
    assert weekly_orders(db) == {dt.date(2025, 6, 16): 1, dt.date(2025, 6, 23): 2}
    full = tmp_path / "full.duckdb"
    shutil.copy(db, full)
    build(full, full=True)
    assert weekly_orders(full) == weekly_orders(db)
    assert q(db, "SELECT count(*) FROM cur_changes_orders") == [(0,)]      # taken in
    undo(db, fix.import_id)
    # undo logs the rows it took away: O1's corrected row (17 June) and O3 (24 June)
    assert q(db, "SELECT order_id, old_from FROM cur_changes_orders ORDER BY 1") == [
        ("O1", dt.datetime(2025, 6, 17, 8, 30)), ("O3", dt.datetime(2025, 6, 24, 12, 0))]
    assert build(db).mode == "incremental"
    assert weekly_orders(db) == {dt.date(2025, 6, 2): 1, dt.date(2025, 6, 9): 0, dt.date(2025, 6, 16): 0,
                                 dt.date(2025, 6, 23): 1}


def test_a_parcels_old_time_is_the_earlier_of_arrival_and_pickup(tmp_path):
    db = tmp_path / "t.duckdb"
    head = "parcel_id,community_id,point_id,arrived_at,picked_up_at\n"
    (tmp_path / "p1.csv").write_text(head + "K1,A,P1,2025-06-02 08:00,2025-06-03 09:00\n", encoding="utf-8")
    (tmp_path / "p2.csv").write_text(head + "K1,A,P1,2025-06-05 08:00,2025-06-05 09:00\n", encoding="utf-8")
    import_file(db, "parcels", tmp_path / "p1.csv")
    import_file(db, "parcels", tmp_path / "p2.csv")
    assert q(db, "SELECT parcel_id, old_from FROM cur_changes_parcels ORDER BY seq") == [
        ("K1", None), ("K1", dt.datetime(2025, 6, 2, 8, 0))]


def test_the_staging_audit_looks_for_null_keys_alone():
    """A staging model's key is unique in cur_<feed> (the store replaces rows by key): a key twice cannot come
    from the store, so the audit no longer groups millions of keys to look for one; a NULL key is still found."""
    con = duckdb.connect()
    con.execute("CREATE TABLE stg_orders AS SELECT * FROM (VALUES ('A', 'O1'), ('A', 'O1'), ('A', NULL), "
                "('B', 'O2')) t(community_id, order_id)")
    staging = Model("stg_orders", SQL_DIR / "staging" / "stg_orders.sql", "", "staging",
                    ("community_id", "order_id"), False, "orders")
    assert con.execute(grain_audit(staging)).fetchall() == [("A", None, 1)]


def test_an_as_in_grain_is_audited_by_row_count():
    """'-- grain: … as in s': each row is one of s's, so a join that repeats a row (a rules table holding a
    community twice) shows as one row more than s, and a NULL key is found as ever."""
    con = duckdb.connect()
    con.execute("CREATE TABLE s AS SELECT * FROM (VALUES ('A', 1), ('A', 2), ('B', 3)) t(c, k)")
    con.execute("CREATE TABLE rules AS SELECT * FROM (VALUES ('A', 48), ('B', 72)) t(c, hours)")
    con.execute("CREATE VIEW m AS SELECT s.c, s.k, r.hours FROM s JOIN rules r USING (c)")
    model = Model("m", SQL_DIR / "intermediate" / "m.sql", "", "view", ("c", "k"), False, grain_of="s")
    assert con.execute(grain_audit(model)).fetchall() == []
    con.execute("INSERT INTO rules VALUES ('B', 24)")          # B twice: its parcel 3 is read twice
    assert con.execute(grain_audit(model)).fetchall() == [(None, None, 1)]
    con.execute("DELETE FROM rules WHERE c = 'A'")             # A lost: two rows fewer, one more: -1
    assert con.execute(grain_audit(model)).fetchall() == [(None, None, -1)]
    con.execute("DELETE FROM rules WHERE hours = 24")
    con.execute("INSERT INTO rules VALUES ('A', 48)")
    con.execute("INSERT INTO s VALUES ('A', NULL)")
    assert con.execute(grain_audit(model)).fetchall() == [("A", None, 1)]


def _sql_copy(tmp_path: Path) -> Path:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    return sql


def test_a_staging_model_reading_more_than_its_current_rows_is_refused(tmp_path):
    sql = _sql_copy(tmp_path)
    stg = sql / "staging" / "stg_orders.sql"
    stg.write_text(stg.read_text(encoding="utf-8").replace("FROM cur_orders", "FROM cur_orders JOIN cur_sellers "
                                                           "USING (community_id, seller_id)"), encoding="utf-8")
    with pytest.raises(HeaderError, match=r"stg_orders\.sql: a staging model reads cur_orders alone"):
        load_models(sql)


def test_an_as_in_grain_names_a_model_read_with_the_same_grain(tmp_path):
    sql = _sql_copy(tmp_path)
    view = sql / "intermediate" / "int_parcels.sql"
    view.write_text(view.read_text(encoding="utf-8").replace("as in stg_parcels", "as in stg_orders"),
                    encoding="utf-8")
    with pytest.raises(HeaderError, match=r"int_parcels\.sql: 'as in stg_orders' names a model it reads"):
        load_models(sql)


def test_a_build_whose_join_repeats_parcels_is_not_published(tmp_path, monkeypatch):
    db = tmp_path / "t.duckdb"
    head = "parcel_id,community_id,point_id,arrived_at,picked_up_at\n"
    (tmp_path / "p.csv").write_text(head + "K1,A,P1,2025-06-02 08:00,2025-06-03 09:00\n", encoding="utf-8")
    import_file(db, "parcels", tmp_path / "p.csv")
    sql = _sql_copy(tmp_path)
    view = sql / "intermediate" / "int_parcels.sql"
    # a second join on the community that repeats each parcel: the grain statement still says one row per parcel
    view.write_text(view.read_text(encoding="utf-8").replace(
        ") c USING (community_id)",
        ") c USING (community_id)\n    JOIN (SELECT community_id FROM int_parcel_data_end "
        "UNION ALL SELECT community_id FROM int_parcel_data_end) twice USING (community_id)"), encoding="utf-8")
    assert "twice" in view.read_text(encoding="utf-8")   # the join is written where it repeats each parcel
    real = build_mod.load_models
    monkeypatch.setattr(build_mod, "load_models", lambda: real(sql))
    with pytest.raises(build_mod.AuditFailed, match=r"int_parcels\.sql grain .*unlike stg_parcels's in number"):
        build(db, full=True)


def test_an_increments_shadows_of_the_staging_views_are_gone_once_the_period_models_ran(tmp_path):
    # The models after the period models, the audits and the forecast read whole feeds: a temp copy of a staging
    # view holding only the recomputed periods, left in place, would hide the view from them.
    from pipelines.build import increment
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", orders(tmp_path / "a.csv", [("O1", "2025-06-02 10:00"), ("O2", "2025-06-20 10:00")]))
    build(db)
    con = duckdb.connect(str(db))
    try:
        staging = [m for m in load_models() if m.kind == "staging"]
        con.execute("CREATE TEMP TABLE dirty AS SELECT 'A' AS community_id, TIMESTAMP '2025-06-16' AS t_from, "
                    "DATE '2025-06-16' AS week_from, DATE '2025-06-01' AS month_from")
        temp = "SELECT table_name FROM duckdb_tables() WHERE temporary"
        increment.shadow_inputs(con, staging)
        assert {"stg_orders", "period_spine"} <= {r[0] for r in con.execute(temp).fetchall()}
        increment.drop_shadows(con)
        assert {r[0] for r in con.execute(temp).fetchall()} == {"dirty"}
    finally:
        con.close()
