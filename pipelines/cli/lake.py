"""`linli lake export DIR` (SPEC §11): the store's current rows as a Parquet lake another engine reads."""
from __future__ import annotations

from pipelines.cli.common import Outputs, db_path, say, ui_lang
from pipelines.errors import UserError


def cmd_export(args) -> int:
    from pipelines.lake.export import LakeRefused, export_lake
    try:
        result = export_lake(db_path(args), args.dir, Outputs(db_path(args)))
    except LakeRefused as exc:
        raise UserError(exc.zh, exc.en) from None
    rows = sum(result.tables.values())
    print(f"已导出 {len(result.tables)} 张表共 {rows} 行到《{args.dir}》：写入 {result.written} 个分区，"
          f"{result.kept} 个未变未重写，删除 {result.removed} 个。" if ui_lang() == "zh"
          else f"Exported {rows} rows of {len(result.tables)} tables to '{args.dir}': {result.written} partitions "
               f"written, {result.kept} unchanged and kept, {result.removed} removed.")
    return 0


def cmd_build_spark(args) -> int:
    from pipelines.lake.spark_build import SparkMissing, build_spark
    if not args.lake:
        raise UserError("用 Spark 构建时请给出数据湖文件夹：--lake DIR（先运行 linli lake export DIR）。",
                        "--engine spark needs the lake: --lake DIR (written by linli lake export DIR).")
    if args.engine == "duckdb":     # the same models over the lake on DuckDB: both engines on one input (bench/spark.py)
        from pipelines.lake.duckdb_build import build_duckdb
        done = build_duckdb(args.lake)
        print(f"DuckDB 数据湖构建完成：{done.models} 个模型，kpi {done.kpi_rows} 行写入《{done.out}》，用时 {done.seconds:.1f} 秒。"
              if ui_lang() == "zh" else f"DuckDB lake build done: {done.models} models, {done.kpi_rows} kpi rows "
              f"written to '{done.out}' in {done.seconds:.1f} s.")
        return 0
    try:
        result = build_spark(args.lake, master=args.master)
    except SparkMissing as exc:
        raise UserError(f"无法使用 Spark：{exc}", f"Spark cannot run: {exc}") from None
    print(f"Spark 构建完成：{result.models} 个模型，kpi {result.kpi_rows} 行写入《{result.out}》，用时 {result.seconds:.1f} 秒。"
          if ui_lang() == "zh" else
          f"Spark build done: {result.models} models, {result.kpi_rows} kpi rows written to '{result.out}' in "
          f"{result.seconds:.1f} s.")
    return 0


def add_build_arguments(b) -> None:
    b.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help=say("用哪个引擎运行模型（默认 duckdb；spark 需先 pip install 'linli[spark]' 与 Java 17）",
                            "the engine that runs the models (default duckdb; spark needs pip install 'linli[spark]' "
                            "and Java 17)"))
    b.add_argument("--lake", help=say("Spark 读取的数据湖文件夹（linli lake export 写出），kpi 写到其中的 kpi/",
                                      "the lake Spark reads (written by linli lake export); kpi goes to its kpi/"))
    b.add_argument("--master", default="local[2]",
                   help=say("Spark 集群地址（默认 local[2]，本机）", "the Spark master URL (default local[2], this machine)"))


def add_cli(sub) -> None:
    lake = sub.add_parser("lake", help=say("城市规模：把数据导出为 Parquet 数据湖", "city scale: the data as a Parquet lake"))
    cmds = lake.add_subparsers(dest="lake_command", required=True)
    e = cmds.add_parser("export", help=say("导出各台账的当前数据（按社区、月份分区）及清单",
                                           "export the current rows of every feed (by community and month) with a manifest"))
    e.add_argument("dir", help=say("数据湖文件夹", "the lake's folder"))
    e.set_defaults(func=cmd_export)
