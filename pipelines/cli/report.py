"""`linli report --community ID (--week YYYY-MM-DD | --month YYYY-MM) --format xlsx|pdf|png -o FILE` (SPEC §2).

The brief's code is imported only when the command runs, so the other commands start as fast as before.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from pipelines.cli.common import Outputs, db_path, say, ui_lang
from pipelines.reports.render import FORMATS, render


def _week(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"“{text}”不是日期：请写成 2025-06-02（这一周里的任何一天）/ not a date: write it as 2025-06-02") from None


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是月份：请写成 2025-06 / not a month: write it as 2025-06") from None


def add_cli(sub) -> None:
    r = sub.add_parser("report", help=say("写出一周或一个月的检查简报（xlsx、pdf 或 png）",
                                           "write the check brief of a week or a month (xlsx, pdf or png)"))
    r.add_argument("--community", required=True, help=say("社区编号，例如 A", "community id, e.g. A"))
    period = r.add_mutually_exclusive_group(required=True)
    period.add_argument("--week", type=_week, help=say("这一周里的任意一天，例如 2025-06-02", "any day of the week, YYYY-MM-DD"))
    period.add_argument("--month", type=_month, help=say("月份，例如 2025-06", "the month, YYYY-MM"))
    r.add_argument("--format", required=True, choices=FORMATS, help=say("文件格式", "the file format"))
    r.add_argument("-o", "--output", required=True, help=say("写到哪个文件", "the file to write"))
    r.add_argument("--force", action="store_true", help=say("文件已存在且不是这种格式的简报时，照样替换",
                                                           "replace an existing file even if it is not a brief of this format"))
    r.set_defaults(func=lambda args: cmd_report(args, Path(db_path(args))))


def cmd_report(args, db: Path) -> int:
    from pipelines.present.i18n import t
    from pipelines.reports.content import Source, gather
    from pipelines.reports.fonts import find

    lang = ui_lang()
    grain, day = ("week", args.week) if args.week else ("month", args.month)
    outputs = Outputs(db, force=args.force)
    outputs.check(args.output, args.format)     # a refused name is said before the brief is gathered
    if args.format != "xlsx":
        find()   # a missing font is said before the database is read
    brief = gather(Source.for_operator(db), args.community, grain, day, lang)
    data = render(brief, args.format)
    outputs.write(args.output, data, args.format)
    print(t("brief.written", lang, path=str(args.output)), file=sys.stdout)
    return 0
