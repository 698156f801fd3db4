"""The lake read by DuckDB (`linli build --engine duckdb --lake DIR`), a partition value escaped in its folder name
and read back as the id it was, a lake given as a file:// URI, and a lake grown k times (bench/spark.py)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines.lake.duckdb_build import build_duckdb
from pipelines.lake.export import duckdb_read_sql, export_lake, read_manifest
from pipelines.lake.grow import grow_lake, new_ids
from pipelines.lake.paths import escape_value, local_path, spark_location, unescape_value
from pipelines.metrics import METRICS
from tests.conftest import build_store
from tests.pipelines.test_kpi import BUILDINGS, COMMUNITIES, COMPLAINTS, JOBS, ORDERS, PARCELS, POINTS, TRAINING

# ids special in a path ('/', '..'), in a Hive partition value ('=', '%', ':') or merely unusual (a space, Chinese)
ODD = ["东区/1", "a=b", "50%", "x y", "中文", "..", "c:d"]


def _kpi(out) -> dict:
    rows = duckdb.sql(f"SELECT community_id, grain, period_start, metric, value FROM read_parquet('{out}/*/*.parquet', "
                      "hive_partitioning = true, hive_types_autocast = false)").fetchall()
    assert len({r[:4] for r in rows}) == len(rows)
    return {r[:4]: r[4] for r in rows}


def _store_kpi(db) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[:4]: r[4] for r in con.execute("SELECT community_id, grain, period_start, metric, value FROM kpi")
                .fetchall()}
    finally:
        con.close()


def test_a_partition_value_is_escaped_as_hive_writes_it():
    assert escape_value("东区/1") == "东区%2F1"
    assert escape_value("a=b") == "a%3Db"
    assert escape_value("50%") == "50%25"
    assert escape_value("c:d") == "c%3Ad"
    assert escape_value("x\ty") == "x%09y"
    # a space, Chinese and '..' stay: inside community_id=.. the dots are no step up, and both readers take them
    assert escape_value("x y") == "x y" and escape_value("中文") == "中文" and escape_value("..") == ".."
    # an id that looks escaped already is escaped again, so that it reads back as written
    assert escape_value("%2F") == "%252F" and unescape_value("%252F") == "%2F"
    for v in ODD + ["%2F", "a%", "#[x]^"]:
        assert unescape_value(escape_value(v)) == v
    with pytest.raises(ValueError):
        escape_value("")


def odd_ids_feeds(order: str = "O") -> dict[str, str]:
    """One community per id of ODD, each with one paid order on Wednesday 4 June 2025 of 10, 20, … yuan, its id
    `order` and the id's place in ODD."""
    communities = "community_id,name,street,households,lat,lon\n" + "".join(
        f'"{c}",社区{i},金桥街道,100,26.57,106.71\n' for i, c in enumerate(ODD))
    orders = "order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status\n" + "".join(
        f'{order}{i},"{c}",S1,group_buy,2025-06-04 10:00,{10 * (i + 1)},1,paid\n' for i, c in enumerate(ODD))
    return {"communities": communities, "orders": orders}


def odd_ids_lake(tmp_path: Path) -> tuple[Path, Path]:
    """(store, lake) of the communities of odd_ids_feeds."""
    db = build_store(tmp_path, odd_ids_feeds())
    lake = tmp_path / "lake"
    export_lake(db, lake)
    return db, lake


def test_odd_community_ids_round_trip_through_the_lake(tmp_path):
    db, lake = odd_ids_lake(tmp_path)
    # one folder per id, '/' '=' '%' ':' escaped: no id became two folders or climbed out of orders/
    assert sorted(p.name for p in (lake / "orders").iterdir()) == sorted(
        ["community_id=东区%2F1", "community_id=a%3Db", "community_id=50%25", "community_id=x y", "community_id=中文",
         "community_id=..", "community_id=c%3Ad"])
    assert sorted(read_manifest(lake)["tables"]["orders"]["partitions"])[0] == "community_id=../month=2025-06"
    back = duckdb.sql(f"SELECT community_id, order_id FROM ({duckdb_read_sql(lake, 'orders')}) ORDER BY order_id")
    assert back.fetchall() == [(c, f"O{i}") for i, c in enumerate(ODD)]
    # and the models over the lake give each community its own order: the count 1, the GMV 10 × (i + 1)
    kpi = _kpi(build_duckdb(lake).out)
    for i, c in enumerate(ODD):
        month = {k[3]: v for k, v in kpi.items() if k[0] == c and k[1] == "month"}
        assert month["orders.count"] == 1 and month["orders.gmv_yuan"] == 10 * (i + 1), c
    assert kpi == _store_kpi(db)
    # a second export finds every escaped partition unchanged
    again = export_lake(db, lake)
    assert again.written == 0 and again.removed == 0


@pytest.fixture(scope="module")
def fixture_lake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lake_build")
    db = build_store(folder, {"communities": COMMUNITIES, "buildings": BUILDINGS, "points": POINTS,
                              "orders": ORDERS, "parcels": PARCELS, "complaints": COMPLAINTS,
                              "training": TRAINING, "jobs": JOBS})
    export_lake(db, folder / "lake")
    return db, folder / "lake"


def test_duckdb_over_the_lake_gives_the_store_s_kpi(fixture_lake, tmp_path):
    db, lake = fixture_lake
    result = build_duckdb(lake, out=tmp_path / "kpi")
    ours = _kpi(result.out)
    # A: 24 weeks and 6 months (test_kpi); B: the week of 2025-06-02 and June
    assert result.kpi_rows == len(ours) == (24 + 6 + 1 + 1) * len(METRICS)
    assert ours == _store_kpi(db)
    assert ours[("A", "month", dt.date(2025, 6, 1), "orders.count")] == 5     # O1-O6 but O4, cancelled


def test_a_file_uri_lake_builds_as_its_path(fixture_lake, tmp_path):
    db, lake = fixture_lake
    uri = lake.as_uri()
    assert uri.startswith("file:///") and local_path(uri) == lake.resolve()
    assert spark_location(uri) == uri and spark_location(lake) == str(lake.resolve())
    assert spark_location("hdfs://nn:8020/linli/lake/") == "hdfs://nn:8020/linli/lake"
    with pytest.raises(ValueError):
        local_path("s3a://bucket/lake")
    assert _kpi(build_duckdb(uri, out=tmp_path / "by_uri").out) == _kpi(build_duckdb(lake, out=tmp_path / "by_path").out)


def test_a_grown_lake_repeats_each_community_under_new_ids(fixture_lake, tmp_path):
    db, lake = fixture_lake
    assert new_ids(["A", "B"], 3) == [{"A": "A", "B": "B"}, {"A": "A-2", "B": "B-2"}, {"A": "A-3", "B": "B-3"}]
    grown = grow_lake(lake, tmp_path / "x3", 3)
    base_manifest = read_manifest(lake)
    assert grown["tables"]["orders"]["rows"] == 3 * 8 and grown["tables"]["communities"]["rows"] == 3 * 2
    assert len(grown["tables"]["orders"]["partitions"]) == 3 * len(base_manifest["tables"]["orders"]["partitions"])
    names = duckdb.sql(f"SELECT community_id, name FROM ({duckdb_read_sql(tmp_path / 'x3', 'communities')}) "
                       "ORDER BY ALL").fetchall()
    assert names == [("A", "A社区"), ("A-2", "A-2社区"), ("A-3", "A-3社区"), ("B", "B社区"), ("B-2", "B-2社区"),
                     ("B-3", "B-3社区")]
    base = _store_kpi(db)
    kpi = _kpi(build_duckdb(tmp_path / "x3").out)
    assert len(kpi) == 3 * len(base)
    for suffix in ("", "-2", "-3"):
        assert {(k[0] + suffix,) + k[1:]: v for k, v in base.items()} == \
            {k: v for k, v in kpi.items() if k[0] in ("A" + suffix, "B" + suffix)}
