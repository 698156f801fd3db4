"""`linli report --community ID (--week YYYY-MM-DD | --month YYYY-MM) --format xlsx|pdf|png -o FILE` (SPEC §2).

The brief's code is imported only when the command runs, so the other commands start as fast as before.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from pipelines.cli.common import db_path, ui_lang
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
    r = sub.add_parser("report", help="write the check brief of a week or a month (xlsx, pdf or png)")
    r.add_argument("--community", required=True, help="community id, e.g. A")
    period = r.add_mutually_exclusive_group(required=True)
    period.add_argument("--week", type=_week, help="any day of the week, YYYY-MM-DD")
    period.add_argument("--month", type=_month, help="YYYY-MM")
    r.add_argument("--format", required=True, choices=FORMATS)
    r.add_argument("-o", "--output", required=True, help="the file to write")
    r.set_defaults(func=lambda args: cmd_report(args, Path(db_path(args))))


def cmd_report(args, db: Path) -> int:
    from pipelines.errors import UserError
    from pipelines.present.i18n import t
    from pipelines.reports.content import Source, gather
    from pipelines.reports.fonts import find

    lang = ui_lang()
    grain, day = ("week", args.week) if args.week else ("month", args.month)
    if args.format != "xlsx":
        find()   # a missing font is said before the database is read
    brief = gather(Source.for_operator(db), args.community, grain, day, lang)
    data = render(brief, args.format)
    out = Path(args.output)
    partial = out.with_name(f".{out.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, out)   # never a half-written brief under the asked name
    except OSError as exc:
        partial.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        raise UserError(t("brief.err.write", "zh", path=str(out), reason=reason),
                        t("brief.err.write", "en", path=str(out), reason=reason)) from None
    print(t("brief.written", lang, path=str(out)), file=sys.stdout)
    return 0
