"""Spark reads a lake given as a file:// URI, as a cluster reads hdfs:// or s3a://, and gives each community id
escaped in a folder name ('/', '=', '%', ':') back as it was: the kpi equal to the store's, cell for cell.
Needs pyspark and Java 17+ (as test_spark_equal.py; one small Spark build)."""
from __future__ import annotations

import pytest

from pipelines.lake.export import export_lake
from tests.conftest import build_store
from tests.pipelines.test_lake_build import ODD, _kpi, _store_kpi
from tests.pipelines.test_spark_equal import _mismatches, spark  # noqa: F401  (the module's Spark session)

pytestmark = pytest.mark.spark


def test_spark_builds_a_file_uri_lake_of_odd_community_ids(spark, tmp_path):  # noqa: F811
    from pipelines.lake.spark_build import build_spark, register_lake
    communities = "community_id,name,street,households,lat,lon\n" + "".join(
        f'"{c}",社区{i},金桥街道,100,26.57,106.71\n' for i, c in enumerate(ODD))
    orders = "order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status\n" + "".join(
        f'O{i},"{c}",S1,group_buy,2025-06-04 10:00,{10 * (i + 1)},1,paid\n' for i, c in enumerate(ODD))
    db = build_store(tmp_path, {"communities": communities, "orders": orders})
    lake = tmp_path / "lake"
    export_lake(db, lake)
    register_lake(spark, lake.as_uri())
    back = sorted(tuple(r) for r in spark.sql("SELECT community_id, order_id FROM cur_orders").collect())
    assert back == sorted((c, f"O{i}") for i, c in enumerate(ODD))
    result = build_spark(lake.as_uri(), spark=spark, out=str(tmp_path / "kpi"))
    theirs = _kpi(tmp_path / "kpi")
    assert result.kpi_rows == len(theirs)
    assert _mismatches(_store_kpi(db), theirs) == []
