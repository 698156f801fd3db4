"""`linli alerts list|set`: a community's alert rules from the command line (SPEC §8)."""
from __future__ import annotations

import json
from dataclasses import asdict

from pipelines.cli.common import db_path, say, ui_lang
from pipelines.database import connect, has_table, writing
from pipelines.errors import UserError
from pipelines.metrics import REGISTRY
from pipelines.records.alert_rules import describe, effective, reset_rule, set_rule


def cmd_list(args) -> int:
    lang = ui_lang()
    if getattr(args, "metrics", False):
        for key, m in REGISTRY.items():
            print(f"{key}\t{m.name(lang)}")
        return 0
    con = connect(db_path(args), read_only=True)
    try:
        communities = [args.community] if args.community else [r[0] for r in con.execute(
            "SELECT DISTINCT community_id FROM stg_communities ORDER BY 1").fetchall()] if has_table(con, "stg_communities") else []
        if not communities:
            raise UserError("没有社区：请用 --community 指定，或先导入社区表。",
                            "no communities: name one with --community, or import the communities feed first.")
        rows = [(c, r) for c in communities for r in effective(con, c)]
    finally:
        con.close()
    if args.json:
        print(json.dumps([{"community_id": c, **asdict(r)} for c, r in rows], ensure_ascii=False))
        return 0
    head = ("社区", "规则", "条件", "级别", "状态", "来源") if lang == "zh" else \
        ("community", "rule", "condition", "level", "state", "source")
    print("\t".join(head))
    for c, r in rows:
        state = ("启用" if r.enabled else "停用") if lang == "zh" else ("on" if r.enabled else "off")
        source = ("默认" if r.is_default else "本社区") if lang == "zh" else ("default" if r.is_default else "community")
        print("\t".join([c, r.rule_id, describe(r, lang), r.level, state, source]))
    return 0


def cmd_set(args) -> int:
    lang = ui_lang()
    with writing(db_path(args)) as con:
        if args.default:
            # account=None: the command line runs as the store's owner (pipelines/records/access.py)
            done = reset_rule(con, args.community, args.rule, account=None)
        else:
            rule = set_rule(con, args.community, args.rule, account=None, metric=args.metric, condition=args.when,
                            threshold=args.threshold, level=args.level,
                            enabled=None if args.on is None else args.on == "on")
    if args.default:
        print(("已恢复默认：" if lang == "zh" else "Back to the default: ") + args.rule if done else
              ("本社区没有改过这条规则。" if lang == "zh" else "This rule was not changed for the community."))
        return 0
    print((f"已保存：{args.community} {rule.rule_id} {describe(rule, lang)}（{rule.level}，"
           f"{'启用' if rule.enabled else '停用'}）。页面刷新即生效。") if lang == "zh" else
          f"Saved: {args.community} {rule.rule_id} {describe(rule, lang)} ({rule.level}, "
          f"{'on' if rule.enabled else 'off'}). Pages show it on their next refresh.")
    return 0


def add_arguments(list_parser, set_parser) -> None:
    list_parser.add_argument("--community", help=say("只看这个社区（编号）", "only this community (its id)"))
    list_parser.add_argument("--json", action="store_true", help=say("输出 JSON", "print JSON"))
    list_parser.add_argument("--metrics", action="store_true", help=say("列出规则可以监测的指标", "list the metrics a rule can watch"))
    list_parser.set_defaults(func=cmd_list)
    set_parser.add_argument("community", help=say("社区编号，例如 A", "community id, e.g. A"))
    set_parser.add_argument("rule", help=say("规则编号（见 linli alerts list），或一个新名字", "a rule id from `linli alerts list`, or a new name"))
    set_parser.add_argument("--metric", help=say("指标，例如 parcels.overdue（新规则必填）", "the metric, e.g. parcels.overdue (a new rule needs it)"))
    set_parser.add_argument("--when", help=say("高于/低于/上升/下降（above | below | rise | fall）",
                                                 "above | below | rise | fall (高于/低于/上升/下降)"))
    set_parser.add_argument("--threshold", type=float, help=say("阈值；比例写成小数，例如 0.1 即 10%%", "the threshold; shares as fractions, e.g. 0.1 for 10%%"))
    set_parser.add_argument("--level", help=say("提醒/严重（warning | error）", "warning | error (提醒/严重)"))
    set_parser.add_argument("--on", dest="on", action="store_const", const="on", default=None,
                            help=say("启用这条规则", "switch the rule on"))
    set_parser.add_argument("--off", dest="on", action="store_const", const="off", help=say("停用这条规则", "switch the rule off"))
    set_parser.add_argument("--default", action="store_true", help=say("恢复为默认规则", "back to the shipped rule"))
    set_parser.set_defaults(func=cmd_set)
