"""`linli events add COMMUNITY NAME --from D --to D [--kind K]`, `linli events list [COMMUNITY]`,
`linli events remove ID`: a community's own events (a market day, a renovation) that the forecasts read beside
the shipped festival calendar (SPEC §10; pipelines/records/events.py). They take effect at the next build."""
from __future__ import annotations

import argparse
import datetime as dt

from pipelines.cli.common import db_path, say, ui_lang
from pipelines.ingest.store import connect, ensure_schema
from pipelines.records import events


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期，请写成 2025-07-01 / not a date, write it as 2025-07-01") from None


def _line(e: dict) -> str:
    return "\t".join([str(e["event_id"]), e["community_id"], e["name"], str(e["starts_on"]), str(e["ends_on"]),
                      e["kind"], e["added_by"] or ""])


def cmd_add(args) -> int:
    con = connect(db_path(args))      # a new store gets Linli's schema first, as an import would
    try:
        ensure_schema(con)
    finally:
        con.close()
    e = events.add(db_path(args), args.community, args.name, args.starts_on, args.ends_on or args.starts_on, args.kind)
    print(f"已添加活动 {e['event_id']}：社区 {e['community_id']}“{e['name']}”，{e['starts_on']} 至 {e['ends_on']}。"
          "下次构建（`linli build`）时预测会用上它。" if ui_lang() == "zh" else
          f"Added event {e['event_id']}: community {e['community_id']} '{e['name']}', {e['starts_on']} to "
          f"{e['ends_on']}. The next build (`linli build`) forecasts with it.")
    return 0


def cmd_list(args) -> int:
    for e in events.events(db_path(args), args.community):
        print(_line(e))
    return 0


def cmd_remove(args) -> int:
    e = events.remove(db_path(args), args.event_id)
    print(f"已删除活动 {e['event_id']}（{e['name']}）。" if ui_lang() == "zh" else
          f"Removed event {e['event_id']} ({e['name']}).")
    return 0


def add_cli(sub) -> None:
    ev = sub.add_parser("events", help=say("社区自己的活动（集市、装修等），预测会把它们和节日一起考虑",
                                           "a community's own events (a market, a renovation) the forecasts read")
                        ).add_subparsers(dest="events_command", required=True)
    a = ev.add_parser("add", help=say("添加一个活动", "add an event"))
    a.add_argument("community", help=say("社区编号，例如 A", "community id, e.g. A"))
    a.add_argument("name", help=say("活动名称，例如 周末集市", "the event's name, e.g. weekend market"))
    a.add_argument("--from", dest="starts_on", type=_day, required=True, metavar="YYYY-MM-DD",
                   help=say("第一天", "its first day"))
    a.add_argument("--to", dest="ends_on", type=_day, metavar="YYYY-MM-DD",
                   help=say("最后一天（默认与第一天相同）", "its last day (default: the first)"))
    a.add_argument("--kind", help=say("类别：同类活动互相学习影响（默认 community）",
                                      "its kind: events of a kind learn from each other (default community)"))
    a.set_defaults(func=cmd_add)
    li = ev.add_parser("list", help=say("列出活动（编号、社区、名称、起止、类别、添加人）",
                                        "list events (number, community, name, dates, kind, added by)"))
    li.add_argument("community", nargs="?", help=say("只看这个社区", "only this community"))
    li.set_defaults(func=cmd_list)
    rm = ev.add_parser("remove", help=say("按编号删除一个活动", "remove an event by its number"))
    rm.add_argument("event_id", type=int, help=say("`linli events list` 显示的编号", "the number `linli events list` shows"))
    rm.set_defaults(func=cmd_remove)
