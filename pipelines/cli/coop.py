"""`linli coop split COMMUNITY [--members 70 --coop 20 --fund 10] [--from YYYY-MM-DD]`: the cooperative's
profit split (SPEC §5), adopted from a day; with no percents, the community's splits so far."""
from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal

from pipelines.cli.common import db_path, say, ui_lang
from pipelines.errors import UserError
from pipelines.ingest.store import connect, ensure_schema
from pipelines.records.coop_split import in_force, set_split, splits


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期，请写成 2025-07-01 / not a date, write it as 2025-07-01") from None


def _pct(value) -> str:
    return f"{Decimal(value).normalize():f}"       # 70.00 -> 70, 72.50 -> 72.5


def cmd_split(args) -> int:
    lang = ui_lang()
    given = [args.members, args.coop, args.fund]
    if all(v is None for v in given):
        return _show(args, lang)
    if any(v is None for v in given):
        raise UserError("请同时给出三份比例：--members（社员）、--coop（合作社）、--fund（公共基金），加起来等于 100。",
                        "give all three parts: --members, --coop and --fund, summing to 100.")
    con = connect(db_path(args))      # a new store gets Linli's schema (and the split table) first
    try:
        ensure_schema(con)
    finally:
        con.close()
    row = set_split(db_path(args), args.community, *given, effective_from=args.effective_from)
    m, c, f = (_pct(row[k]) for k in ("members_pct", "coop_pct", "fund_pct"))
    day = row["effective_from"]
    print(f"已保存：社区 {row['community_id']} 从 {day.year}年{day.month}月{day.day}日起，社员 {m}%、合作社 {c}%、"
          f"公共基金 {f}%。运行 `linli build` 生效。" if lang == "zh" else
          f"Saved: community {row['community_id']} from {day:%Y-%m-%d}: members {m} %, cooperative {c} %, "
          f"fund {f} %. Run `linli build` to apply it.")
    return 0


def _show(args, lang: str) -> int:
    history = splits(db_path(args), args.community) if db_path(args).exists() else []
    today = dt.date.today()
    m, c, f = (_pct(v) for v in in_force(history, today))
    default = not any(s["effective_from"] <= today for s in history)
    print(f"社区 {args.community} 现行分配：社员 {m}%、合作社 {c}%、公共基金 {f}%" + ("（默认）" if default else "")
          if lang == "zh" else
          f"Community {args.community} now: members {m} %, cooperative {c} %, fund {f} %" + (" (default)" if default else ""))
    for s in history:
        print("\t".join([str(s["effective_from"]), _pct(s["members_pct"]), _pct(s["coop_pct"]), _pct(s["fund_pct"]),
                         f"{s['changed_at']:%Y-%m-%d %H:%M}", s["changed_by"] or ""]))
    return 0


def add_cli(sub) -> None:
    co = sub.add_parser("coop", help=say("合作社：利润分配比例", "the cooperative: its profit split")).add_subparsers(
        dest="coop_command", required=True)
    s = co.add_parser("split", help=say("设置或查看社区合作社的利润分配比例（社员/合作社/公共基金，加起来 100）",
                                        "set or show a community's profit split (members/cooperative/fund, summing to 100)"))
    s.add_argument("community", help=say("社区编号，例如 A", "community id, e.g. A"))
    s.add_argument("--members", help=say("社员分得的百分比，例如 70", "the members' percent, e.g. 70"))
    s.add_argument("--coop", help=say("合作社留存的百分比，例如 20", "the cooperative's percent, e.g. 20"))
    s.add_argument("--fund", help=say("社区公共基金的百分比，例如 10", "the community fund's percent, e.g. 10"))
    s.add_argument("--from", dest="effective_from", type=_day, metavar="YYYY-MM-DD",
                   help=say("从哪一天起执行（默认今天）；每个期间按其第一天执行的比例分配",
                            "the day it takes effect (default today); each period uses the split in force on its first day"))
    s.set_defaults(func=cmd_split)
