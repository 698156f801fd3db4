"""`linli build --engine spark --lake DIR [--master URL]` (SPEC §11): the models of sql/ on Apache Spark.

No model exists twice. Each model is loaded as the DuckDB build loads it (pipelines/build/models.py: the
same files, the same templating), the macros of sql/macros.sql are substituted into it as SQL (one
definition: a call `period_start(g, ts)` becomes the macro's body with its arguments in place), and sqlglot
transpiles the result from DuckDB's dialect to Spark SQL at run time. What sqlglot cannot carry over is
handled here generically, on the parse tree, for any model (see `_spark_fixes`). The lake's Parquet
(pipelines/lake/export.py) is registered as temporary views named like the store's tables (cur_<feed>,
community_rules, coop_split); each model the kpi needs runs as a cached temporary view, in the DuckDB build's
order; kpi is written to DIR/kpi/ partitioned by grain.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.build.models import Model, load_models, macros_sql
from pipelines.lake.export import MANIFEST, read_manifest
from pipelines.lake.paths import is_local, join, spark_location

KPI = "kpi"
_MACRO = re.compile(r"CREATE OR REPLACE MACRO (\w+)\(([^)]*)\) AS(.*?);", re.S)


class SparkMissing(RuntimeError):
    """pyspark or sqlglot is not installed (pip install linli[spark]), or no Java runs it."""


def _sqlglot():
    try:
        import sqlglot
    except ImportError as exc:
        raise SparkMissing("sqlglot is not installed: pip install 'linli[spark]'") from exc
    return sqlglot


def macros() -> dict[str, tuple[list[str], object]]:
    """name -> (parameters, body as a sqlglot tree), from sql/macros.sql."""
    sqlglot = _sqlglot()
    found = {}
    for m in _MACRO.finditer(macros_sql()):
        params = [p.strip() for p in m.group(2).split(",")]
        found[m.group(1).lower()] = (params, sqlglot.parse_one(m.group(3), read="duckdb"))
    if len(found) != macros_sql().count(" MACRO "):
        raise ValueError("sql/macros.sql: each macro reads 'CREATE OR REPLACE MACRO name(args) AS body;'")
    return found


def kpi_models(models: list[Model]) -> list[Model]:
    """The models kpi reads, directly or through others, in the build's order (the rest serve pages only)."""
    by_name = {m.name: m for m in models}
    need, todo = set(), [KPI]
    while todo:
        name = todo.pop()
        if name not in need:
            need.add(name)
            todo.extend(by_name[name].reads)
    return [m for m in models if m.name in need]


def to_spark(sql: str, macro_defs: dict | None = None) -> str:
    """One model's DuckDB SQL as Spark SQL: macros expanded, transpiled, then the generic fixes."""
    sqlglot = _sqlglot()
    from sqlglot import exp
    macro_defs = macros() if macro_defs is None else macro_defs

    def expand(node):
        if isinstance(node, exp.Anonymous) and node.name.lower() in macro_defs:
            params, body = macro_defs[node.name.lower()]
            if len(params) != len(node.expressions):
                raise ValueError(f"{node.name}: {len(params)} arguments expected, {len(node.expressions)} given")
            args = dict(zip(params, node.expressions))
            filled = body.copy().transform(
                lambda n: exp.paren(args[n.name].copy())
                if isinstance(n, exp.Column) and not n.table and n.name in args else n)
            return exp.paren(filled.transform(expand))
        return node

    tree = sqlglot.parse_one(sql, read="duckdb").transform(expand)
    tree = _spark_fixes(tree)
    return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)


TIME_TEXT = "HH:mm:ss.SSSSSS"     # a time of day on Spark, which has no TIME: fixed-width text (export.py)


def _time_literal(text: str) -> str:
    import datetime as dt
    return dt.time.fromisoformat(text).strftime("%H:%M:%S.%f")


def _spark_fixes(tree):
    """DuckDB constructs sqlglot leaves as Spark cannot run them or gives another meaning, fixed on the
    tree for every model alike."""
    from sqlglot import exp

    def fix(node):
        # TIME: Spark has none. A time of day is the text 09:00:00.000000 (the lake's TIME columns too), whose
        # order is the times' order: a TIME literal becomes that text, a cast to TIME formats the timestamp.
        if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.TIME):
            if isinstance(node.this, exp.Literal) and node.this.is_string:
                return exp.Literal.string(_time_literal(node.this.name))
            return exp.func("date_format", node.this, exp.Literal.string(TIME_TEXT))
        # DuckDB's `/` divides as DOUBLE whatever the operands (integers, decimals); Spark divides decimals as
        # decimals, to 6 places (an hour count / 3600000000.0): the dividend made DOUBLE, as DuckDB does
        if isinstance(node, exp.Div) and not getattr(node, "_linli_double", False):
            node.set("this", exp.cast(node.this, exp.DataType.build("DOUBLE")))
            node._linli_double = True
            return node
        # any_value(x ORDER BY y DESC): DuckDB's first x in that order; Spark's any_value takes no order
        # (and skips NULLs): max_by/min_by over the order, a NULL x given no order so that it is never picked
        inner = node.this if isinstance(node, exp.IgnoreNulls) else node
        if isinstance(inner, exp.AnyValue) and isinstance(inner.this, exp.Order):
            order, value = inner.this.expressions[0], inner.this.this
            pick = "max_by" if order.args.get("desc") else "min_by"
            key = exp.If(this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())), true=order.this.copy(),
                         false=exp.Null())
            return exp.func(pick, value.copy(), key)
        return node
    return _expand_columns(tree.transform(fix))


def _star_columns(node, names: list[str]) -> list[str]:
    return [n for n in names if n not in {x.name for x in node.this.args.get("except_") or []}]


def _expand_columns(tree):
    """DuckDB's COLUMNS(* EXCLUDE (…)) (kpi: every metric column cast to DOUBLE, then unpivoted), which Spark
    has not, written out column by column where it reads a CTE whose columns the tree names."""
    from sqlglot import exp
    known: dict[str, list[str]] = {}

    def star(node) -> bool:
        return isinstance(node, exp.Columns) and isinstance(node.this, exp.Star)

    def source(select) -> list[str] | None:
        frm = select.args.get("from_") or select.args.get("from")
        if frm is None or select.args.get("joins") or not isinstance(frm.this, exp.Table):
            return None
        return known.get(frm.this.name)

    def rewrite(select) -> None:
        if not isinstance(select, exp.Select):
            return
        cols = source(select)
        if any(star(n) for e in select.expressions for n in e.walk()):
            if cols is None:
                raise ValueError("COLUMNS(*) over a relation whose columns are not named in the model")
            out = []
            for e in select.expressions:
                target = next((n for n in e.walk() if star(n)), None)
                if target is None:
                    out.append(e)
                    continue
                for name in _star_columns(target, cols):
                    copy = e.copy()
                    next(n for n in copy.walk() if star(n)).replace(exp.column(name, quoted=True))
                    out.append(copy if isinstance(copy, exp.Alias) else exp.alias_(copy, name, quoted=True))
            select.set("expressions", out)
        frm = select.args.get("from_") or select.args.get("from")
        table = frm.this if frm is not None else None
        for pivot in (table.args.get("pivots") or []) if isinstance(table, exp.Table) else []:
            for field in pivot.args.get("fields") or []:
                if isinstance(field, exp.In) and any(star(e) for e in field.expressions):
                    cols = known.get(table.name)
                    if cols is None:
                        raise ValueError("UNPIVOT over COLUMNS(*) of a relation whose columns are not named")
                    keep = [e for e in field.expressions if not star(e)]
                    for e in field.expressions:
                        if star(e):
                            keep += [exp.column(n, quoted=True) for n in _star_columns(e, cols)]
                    field.set("expressions", keep)

    def outputs(select) -> list[str] | None:
        if not isinstance(select, exp.Select) or any(isinstance(e, exp.Star) for e in select.expressions):
            return None
        names = [e.alias_or_name for e in select.expressions]
        return names if all(names) else None

    with_ = tree.args.get("with_") or tree.args.get("with")
    for cte in with_.expressions if with_ is not None else []:
        rewrite(cte.this)
        known[cte.alias] = outputs(cte.this)
    rewrite(tree)
    return tree


@dataclass
class SparkResult:
    seconds: float
    kpi_rows: int
    models: int
    out: Path | str


def local_driver_memory() -> str:
    """The heap for Spark in local mode, where the driver does all the work: a quarter of this machine's memory,
    1 to 8 GB (Spark's own 1 GB failed the 4 × street lake with a Java heap error; 4 GB built it)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "1g"
    return f"{min(8, max(1, total // 4 // 2**30))}g"


def spark_session(master: str = "local[2]", app: str = "linli"):
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkMissing("pyspark is not installed: pip install 'linli[spark]'") from exc
    spark = (SparkSession.builder.master(master).appName(app)
             .config("spark.sql.session.timeZone", "UTC")          # DuckDB's TIMESTAMP is naive: no shifting
             .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")   # community_id=007 stays text
             .config("spark.sql.ansi.enabled", "false")
             # on a cluster spark-submit's --driver-memory decides; an explicit --driver-memory wins here too
             .config("spark.driver.memory", local_driver_memory() if master.startswith("local") else "1g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def lake_manifest(spark, lake: str | Path) -> dict | None:
    """The manifest: read here when the lake is on this machine, through Spark's file system (hdfs://, s3a://)
    when it is not, so that the driver needs no client of its own for the cluster's storage."""
    if is_local(lake):
        return read_manifest(lake)
    import json
    rows = spark.read.option("wholetext", "true").text(join(spark_location(lake), MANIFEST)).collect()
    data = json.loads(rows[0][0]) if rows else None
    return data if data and data.get("format") == "linli-lake" else None


def register_lake(spark, lake: str | Path) -> dict:
    """Each lake table as a temporary view named like the store's table; an empty one from its manifest types.
    `lake`: a path, or a URI Spark reads (file://, hdfs://, s3a://)."""
    manifest = lake_manifest(spark, lake)
    where = spark_location(lake)
    if manifest is None:
        raise ValueError(f"{lake}: no manifest.json of a Linli lake (linli lake export {lake})")
    sqlglot = _sqlglot()
    for name, entry in manifest["tables"].items():
        view = entry["source"]
        if entry["rows"] or not entry["partitioned_by"]:
            df = spark.read.option("basePath", join(where, name)).parquet(join(where, name)) \
                if entry["partitioned_by"] else spark.read.parquet(join(where, name, "data.parquet"))
            df.createOrReplaceTempView(f"{view}__lake")
            source = f"{view}__lake"
        else:
            source = None
        # the store's columns and types, whatever the files or the partition paths say
        types = {c: "STRING" if entry["types"][c] == "TIME" else
                 sqlglot.exp.DataType.build(entry["types"][c], dialect="duckdb").sql(dialect="spark")
                 for c in entry["columns"]}
        cols = ", ".join(
            f"CAST({'NULL' if source is None else '`' + c + '`'} AS "
            f"{types[c]}) AS `{c}`"
            for c in entry["columns"])
        spark.sql(f"CREATE OR REPLACE TEMP VIEW `{view}` AS SELECT {cols}"
                  + (f" FROM `{source}`" if source else " WHERE false"))
    return manifest


def build_spark(lake: str | Path, master: str = "local[2]", spark=None, say=print,
                out: str | Path | None = None) -> SparkResult:
    """kpi to `out`, by default the lake's kpi/ (a Path when the lake is a path, else a URI like the lake's)."""
    started = time.perf_counter()
    local = isinstance(lake, Path) or spark_location(lake).startswith("/")
    own = spark is None
    spark = spark_session(master) if own else spark
    try:
        register_lake(spark, lake)
        defs = macros()
        models = kpi_models(load_models())
        for m in models:
            try:
                text = to_spark(m.sql, defs)
                df = spark.sql(text)
            except Exception as exc:
                raise RuntimeError(f"model {m.path.name} on Spark: {exc}") from exc
            df = df.cache() if m.name != KPI else df
            df.createOrReplaceTempView(m.name)
        if out is None:
            out = Path(spark_location(lake)) / KPI if local else join(spark_location(lake), KPI)
        kpi = spark.table(KPI)
        kpi.write.mode("overwrite").partitionBy("grain").parquet(str(out))
        rows = spark.read.parquet(str(out)).count()
    finally:
        if own:
            spark.stop()
        else:       # a session lent by the caller (a test, a benchmark) gets its memory back
            spark.catalog.clearCache()
    return SparkResult(time.perf_counter() - started, rows, len(models), out)
