"""`linli notify set COMMUNITY --wecom-webhook URL`, `linli notify schedule --weekday 1 --at 08:00`, `linli notify
show` and `linli deliver [--now]` (issue 19 item 6): where and when each community's weekly brief goes. The
webhook URL is a secret: it is stored owner-only beside the store and only ever printed masked."""
from __future__ import annotations

import sys

from pipelines.cli.common import db_path, say, ui_lang


def cmd_set(args) -> int:
    from pipelines.records.actions import check_community
    from pipelines.reports import deliver as d
    from pipelines.database import reading
    db = db_path(args)
    with reading(db) as con:
        if con is not None:
            check_community(con, args.community)
    d.set_webhook(db, args.community, args.wecom_webhook)
    zh = ui_lang() == "zh"
    if args.wecom_webhook:
        print(f"已保存：社区 {args.community} 的企业微信群机器人 {d.mask(args.wecom_webhook)}（地址只保存在本机、仅本账号可读）。"
              if zh else f"Saved: community {args.community}'s WeCom robot {d.mask(args.wecom_webhook)} (kept owner-only).")
    else:
        print(f"已删除社区 {args.community} 的企业微信群机器人。" if zh else f"Removed community {args.community}'s WeCom robot.")
    return 0


def cmd_schedule(args) -> int:
    from pipelines.reports import deliver as d
    s = d.set_schedule(db_path(args), args.weekday, args.at)
    days = "一二三四五六日"
    print(f"已保存：每周{days[s['weekday'] - 1]} {s['at']}（北京时间）送达上一周的简报。" if ui_lang() == "zh" else
          f"Saved: every ISO weekday {s['weekday']} at {s['at']} (Beijing time) the last week's briefs go out.")
    return 0


def cmd_show(args) -> int:
    import datetime as dt

    from pipelines.database import reading
    from pipelines.reports import deliver as d
    db = db_path(args)
    s = d.read_settings(db)
    sched = s["schedule"]
    nxt = d.next_run(dt.datetime.now(d.BEIJING), int(sched["weekday"]), d.parse_time(sched["at"]))
    print(f"下次送达：{nxt:%Y-%m-%d %H:%M}（北京时间）；简报文件夹：{d.briefs_folder(db)}")
    for community, url in sorted(s["wecom"].items()):
        print(f"{community}\t企业微信\t{d.mask(url)}")
    with reading(db) as con:
        rows = d.deliveries(con)
    for r in rows[:40]:
        print("\t".join(str(x) for x in (r["community_id"], r["period_start"], r["channel"], r["status"], r["attempts"],
                                         r["delivered_at"] or "", r["last_error"] or "")))
    return 0


def cmd_deliver(args) -> int:
    from pipelines.reports import deliver as d
    outcomes = d.deliver(db_path(args), force=args.now)
    for o in outcomes:
        print(o.line(), file=sys.stdout if o.ok else sys.stderr)
    if not outcomes:
        print("没有需要送达的简报（本周的已经送达）。" if ui_lang() == "zh" else "Nothing to deliver (this week's went already).")
    return 0 if all(o.ok for o in outcomes) else 1


def add_cli(sub) -> None:
    n = sub.add_parser("notify", help=say("定时送达：企业微信群机器人和送达时间", "scheduled delivery: WeCom robots and the time")
                       ).add_subparsers(dest="notify_command", required=True)
    s = n.add_parser("set", help=say("设置社区的企业微信群机器人地址（空字符串表示删除）",
                                     "set a community's WeCom group robot URL (an empty string removes it)"))
    s.add_argument("community", help=say("社区编号，例如 A", "community id, e.g. A"))
    s.add_argument("--wecom-webhook", required=True, metavar="URL",
                   help=say("群机器人的 Webhook 地址（保密：只保存在本机，显示时隐去 key）",
                            "the robot's webhook URL (a secret: kept owner-only, shown masked)"))
    s.set_defaults(func=cmd_set)
    sc = n.add_parser("schedule", help=say("每周什么时候送达（北京时间）", "when each week the briefs go (Beijing time)"))
    sc.add_argument("--weekday", type=int, default=1, help=say("星期几：1 是星期一（默认）… 7 是星期日",
                                                               "ISO weekday: 1 Monday (default) … 7 Sunday"))
    sc.add_argument("--at", default="08:00", help=say("几点，例如 08:00（默认）", "the time, e.g. 08:00 (default)"))
    sc.set_defaults(func=cmd_schedule)
    n.add_parser("show", help=say("显示送达设置和送达记录（地址隐去 key）", "show the settings and deliveries (URLs masked)")
                 ).set_defaults(func=cmd_show)
    dv = sub.add_parser("deliver", help=say("送达上一周的简报：写到文件夹，并发到设置了的企业微信群（给系统定时器用）",
                                            "deliver last week's briefs: to the folder and any configured WeCom group "
                                            "(for a system timer)"))
    dv.add_argument("--now", action="store_true", help=say("不管是否已送达，现在就送最近一整周的",
                                                           "deliver the latest whole week now, even if it went already"))
    dv.set_defaults(func=cmd_deliver)
