"""`linli lake export`: the current rows as Hive-partitioned Parquet that DuckDB reads back equal, rewritten
partition by partition, owner-only, never into the store's own folders."""
from __future__ import annotations

import datetime as dt
import json
import stat

import duckdb
import pytest

from pipelines.cli.common import OutputRefused, Outputs
from pipelines.ingest.store import import_file, set_rules
from pipelines.lake.export import LakeRefused, duckdb_read_sql, export_lake, read_manifest
from tests.conftest import build_store, write
from tests.pipelines.test_kpi import COMMUNITIES, COMPLAINTS, ORDERS, PARCELS, POINTS


@pytest.fixture()
def store(tmp_path):
    return build_store(tmp_path, {"communities": COMMUNITIES, "points": POINTS, "orders": ORDERS,
                                  "parcels": PARCELS, "complaints": COMPLAINTS})


def _same_as_store(db, lake, table):
    m = read_manifest(lake)
    e = m["tables"][table]
    cols = ", ".join(e["columns"])
    con = duckdb.connect(str(db), read_only=True)
    try:
        back = con.execute(f"SELECT * FROM ({duckdb_read_sql(lake, table, m)}) ORDER BY ALL").fetchall()
        here = con.execute(f"SELECT {cols} FROM {e['source']} ORDER BY ALL").fetchall()
    finally:
        con.close()
    return back, here


def test_duckdb_reads_the_lake_back_equal_to_the_current_rows(store, tmp_path):
    lake = tmp_path / "lake"
    result = export_lake(store, lake)
    # orders: A in 2025-01 (O7) and 2025-06 (O1-O6), B in 2025-06 (O8); parcels and complaints: A and B in June
    assert sorted(read_manifest(lake)["tables"]["orders"]["partitions"]) == [
        "community_id=A/month=2025-01", "community_id=A/month=2025-06", "community_id=B/month=2025-06"]
    assert (lake / "orders" / "community_id=A" / "month=2025-06" / "data.parquet").exists()
    assert (lake / "points" / "data.parquet").exists()              # a reference feed: unpartitioned
    assert result.tables["orders"] == 8 and result.tables["parcels"] == 7 and result.tables["points"] == 3
    for table in ("orders", "parcels", "complaints", "points", "communities"):
        back, here = _same_as_store(store, lake, table)
        assert back == here and back, table
    # a community's rules: its window is a time of day, in the files as fixed-width text (Spark reads no Parquet
    # TIME), read back as TIME
    set_rules(store, "A", "08:30", "21:15", 48)
    export_lake(store, lake)
    back, here = _same_as_store(store, lake, "community_rules")
    assert back == here == [("A", dt.time(8, 30), dt.time(21, 15), 48.0)]
    raw = duckdb.sql(f"SELECT window_start FROM read_parquet('{lake}/community_rules/data.parquet')").fetchall()
    assert raw == [("08:30:00.000000",)]
    # an empty feed is in the manifest with its columns and reads back as no rows
    assert _same_as_store(store, lake, "training") == ([], [])
    manifest = json.loads((lake / "manifest.json").read_text())
    assert manifest["schema_version"] >= 3 and "orders" in manifest["feeds"]
    # no store internals leave: the parquet files hold the feed's columns only (partition columns in the path)
    cols = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{lake}/orders/community_id=A/month=2025-06/data.parquet', "
                      "hive_partitioning = false)").fetchall()
    assert [c[0] for c in cols] == ["order_id", "seller_id", "channel", "ordered_at", "amount_yuan", "item_count",
                                    "status"]
    for p in lake.rglob("*"):
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), p


def test_a_second_export_rewrites_only_the_partitions_that_changed(store, tmp_path):
    lake = tmp_path / "lake"
    first = export_lake(store, lake)
    untouched = lake / "orders" / "community_id=B" / "month=2025-06" / "data.parquet"
    before = untouched.stat().st_mtime_ns
    again = export_lake(store, lake)
    assert again.written == 0 and again.kept == first.written
    # one more order of A in June: only orders/A/2025-06 changes, and feed_imports (A's orders were last brought
    # up by this file)
    import_file(store, "orders", write(tmp_path / "more.csv", """
        order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
        O20,A,S1,group_buy,2025-06-12 10:00,7,1,paid
        """))
    third = export_lake(store, lake)
    assert third.written == 2 and third.kept == first.written - 2 and third.removed == 0
    assert untouched.stat().st_mtime_ns == before
    back, here = _same_as_store(store, lake, "orders")
    assert back == here and len(back) == 9


def test_refuses_the_store_s_own_folders(store, tmp_path):
    from pipelines.build.runner import serving_dir
    with pytest.raises(OutputRefused):
        export_lake(store, serving_dir(store) / "lake", Outputs(store))
    with pytest.raises(LakeRefused):
        export_lake(store, store.parent, Outputs(store))     # the folder holding the database
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"x")
    with pytest.raises(LakeRefused):
        export_lake(store, other, Outputs(store))
    assert sorted(p.name for p in other.iterdir()) == ["cat.jpg"]
