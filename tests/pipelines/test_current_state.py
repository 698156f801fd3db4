"""The current rows kept in a table (issue 17 item 1): an import stores a row again only when it changed,
undo stays exact, and the build learns which keys changed from the store's log.

The reference for "exact" is the rule as SPEC §4 states it, computed here in Python from the files alone: the
current version of a key is the one from the latest applied import that brought it."""
from __future__ import annotations

import random
from pathlib import Path

import duckdb

from pipelines.build.runner import build
from pipelines.ingest.store import import_file, undo

HEAD = "订单号,社区编号,商户编号,渠道,下单时间,金额,状态\n"


def write(path: Path, rows: list[tuple[str, int]]) -> Path:
    path.write_text(HEAD + "".join(f"{oid},A,S1,group_buy,2025-06-02 10:00,{amount},paid\n" for oid, amount in rows),
                    encoding="utf-8")
    return path


def q(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def current(db: Path) -> dict[str, float]:
    return {oid: amount for oid, amount in q(db, "SELECT order_id, amount_yuan FROM cur_orders")}


def test_a_re_export_stores_only_what_changed_and_notes_the_rest_by_key(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "w1.csv", [("O1", 10), ("O2", 20)]))
    second = import_file(db, "orders", write(tmp_path / "w2.csv", [("O1", 10), ("O2", 25), ("O3", 30)]))
    assert (second.rows_new, second.rows_replaced, second.rows_unchanged) == (1, 1, 1)
    # O1 unchanged: no second copy of its values, only that import 2 brought it, pointing at import 1's row
    assert q(db, "SELECT order_id, _import_id FROM raw_orders ORDER BY 2, 1") == [
        ("O1", 1), ("O2", 1), ("O2", 2), ("O3", 2)]
    assert q(db, "SELECT order_id, _import_id, _src_import FROM seen_orders") == [("O1", 2, 1)]
    assert current(db) == {"O1": 10.0, "O2": 25.0, "O3": 30.0}


def test_undo_is_exact_through_rows_brought_unchanged(tmp_path):
    db = tmp_path / "t.duckdb"
    one = import_file(db, "orders", write(tmp_path / "1.csv", [("X", 1)]))
    two = import_file(db, "orders", write(tmp_path / "2.csv", [("X", 1), ("Y", 5)]))     # X unchanged
    three = import_file(db, "orders", write(tmp_path / "3.csv", [("X", 2)]))             # X corrected
    undo(db, three.import_id)
    assert current(db) == {"X": 1.0, "Y": 5.0}
    undo(db, one.import_id)        # import 2 brought X too: it stays, with the values import 1 stored
    assert current(db) == {"X": 1.0, "Y": 5.0}
    undo(db, two.import_id)
    assert current(db) == {}


def test_the_change_log_names_the_keys_whose_current_row_changed_until_a_build_takes_them(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "1.csv", [("O1", 10), ("O2", 20)]))
    assert q(db, "SELECT order_id, seq FROM cur_changes_orders ORDER BY 1") == [("O1", 1), ("O2", 1)]
    build(db)
    assert q(db, "SELECT count(*) FROM cur_changes_orders") == [(0,)]
    import_file(db, "orders", write(tmp_path / "2.csv", [("O1", 10), ("O2", 21)]))   # O1 unchanged: not logged
    assert q(db, "SELECT order_id, seq FROM cur_changes_orders") == [("O2", 2)]
    assert build(db).mode == "incremental"
    assert q(db, "SELECT order_id, amount_yuan FROM stg_orders ORDER BY 1") == [("O1", 10), ("O2", 21)]


def test_a_store_whose_current_rows_were_a_view_is_migrated_to_the_same_rows(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "1.csv", [("O1", 10), ("O2", 20)]))
    import_file(db, "orders", write(tmp_path / "2.csv", [("O2", 22)]))
    # what schema version 2 left: every version stored, current rows a view ranking them
    con = duckdb.connect(str(db))
    for kind in ("orders",):
        con.execute(f"DROP TABLE cur_{kind}")
        con.execute(f"""CREATE VIEW cur_{kind} AS SELECT r.* FROM raw_{kind} r
                        WHERE r._import_id IN (SELECT import_id FROM imports WHERE status = 'applied')
                        QUALIFY row_number() OVER (PARTITION BY community_id, order_id
                                                   ORDER BY r._import_id DESC, r._row DESC) = 1""")
    con.execute("UPDATE linli_meta SET value = '2' WHERE name = 'schema_version'")
    con.close()
    import_file(db, "orders", write(tmp_path / "3.csv", [("O3", 30)]))
    assert q(db, "SELECT table_type FROM information_schema.tables WHERE table_name = 'cur_orders'") == [("BASE TABLE",)]
    assert current(db) == {"O1": 10.0, "O2": 22.0, "O3": 30.0}
    assert q(db, "SELECT value FROM linli_meta WHERE name = 'schema_version'") == [("3",)]


def test_random_imports_and_undos_match_the_rule_worked_from_the_files(tmp_path):
    """Against SPEC §4 computed in Python: after every step, cur_orders holds, for each key, the values of the
    latest applied import that brought it (re-exports, corrections, new keys, undos in any order)."""
    rng = random.Random(17)
    db = tmp_path / "t.duckdb"
    files: dict[int, dict[str, int]] = {}     # import id -> the rows it brought
    applied: set[int] = set()
    for step in range(40):
        if applied and rng.random() < 0.3:
            victim = rng.choice(sorted(applied))
            undo(db, victim)
            applied.discard(victim)
        else:
            keys = rng.sample(["K1", "K2", "K3", "K4", "K5", "K6"], rng.randint(1, 5))
            rows = {k: rng.choice([1, 2, 3]) for k in keys}          # few values: many rows arrive unchanged
            report = import_file(db, "orders", write(tmp_path / f"f{step}.csv", sorted(rows.items())))
            if report.import_id is None:      # the very same bytes as an applied file: nothing happens
                continue
            files[report.import_id] = rows
            applied.add(report.import_id)
        expected: dict[str, float] = {}
        for imp in sorted(applied):
            expected.update({k: float(v) for k, v in files[imp].items()})
        assert current(db) == expected, f"step {step}"


def test_an_import_that_only_repeated_rows_is_still_its_communitys(tmp_path):
    """Its rows are seen, not stored: the audit trail and the feed's coverage still count it for community A."""
    from pipelines.records import audit
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "1.csv", [("O1", 10)]))
    again = import_file(db, "orders", write(tmp_path / "2.csv", [("O1", 10), ("O1", 10)]))   # other bytes, same row
    assert again.rows_unchanged == 1 and q(db, "SELECT count(*) FROM raw_orders") == [(1,)]
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert audit.import_communities(con, "orders", again.import_id) == ["A"]
    finally:
        con.close()
    build(db)
    assert q(db, f"SELECT count(*) FROM versions_orders WHERE _import_id = {again.import_id}") == [(1,)]


def test_a_store_stamped_by_this_code_skips_the_schema_statements_until_something_is_missing(tmp_path):
    # ensure_schema runs seventy statements; a store stamped with this code's schema digest and holding
    # every object is left as it is, one that lost an object or carries another stamp is brought up again
    from pipelines.database import connect
    from pipelines.ingest import store
    db = tmp_path / "s.duckdb"
    con = connect(db)
    try:
        store.ensure_schema(con)
        stamp = lambda: con.execute("SELECT value FROM linli_meta WHERE name = 'schema_digest'").fetchone()[0]
        columns = lambda: {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() "
                                                     "WHERE table_name = 'raw_orders'").fetchall()}
        assert stamp() == store._schema_digest() and store._schema_is_current(con)
        con.execute("DROP VIEW raw_keys")                       # the demo's fresh start drops what it does not keep
        assert not store._schema_is_current(con)
        store.ensure_schema(con)
        assert con.execute("SELECT count(*) FROM raw_keys").fetchone()[0] == 0 and store._schema_is_current(con)
        con.execute("ALTER TABLE raw_orders DROP COLUMN _extra")  # a store written by other code, stamped so
        assert store._schema_is_current(con)                    # the stamp is what is trusted …
        con.execute("UPDATE linli_meta SET value = 'other code' WHERE name = 'schema_digest'")
        store.ensure_schema(con)                                # … and another stamp is not
        assert "_extra" in columns() and stamp() == store._schema_digest()
    finally:
        con.close()


def test_each_import_notes_its_communities_and_a_store_written_before_gets_them_from_its_versions(tmp_path):
    # coverage reads which communities each file brought from import_communities, not from every stored version
    db = tmp_path / "c.duckdb"
    first = import_file(db, "orders", write(tmp_path / "w1.csv", [("O1", 10), ("O2", 20)]))
    again = import_file(db, "orders", write(tmp_path / "w2.csv", [("O1", 10)]))      # only a row it had: A all the same
    other = tmp_path / "b.csv"
    other.write_text(HEAD + "P1,B,S1,group_buy,2025-06-03 10:00,5,paid\n", encoding="utf-8")
    third = import_file(db, "orders", other)
    noted = [(first.import_id, "orders", "A"), (again.import_id, "orders", "A"), (third.import_id, "orders", "B")]
    assert sorted(q(db, "SELECT import_id, kind, community_id FROM import_communities")) == noted
    from pipelines.database import connect
    from pipelines.ingest import store
    con = connect(db)
    try:   # a store from before: no table, another stamp; the next open fills it from the stored and seen versions
        con.execute("DROP TABLE import_communities")
        con.execute("UPDATE linli_meta SET value = 'other code' WHERE name = 'schema_digest'")
        store.ensure_schema(con)
    finally:
        con.close()
    assert sorted(q(db, "SELECT import_id, kind, community_id FROM import_communities")) == noted
