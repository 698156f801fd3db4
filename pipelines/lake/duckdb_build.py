"""`linli build --engine duckdb --lake DIR`: the models kpi reads, on DuckDB, over a lake instead of a store.

The other engine's twin (spark_build.py), so that both are measured on the same input (bench/spark.py): each lake
table is a view over its Parquet (export.duckdb_read_sql: hive partitions, the store's column types) named like
the store's table, sql/macros.sql is run as it is, and the models kpi needs run in the build's order, each as
the DuckDB build creates it (`CREATE <materialization> name AS <sql>`, the same text: pipelines/build/models.py).
Nothing is published and no audit runs: kpi goes to DIR/kpi/grain=…/ as Parquet, the layout the Spark build
writes. The work happens in a scratch database file (DuckDB spills to its folder when memory runs short), which
goes at the end.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.build.models import load_models, macros_sql
from pipelines.lake.export import _lit, _q, duckdb_read_sql, read_manifest
from pipelines.lake.paths import local_path
from pipelines.lake.spark_build import KPI, kpi_models


@dataclass
class LakeBuildResult:
    seconds: float
    kpi_rows: int
    models: int
    out: Path


def _clear_output(out: Path) -> None:
    """A previous kpi output goes; a folder holding anything else is refused (no one's files are deleted)."""
    if not out.exists():
        return
    strays = [p.name for p in out.iterdir() if not (p.name.startswith("grain=") or p.name.startswith(("_", ".")))]
    if strays:
        raise ValueError(f"{out}: holds {', '.join(sorted(strays)[:3])}, which no kpi build wrote; not overwritten")
    shutil.rmtree(out)


def build_duckdb(lake: str | Path, out: str | Path | None = None, threads: int | None = None,
                 memory_limit: str | None = None) -> LakeBuildResult:
    started = time.perf_counter()
    lake = local_path(lake)
    manifest = read_manifest(lake)
    if manifest is None:
        raise ValueError(f"{lake}: no manifest.json of a Linli lake (linli lake export {lake})")
    out = Path(out).resolve() if out else lake / KPI
    models = kpi_models(load_models())
    scratch = Path(tempfile.mkdtemp(prefix="linli-lake-build-"))
    con = duckdb.connect(str(scratch / "build.duckdb"))
    try:
        con.execute(f"SET temp_directory = {_lit(str(scratch / 'spill'))}")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = {_lit(memory_limit)}")
        con.execute(macros_sql())
        for table, entry in manifest["tables"].items():
            con.execute(f"CREATE VIEW {_q(entry['source'])} AS {duckdb_read_sql(lake, table, manifest)}")
        for m in models:
            try:
                con.execute(f"CREATE {m.materialization} {m.name} AS {m.sql}")
            except Exception as exc:
                raise RuntimeError(f"model {m.path.name} over the lake: {exc}") from exc
        _clear_output(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY {KPI} TO {_lit(str(out))} (FORMAT parquet, PARTITION_BY (grain))")
        rows = con.execute(f"SELECT count(*) FROM {KPI}").fetchone()[0]
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return LakeBuildResult(time.perf_counter() - started, rows, len(models), out)
