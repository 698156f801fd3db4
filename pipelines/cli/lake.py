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


def add_cli(sub) -> None:
    lake = sub.add_parser("lake", help=say("城市规模：把数据导出为 Parquet 数据湖", "city scale: the data as a Parquet lake"))
    cmds = lake.add_subparsers(dest="lake_command", required=True)
    e = cmds.add_parser("export", help=say("导出各台账的当前数据（按社区、月份分区）及清单",
                                           "export the current rows of every feed (by community and month) with a manifest"))
    e.add_argument("dir", help=say("数据湖文件夹", "the lake's folder"))
    e.set_defaults(func=cmd_export)
