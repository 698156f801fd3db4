"""The `linli` command (SPEC §2). Exit status: 0 ok (quarantined rows included),
2 a file cannot be used at all, 1 any other failure."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from pipelines.cli import alerts, coop, events, lake, records, report, serve, users
from pipelines.cli import notify
from pipelines.cli.common import OutputRefused, Outputs, Parser, confirm, db_path, os_user, say, ui_lang
from pipelines.database import DatabaseBusy, DatabaseRefused, verify
from pipelines.errors import FileRefused, UserError, safe_text

STAGES = {"read": ("读取", "reading"), "check": ("校验", "checking"), "store": ("写入", "storing"),
          "done": ("完成", "done")}


def _progress_bar(name: str, lang: str):
    """A one-line progress bar on a terminal (imports of a year of parcels take seconds); silent otherwise."""
    if not sys.stderr.isatty():
        return None

    def show(fraction: float, stage: str) -> None:
        filled = int(fraction * 20)
        label = STAGES[stage][0 if lang == "zh" else 1]
        end = "\n" if stage == "done" else ""
        print(f"\r  {name} [{'#' * filled}{'.' * (20 - filled)}] {fraction:4.0%} {label}", end=end, file=sys.stderr,
              flush=True)
    return show


def _out_of_memory() -> type:
    import duckdb
    return duckdb.OutOfMemoryException


def cmd_ingest(args) -> int:
    from pipelines.ingest.store import import_file
    lang, status = ui_lang(), 0
    for f in args.files:
        try:
            report = import_file(db_path(args), args.kind, f, sheet=args.sheet, profile=args.profile,
                                 progress=_progress_bar(Path(f).name, lang))
        except DatabaseRefused:
            raise     # the database, not this file: the other files cannot go in either
        except FileRefused as exc:
            print(exc.message(lang), file=sys.stderr)
            status = 2
            continue
        except (MemoryError, _out_of_memory()):
            # the import was one transaction: nothing of it is stored
            name = Path(f).name
            print(f"文件《{name}》无法导入：内存不足以处理这个文件，没有导入任何内容。请按月份拆分后分别导入。" if lang == "zh"
                  else f"File '{name}' cannot be imported: not enough memory for it; nothing was imported. "
                       "Split it (by month, say) and import the parts.", file=sys.stderr)
            status = max(status, 1)
            continue
        print(report.summary(lang))
        for q in report.quarantined[: args.show]:
            print("  " + q["reason_zh" if lang == "zh" else "reason_en"])
        if len(report.quarantined) > args.show:
            more = len(report.quarantined) - args.show
            print(f"  …另有 {more} 行被隔离，可在“数据导入”页查看。" if lang == "zh"
                  else f"  …and {more} more quarantined rows; see the data import page.")
        for line in report.column_lines(lang):
            print("  " + line)
    if status == 0:
        print("运行 `linli build` 更新看板。" if lang == "zh" else "Run `linli build` to update the dashboard.")
    return status


def cmd_build(args) -> int:
    if args.engine == "spark" or args.lake:      # SPEC §11: the same models over a lake, on Spark (or DuckDB)
        return lake.cmd_build_spark(args)
    from pipelines.build.runner import build
    result = build(db_path(args), full=args.full)
    how = {"full": ("全量", "full"), "incremental": ("增量", "incremental"), "unchanged": ("无变化", "nothing changed"),
           "forecast": ("数据无变化，预测已更新", "data unchanged, forecasts made again")}
    print(f"构建完成（{how[result.mode][0]}）：kpi {result.kpi_rows} 行，用时 {result.seconds:.1f} 秒。" if ui_lang() == "zh"
          else f"Build done ({how[result.mode][1]}): {result.kpi_rows} kpi rows in {result.seconds:.1f} s.")
    return 0


def cmd_demo(args) -> int:
    from pipelines.demo.generate import foreign_imports, run_demo
    db = db_path(args)
    outputs = Outputs(db, force=args.force)
    outputs.check_folder(args.out or db.parent / "demo")    # before anything is asked or written
    count, example = foreign_imports(db)
    if count:
        where, shown = safe_text(str(db)), example or "?"
        confirm(f"数据库《{where}》里有 {count} 次导入不是演示数据（例如《{shown}》）。运行演示会删除所有导入的数据，"
                "换成演示数据；整改事项、协商议题、账号、规则和操作记录会保留。",
                f"The database '{where}' holds {count} imports that are not the demo's (e.g. '{shown}'). The demo deletes "
                "all imported data and imports its own; action items, cases, accounts, rules and the audit trail stay.",
                yes=args.yes)
    run_demo(db, communities=args.communities, weeks=args.weeks, seed=args.seed, out_dir=args.out,
             write=outputs.write, end=args.end)
    return 0


def cmd_undo(args) -> int:
    from pipelines.ingest.store import undo
    name = undo(db_path(args), args.import_id)
    print(f"已撤销第 {args.import_id} 次导入（{name}）。运行 `linli build` 更新看板。" if ui_lang() == "zh"
          else f"Import #{args.import_id} ({name}) undone. Run `linli build` to update the dashboard.")
    return 0


def cmd_imports(args) -> int:
    from pipelines.ingest.store import connect, ensure_schema
    if not db_path(args).exists():     # listing must not create a database
        print(f"《{db_path(args)}》还没有任何导入记录。" if ui_lang() == "zh" else f"'{db_path(args)}' has no imports yet.")
        return 0
    con = connect(db_path(args))
    try:
        ensure_schema(con)
        rows = con.execute("""SELECT import_id, kind, file_name, imported_at, rows_read, rows_new, rows_replaced,
                                     rows_quarantined, status FROM imports ORDER BY import_id""").fetchall()
    finally:
        con.close()
    for r in rows:
        print("\t".join(str(v) for v in r))
    return 0


def cmd_rules(args) -> int:
    from pipelines.ingest.store import set_rules
    start, end = (args.window.split("-", 1) if args.window else (None, None))
    set_rules(db_path(args), args.community, start, end, args.overdue_hours, args.effective_from)
    print("规则已保存。运行 `linli build` 生效。" if ui_lang() == "zh" else "Rules saved. Run `linli build` to apply them.")
    return 0


def _day(text: str):
    import datetime as dt
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期，请写成 2025-04-14 / not a date, write it as 2025-04-14") from None


def demo_end(text: str) -> dt.date:
    """--end: the demo's last day, a Sunday (its data runs in whole weeks, Monday to Sunday)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期，请写成 2026-11-29 / not a date, write it as 2026-11-29") from None
    if day.weekday() != 6:
        sunday = day - dt.timedelta(days=day.weekday() + 1)
        raise argparse.ArgumentTypeError(
            f"{text} 不是星期日：演示数据按整周（周一到周日）生成，请给一个星期日，例如 {sunday} / "
            f"{text} is not a Sunday: the demo's data runs in whole weeks (Monday to Sunday); give a Sunday, e.g. {sunday}")
    return day


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="linli", description=say("Linli 邻里治理看板：导入台账、构建指标、开看板、写简报。英文说明：LINLI_LANG=en linli --help",
                                               "Linli neighbourhood dashboard: import registers, build the numbers, serve the dashboard, write briefs. Chinese help: LINLI_LANG=zh linli --help"))
    p.add_argument("--db", help=say("数据库文件（默认：$LINLI_DB，或 data/linli.duckdb）",
                                    "database path (default: $LINLI_DB or data/linli.duckdb)"))
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help=say("生成、导入并构建一套固定的演示数据", "write, import and build a deterministic demo data set"))
    d.add_argument("--communities", type=int, default=4, help=say("社区个数（默认 4）", "how many communities (default 4)"))
    d.add_argument("--weeks", type=int, default=52, help=say("周数（默认 52）", "how many weeks (default 52)"))
    d.add_argument("--seed", type=int, default=7, help=say("随机种子：同一个种子得到同样的数据（默认 7）",
                                                               "random seed: the same seed gives the same data (default 7)"))
    d.add_argument("--end", type=demo_end, metavar="YYYY-MM-DD",
                   help=say("数据的最后一天，须是星期日（默认：今天之前的最近一个星期日）",
                             "the data's last day, a Sunday (default: the last Sunday before today)"))
    d.add_argument("--out", help=say("演示文件放在哪个文件夹（默认：数据库旁的 data/demo）",
                                     "folder for the demo files (default: data/demo next to the database)"))
    d.add_argument("--yes", action="store_true", help=say("数据库里已有非演示数据时，不询问直接替换",
                                                           "replace imported data that is not the demo's without asking"))
    d.add_argument("--force", action="store_true", help=say("--out 里有不是演示生成的文件时，照样替换",
                                                             "replace files in --out that are not earlier demo files"))
    d.set_defaults(func=cmd_demo)
    i = sub.add_parser("ingest", help=say("检查并导入同一类台账的文件", "validate and import files of one feed"))
    i.add_argument("kind", help=say("台账类型，例如 orders、parcels、complaints", "the feed, e.g. orders, parcels, complaints"))
    i.add_argument("files", nargs="+", help=say("CSV 或 XLSX 文件", "CSV or XLSX files"))
    i.add_argument("--show", type=int, default=20, help=say("列出多少条被隔离的行（默认 20）", "how many quarantined rows to list"))
    i.add_argument("--sheet", help=say("Excel 工作表名称（默认：第一个工作表）", "Excel sheet name (default: the first sheet)"))
    i.add_argument("--profile", help=say("使用哪个导入档案（默认：表头与文件相符的那个）",
                                         "import profile to apply (default: the one whose headers the file has)"))
    i.set_defaults(func=cmd_ingest)
    b = sub.add_parser("build", help=say("把指标更新到最新（能增量就增量）",
                                          "bring staging, marts and kpi up to date (incrementally where it can)"))
    b.add_argument("--full", action="store_true", help=say("从已导入的全部数据重新构建", "rebuild everything from the stored rows"))
    lake.add_build_arguments(b)     # --engine spark --lake DIR [--master URL]
    b.set_defaults(func=cmd_build)
    serve.add_cli(sub)
    u = sub.add_parser("undo", help=say("撤销一次导入，恢复它替换掉的数据", "undo one import, restoring what it replaced"))
    u.add_argument("import_id", type=int, help=say("导入编号（见 linli imports）", "the import's number (see linli imports)"))
    u.set_defaults(func=cmd_undo)
    sub.add_parser("imports", help=say("列出导入历史", "list the import history")).set_defaults(func=cmd_imports)
    r = sub.add_parser("rules", help=say("设置社区规则：直播时段、包裹超时标准", "set a community's rules: livestream window, overdue limit"))
    r.add_argument("community", help=say("社区编号，例如 A", "community id, e.g. A"))
    r.add_argument("--window", help=say("允许直播的时段，例如 09:00-20:00", "livestream window, e.g. 09:00-20:00"))
    r.add_argument("--overdue-hours", type=float, help=say("包裹超过多少小时未取算超时，例如 48", "hours after which a parcel is overdue, e.g. 48"))
    r.add_argument("--from", dest="effective_from", type=_day, help=say("社区开始执行这些规则的日期，例如 2025-04-14", "the day the community adopted them, YYYY-MM-DD"))
    r.set_defaults(func=cmd_rules)
    al = sub.add_parser("alerts", help=say("提醒规则：每个社区各项指标的阈值", "alert rules: thresholds on kpi metrics, per community")).add_subparsers(
        dest="alerts_command", required=True)
    alerts.add_arguments(al.add_parser("list", help=say("列出正在执行的规则", "the rules in force")),
                         al.add_parser("set", help=say("修改或新增一条规则", "change or add a rule")))
    users.add_cli(sub)
    records.add_cli(sub)   # linli actions …, linli cases …
    coop.add_cli(sub)      # linli coop split …
    events.add_cli(sub)    # linli events add|list|remove (the forecasts' community events)
    lake.add_cli(sub)      # linli lake export DIR
    report.add_cli(sub)
    notify.add_cli(sub)    # linli notify set|schedule|show, linli deliver
    return p


def main(argv: list[str] | None = None) -> int:
    from pipelines.records.audit import ACTOR
    args = parser().parse_args(argv)
    # Everything Linli writes holds personal data or decides access: the store, its WAL, the snapshots,
    # profiles, briefs, demo files and keys are the owner's alone. `linli serve` keeps this mask
    # across its exec, so what the dashboard writes is owner-only too.
    old_mask = os.umask(0o077)
    actor = ACTOR.set(os_user())    # what the command changes is audited under the OS account
    try:
        # before any command touches it: --db must be a Linli database or a new path (SPEC §4)
        verify(db_path(args))
        return args.func(args)
    except BrokenPipeError:
        # `linli actions list | head`: the reader left; not a failure worth a message
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except DatabaseBusy as exc:
        print(exc.message(ui_lang()), file=sys.stderr)
        return 1
    except (FileRefused, OutputRefused) as exc:
        print(exc.message(ui_lang()), file=sys.stderr)
        return 2
    except UserError as exc:
        print(exc.message(ui_lang()), file=sys.stderr)
        return 1
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # the user sees one line, not a traceback
        print(f"出错了 / failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        # main() is also called in-process (tests, scripts): the caller's mask and actor come back
        ACTOR.reset(actor)
        os.umask(old_mask)


if __name__ == "__main__":
    sys.exit(main())
