"""SPEC §11: the models of sql/ on Spark give the same kpi as DuckDB, cell for cell. The store is built by
`linli build`, exported by `linli lake export`, the lake built again by the Spark engine; every cell is compared
(floats to 1e-9 relative, NULL = NULL, a cell on one side only fails). Needs pyspark and Java 17+ (make test
installs pyspark from the test lock; .ci/run installs a headless JRE where there is no java)."""
from __future__ import annotations

import datetime as dt
import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.metrics import METRICS

pytestmark = pytest.mark.spark


def _why_not() -> str | None:
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        return f"pyspark/sqlglot not installed ({exc.name}): pip install 'linli[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and (Path(java_home) / "bin" / "java").exists()):
        return "no java on PATH (Spark needs Java 17+: apt-get install openjdk-17-jre-headless)"
    return None


# Spark tuned for a few thousand rows, as its own test suites run it: most of a build's time went to compiling,
# not to the data (each model's plan generated as Java and compiled, then JIT-compiled by the JVM for the few
# rows it ever sees). None of these changes what a query means: the same results, with less work around them.
TINY_DATA = {"spark.sql.shuffle.partitions": "1",                  # one task per stage, not four tiny ones
             "spark.sql.adaptive.enabled": "false",                # no re-planning between stages
             "spark.sql.codegen.wholeStage": "false",              # no Java generated and compiled per plan
             "spark.sql.codegen.factoryMode": "NO_CODEGEN",        # expressions interpreted, not compiled
             "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000"}   # files listed here, no job
JVM_QUICK_START = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"       # the JIT's quick tier only, for a short run


@pytest.fixture(scope="module")
def spark():
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    from pipelines.lake.spark_build import spark_session
    with pytest.MonkeyPatch.context() as env:     # read by the JVM the session starts, and by nothing after
        env.setenv("JAVA_TOOL_OPTIONS", (os.environ.get("JAVA_TOOL_OPTIONS", "") + " " + JVM_QUICK_START).strip())
        session = spark_session("local[2]", app="linli-test")
    for key, value in TINY_DATA.items():
        session.conf.set(key, value)
    yield session
    session.stop()


def _duckdb_kpi(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT community_id, grain, period_start, metric, value FROM kpi").fetchall()
    finally:
        con.close()
    return {r[:4]: r[4] for r in rows}


def _spark_kpi(out: Path) -> dict:
    rows = duckdb.sql(f"SELECT community_id, grain, period_start, metric, value FROM read_parquet('{out}/*/*.parquet', "
                      f"hive_partitioning = true, hive_types_autocast = false)").fetchall()
    assert len({r[:4] for r in rows}) == len(rows), "a kpi cell twice in Spark's output"
    return {r[:4]: r[4] for r in rows}


def _mismatches(a: dict, b: dict) -> list:
    bad = [("only in duckdb", k, a[k]) for k in a.keys() - b.keys()]
    bad += [("only in spark", k, b[k]) for k in b.keys() - a.keys()]
    for k in a.keys() & b.keys():
        x, y = a[k], b[k]
        if x is None or y is None:
            if not (x is None and y is None):
                bad.append(("null on one side", k, (x, y)))
        elif not math.isclose(x, y, rel_tol=1e-9, abs_tol=0.0):
            bad.append(("differs", k, (x, y)))
    return sorted(bad, key=str)


def _renamed(text: str, ids: dict[str, str]) -> str:
    """A feed's CSV text with its community ids renamed (the hand-worked fixture beside the demo's A and B)."""
    import csv
    import io
    import textwrap
    rows = list(csv.reader(io.StringIO(textwrap.dedent(text).strip())))
    at = rows[0].index("community_id")
    for row in rows[1:]:
        row[at] = ids.get(row[at], row[at])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_the_demo_the_hand_worked_fixture_and_odd_ids_give_the_same_kpi_on_spark(spark, tmp_path):
    # One store, one Spark build (most of a build's cost is Spark's own, whatever the data's size):
    # - the demo, 2 communities × 18 weeks: every feed, the co-op's books from the 14th week with two split
    #   adoptions, a community's own rules;
    # - beside it, as communities H and I, test_kpi's fixture: the edge cases worked out by hand (a week across
    #   the new year, a pickup at 00:00, a parcel never picked up, complaints outside the window, a community
    #   without households...);
    # - one community per id of test_lake_build.ODD, escaped in a folder name ('/', '=', '%', ':'), each with
    #   one order. Spark reads the lake given as a file:// URI, as a cluster reads hdfs:// or s3a://, and gives
    #   each id back as it was.
    from pipelines.build.runner import build
    from pipelines.demo.generate import run_demo
    from pipelines.ingest.store import import_file
    from pipelines.lake.export import export_lake
    from pipelines.lake.spark_build import build_spark, register_lake
    from tests.conftest import write
    from tests.pipelines.test_kpi import (BUILDINGS, COMMUNITIES, COMPLAINTS, JOBS, ORDERS, PARCELS, POINTS,
                                          TRAINING)
    from tests.pipelines.test_lake_build import ODD, odd_ids_feeds
    db = tmp_path / "demo.duckdb"
    run_demo(db, communities=2, weeks=18, end=dt.date(2025, 6, 1), out_dir=str(tmp_path / "files"),
             say=lambda *a, **k: None)
    fixture = {"communities": COMMUNITIES, "buildings": BUILDINGS, "points": POINTS, "orders": ORDERS,
               "parcels": PARCELS, "complaints": COMPLAINTS, "training": TRAINING, "jobs": JOBS}
    for kind, text in fixture.items():
        report = import_file(db, kind, write(tmp_path / f"hand_{kind}.csv", _renamed(text, {"A": "H", "B": "I"})))
        assert not report.quarantined, (kind, report.quarantined[:3])
    for kind, text in odd_ids_feeds(order="ODD").items():
        report = import_file(db, kind, write(tmp_path / f"odd_{kind}.csv", text))
        assert not report.quarantined, (kind, report.quarantined[:3])
    build(db)
    lake = tmp_path / "lake"
    export_lake(db, lake)
    register_lake(spark, lake.as_uri())
    back = sorted(tuple(r) for r in spark.sql("SELECT community_id, order_id FROM cur_orders WHERE order_id LIKE 'ODD%'")
                  .collect())
    assert back == sorted((c, f"ODD{i}") for i, c in enumerate(ODD))
    result = build_spark(lake.as_uri(), spark=spark, out=str(tmp_path / "kpi"))
    ours, theirs = _duckdb_kpi(db), _spark_kpi(tmp_path / "kpi")
    assert result.kpi_rows == len(theirs)
    per = lambda c: sum(1 for k in ours if k[0] == c)
    # the demo: (19 weeks + 5 months) × every metric each, the co-op's sales in some of them;
    # H: test_kpi's 24 weeks and 6 months; I: the week of 2025-06-02 and June; each odd id: its orders
    assert (per("A"), per("B")) == (24 * len(METRICS), 24 * len(METRICS))
    assert (per("H"), per("I")) == (30 * len(METRICS), 2 * len(METRICS))
    assert any(k[3] == "coop.sales_yuan" and v for k, v in ours.items())
    june = [ours[(c, "month", dt.date(2025, 6, 1), "orders.gmv_yuan")] for c in ODD]
    assert june == [10 * (i + 1) for i in range(len(ODD))]
    assert _mismatches(ours, theirs) == []


def test_the_transpile_step_writes_duckdb_s_meaning_in_spark_s_words():
    # no Spark needed: what the generic fixes make of each construct, read as Spark SQL
    pytest.importorskip("sqlglot")
    from pipelines.lake.spark_build import to_spark
    # a macro of sql/macros.sql, substituted with its arguments in place
    assert to_spark("SELECT open_at(a, b, t) AS o FROM x") == \
        "SELECT ((a) < (t) AND ((b) IS NULL OR (b) >= (t))) AS o FROM x"
    # DuckDB divides as DOUBLE; a TIME is fixed-width text on Spark
    assert to_spark("SELECT n / 3600000000.0 AS h FROM x") == "SELECT CAST(n AS DOUBLE) / 3600000000.0 AS h FROM x"
    assert to_spark("SELECT ts::TIME >= TIME '09:00' AS late FROM x") == \
        "SELECT DATE_FORMAT(ts, 'HH:mm:ss.SSSSSS') >= '09:00:00.000000' AS late FROM x"
    # any_value in an order: the value of the latest row that has one
    assert to_spark("SELECT any_value(c ORDER BY t DESC) AS c FROM x") == \
        "SELECT MAX_BY(c, IF(NOT c IS NULL, t, NULL)) AS c FROM x"
    # COLUMNS(* EXCLUDE …) over a CTE written out, in the select list and in UNPIVOT
    assert to_spark("WITH w AS (SELECT k, a AS \"m.a\", b AS \"m.b\" FROM x), "
                    "d AS (SELECT k, COLUMNS(* EXCLUDE (k))::DOUBLE FROM w) "
                    "SELECT * FROM d UNPIVOT INCLUDE NULLS (v FOR m IN (COLUMNS(* EXCLUDE (k))))") == (
        "WITH w AS (SELECT k, a AS `m.a`, b AS `m.b` FROM x), d AS (SELECT k, CAST(`m.a` AS DOUBLE) AS `m.a`, "
        "CAST(`m.b` AS DOUBLE) AS `m.b` FROM w) SELECT * FROM d UNPIVOT INCLUDE NULLS (v FOR m IN (`m.a`, `m.b`))")
