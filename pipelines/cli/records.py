"""`linli actions …` and `linli cases …` (SPEC §8): the governance records from the command line.

The parsers are registered in pipelines/cli/main.py (`add_cli`). Output for people is in the UI
language; `--json` is for scripts (ISO dates, keys as stored). A command-line change is recorded
with no user name (the audit trail's convention for the command line).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json

from pipelines.cli.common import db_path, say, ui_lang
from pipelines.database import connect, has_table, writing
from pipelines.errors import UserError
from pipelines.present.i18n import label, t
from pipelines.records import actions, cases
from pipelines.records.effect import effect


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期，请写成 2025-04-14 / not a date, write it as 2025-04-14") from None


def day_text(d: dt.date | None, lang: str) -> str:
    if d is None:
        return "—"
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


def status_text(status: str, lang: str) -> str:
    return label("actions.status", status, lang)


def step_text(step: str, lang: str) -> str:
    return label("cases.step", step, lang)


def _db(args):
    return db_path(args)


def _read(args):
    """The store, read-only; no database yet means no records (listing must not create one)."""
    path = _db(args)
    return connect(path, read_only=True) if path.exists() else None


# ---- actions ---------------------------------------------------------------------------------

def cmd_actions_add(args) -> int:
    with writing(_db(args)) as con:
        action_id = actions.add_action(con, args.community, args.title, metric=args.metric, subject=args.subject,
                                          owner=args.owner, due_on=args.due)
    print(action_id)
    return 0


def cmd_actions_list(args) -> int:
    lang, con = ui_lang(), _read(args)
    try:
        found = actions.actions(con, [args.community] if args.community else None) if con else []
    finally:
        if con:
            con.close()
    if args.json:
        print(json.dumps([a.as_dict() for a in found], ensure_ascii=False))
        return 0
    if not found:
        print("还没有整改事项。用 `linli actions add 社区 标题` 添加。" if lang == "zh"
              else "No action items yet. Add one with `linli actions add COMMUNITY TITLE`.")
        return 0
    head = (("编号", "社区", "标题", "指标", "对象", "负责人", "截止日期", "状态") if lang == "zh" else
            ("id", "community", "title", "metric", "subject", "owner", "due", "status"))
    print("\t".join(head))
    for a in found:
        late = t("gov.overdue_mark", lang) if a.overdue() else ""
        print("\t".join([str(a.action_id), a.community_id, a.title, a.metric or "—", a.subject or "—", a.owner or "—",
                         day_text(a.due_on, lang), status_text(a.status, lang) + late]))
    return 0


def cmd_actions_set(args) -> int:
    changes = {k: v for k, v in (("status", args.status), ("owner", args.owner), ("due_on", args.due),
                                 ("title", args.title)) if v is not None}
    if not changes:
        raise UserError("没有要改的内容：请给出 --status（或 --owner、--due、--title）。",
                        "nothing to change: give --status (or --owner, --due, --title).")
    lang = ui_lang()
    with writing(_db(args)) as con:
        old = actions.get_action(con, args.action_id)
        new = actions.update_action(con, args.action_id, **changes)
    if lang == "zh":
        print(f"整改事项 {new.action_id}（{new.title}）：状态 {status_text(old.status, lang)} → {status_text(new.status, lang)}"
              + (f"，负责人 {new.owner}" if new.owner else "") + (f"，截止 {day_text(new.due_on, lang)}" if new.due_on else "")
              + "。")
    else:
        print(f"Action item {new.action_id} ({new.title}): "
              f"status {status_text(old.status, lang)} → {status_text(new.status, lang)}"
              + (f", owner {new.owner}" if new.owner else "") + (f", due {new.due_on}" if new.due_on else "") + ".")
    return 0


def cmd_actions_history(args) -> int:
    con = _read(args)
    if con is None:
        raise UserError(f"没有编号为 {args.action_id} 的整改事项。", f"there is no action item #{args.action_id}.")
    try:
        actions.get_action(con, args.action_id)
        rows = actions.action_history(con, args.action_id)
    finally:
        con.close()
    lang = ui_lang()
    for r in rows:
        who = r["changed_by"] or ("命令行" if lang == "zh" else "command line")
        print(f"{r['changed_at']:%Y-%m-%d %H:%M}\t{who}\t{r['field']}\t{r['old_value'] or '—'} → {r['new_value'] or '—'}")
    return 0


# ---- cases -----------------------------------------------------------------------------------

def cmd_cases_add(args) -> int:
    with writing(_db(args)) as con:
        case_id = cases.add_case(con, args.community, args.title, on=args.on)
    print(case_id)
    return 0


def _done(zh: str, en: str) -> int:
    print(zh if ui_lang() == "zh" else en)
    return 0


def cmd_cases_step(args) -> int:
    with writing(_db(args)) as con:
        case = cases.set_step(con, args.case_id, args.step, on=args.on, note=args.note)
    return _done(f"协商议题 {case.case_id}（{case.title}）现在处于：{step_text(case.step, 'zh')}。",
                 f"Case {case.case_id} ({case.title}) is now at: {step_text(case.step, 'en')}.")


def cmd_cases_party(args) -> int:
    with writing(_db(args)) as con:
        cases.add_party(con, args.case_id, args.name, args.role, on=args.on)
    return _done(f"已为协商议题 {args.case_id} 添加参与方。", f"Party added to case {args.case_id}.")


def cmd_cases_meeting(args) -> int:
    with writing(_db(args)) as con:
        number = cases.add_meeting(con, args.case_id, args.on, args.minutes, args.attendees)
    return _done(f"已记录协商议题 {args.case_id} 的第 {number} 次会议（{day_text(args.on, 'zh')}）。",
                 f"Meeting {number} of case {args.case_id} recorded ({args.on}).")


def cmd_cases_agree(args) -> int:
    with writing(_db(args)) as con:
        case = cases.agree(con, args.case_id, args.solution, args.on)
    return _done(f"协商议题 {case.case_id} 已形成方案（{day_text(case.agreed_on, 'zh')}）：{case.solution}",
                 f"Case {case.case_id} agreed on {case.agreed_on}: {case.solution}")


def cmd_cases_link(args) -> int:
    with writing(_db(args)) as con:
        added = cases.link_metric(con, args.case_id, args.metric)
    if added:
        return _done(f"协商议题 {args.case_id} 已关联指标 {args.metric}。", f"Case {args.case_id} now follows {args.metric}.")
    return _done(f"协商议题 {args.case_id} 已经关联过指标 {args.metric}。", f"Case {args.case_id} already follows {args.metric}.")


def cmd_cases_note(args) -> int:
    with writing(_db(args)) as con:
        cases.add_note(con, args.case_id, args.text, on=args.on)
    return _done(f"已为协商议题 {args.case_id} 记下一条进展。", f"Note added to case {args.case_id}.")


def store_effects(con, case: cases.Case) -> list:
    """Each linked metric's effect from the store's weekly kpi (empty before an agreement or a build)."""
    if case.agreed_on is None or not has_table(con, "kpi"):
        return []
    end = None
    if has_table(con, "period_spine"):
        end = con.execute("SELECT max(data_end) FROM period_spine WHERE community_id = ?",
                          [case.community_id]).fetchone()[0]
    out = []
    for metric in case.metrics:
        weeks = con.execute("""SELECT period_start, value FROM kpi WHERE community_id = ? AND grain = 'week'
                               AND metric = ? ORDER BY period_start""", [case.community_id, metric]).fetchall()
        out.append(effect(metric, weeks, case.agreed_on, end))
    return out


def cmd_cases_list(args) -> int:
    lang, con = ui_lang(), _read(args)
    try:
        found = cases.cases(con, [args.community] if args.community else None) if con else []
    finally:
        if con:
            con.close()
    if args.json:
        print(json.dumps([c.as_dict() for c in found], ensure_ascii=False, default=str))
        return 0
    if not found:
        return _done("还没有协商议题。用 `linli cases add 社区 议题` 添加。",
                     "No consultation cases yet. Add one with `linli cases add COMMUNITY TITLE`.")
    print("\t".join(("编号", "社区", "议题", "步骤", "方案日期", "关联指标") if lang == "zh" else
                    ("id", "community", "title", "step", "agreed", "metrics")))
    for c in found:
        print("\t".join([str(c.case_id), c.community_id, c.title, step_text(c.step, lang), day_text(c.agreed_on, lang),
                         ("、" if lang == "zh" else ", ").join(c.metrics) or "—"]))
    return 0


def event_text(ev: dict, lang: str) -> str:
    """One timeline entry in the words the page uses for its kind: 进入步骤：形成方案 / 召开会议：第 2 次."""
    text = ev["text"]
    if ev["kind"] == "step":
        text = step_text(text, lang)
    elif ev["kind"] == "meeting":
        text = f"第 {text} 次" if lang == "zh" else f"no. {text}"
    kind = label("cases.event", ev["kind"], lang)
    return f"{kind}：{text}" if lang == "zh" else f"{kind}: {text}"


def _effect_line(e, lang: str) -> str:
    if e.before_mean is None or e.after_mean is None:
        return f"{e.metric}: " + ("数据不足" if lang == "zh" else "too few weeks")
    verdict = {"beyond": ("超出平常的周波动", "larger than ordinary week-to-week variation"),
               "within": ("在平常的周波动之内", "within ordinary week-to-week variation"),
               "too_few": ("周数太少，无法判断", "too few weeks to tell")}[e.verdict][lang != "zh"]
    if lang == "zh":
        return (f"{e.metric}：之前 {len(e.before)} 周平均 {e.before_mean:.2f}，之后 {len(e.after)} 周平均 {e.after_mean:.2f}，"
                f"变化 {e.change:+.2f}，{verdict}" + (f"（阈值 ±{e.threshold:.2f}）" if e.threshold is not None else ""))
    return (f"{e.metric}: {len(e.before)} weeks before averaged {e.before_mean:.2f}, {len(e.after)} after "
            f"{e.after_mean:.2f}, change {e.change:+.2f}, {verdict}"
            + (f" (threshold ±{e.threshold:.2f})" if e.threshold is not None else ""))


def cmd_cases_show(args) -> int:
    lang, con = ui_lang(), _read(args)
    if con is None:
        raise UserError(f"没有编号为 {args.case_id} 的协商议题。", f"there is no consultation case #{args.case_id}.")
    try:
        case = cases.get_case(con, args.case_id)
        effects = store_effects(con, case)
    finally:
        con.close()
    if args.json:
        print(json.dumps({**case.as_dict(), "effects": [
            {"metric": e.metric, "before_mean": e.before_mean, "after_mean": e.after_mean, "change": e.change,
             "threshold": e.threshold, "verdict": e.verdict, "weeks_before": len(e.before),
             "weeks_after": len(e.after)} for e in effects]}, ensure_ascii=False, default=str))
        return 0
    zh = lang == "zh"
    print(f"{case.case_id}\t{case.community_id}\t{case.title}\t{step_text(case.step, lang)}")
    if case.solution:
        print(("方案：" if zh else "Solution: ") + f"{case.solution}（{day_text(case.agreed_on, lang)}）")
    for p in case.parties:
        print(("参与方：" if zh else "Party: ") + p["name"] + (f"（{p['role']}）" if p["role"] else ""))
    for m in case.meetings:
        print(("会议 " if zh else "Meeting ") + f"{m['meeting_no']}（{day_text(m['held_on'], lang)}）：{m['minutes']}")
    for ev in case.timeline:
        print(f"{day_text(ev['event_on'], lang)}\t{event_text(ev, lang)}")
    for e in effects:
        print(_effect_line(e, lang))
    return 0


def add_cli(sub) -> None:
    """Registers `linli actions add|list|set|history` and `linli cases …` on the `linli` parser."""
    verbs = sub.add_parser("actions", help=say("整改事项：添加、列出、改状态、看历史（SPEC §8）",
                                               "action items 整改事项: add, list, set, history (SPEC §8)")).add_subparsers(
        dest="actions_command", required=True)
    a = verbs.add_parser("add", help=say("添加一项整改事项，输出它的编号", "add an action item; prints its id"))
    a.add_argument("community", help=say("社区编号，例如 A", "community id, e.g. A"))
    a.add_argument("title", help=say("标题，例如“3栋门口快递堆放，联系驿站加派人手”", "the title"))
    a.add_argument("--metric", help=say("关于哪项指标，例如 parcels.overdue", "the kpi metric it is about, e.g. parcels.overdue"))
    a.add_argument("--subject", help=say("对象：楼栋、代收点或商户编号", "a building, point or seller id"))
    a.add_argument("--owner", help=say("负责人", "who does it"))
    a.add_argument("--due", type=_day, help=say("截止日期，例如 2025-06-30", "due day, YYYY-MM-DD"))
    a.set_defaults(func=cmd_actions_add)
    ls = verbs.add_parser("list", help=say("列出整改事项", "list action items"))
    ls.add_argument("--community", help=say("只看这个社区（编号）", "only this community (its id)"))
    ls.add_argument("--json", action="store_true", help=say("输出 JSON", "print JSON"))
    ls.set_defaults(func=cmd_actions_list)
    s = verbs.add_parser("set", help=say("修改一项的状态（或负责人、截止日期、标题）", "change an item's status (or owner, due day, title)"))
    s.add_argument("action_id", type=int, help=say("整改事项编号", "the item's number"))
    s.add_argument("--status", help=say("待办/进行中/已完成（open | in_progress | done）", "open | in_progress | done (待办/进行中/已完成)"))
    s.add_argument("--owner", help=say("负责人", "who does it"))
    s.add_argument("--due", type=_day, help=say("截止日期，例如 2025-06-30", "due day, YYYY-MM-DD"))
    s.add_argument("--title", help=say("新标题", "a new title"))
    s.set_defaults(func=cmd_actions_set)
    h = verbs.add_parser("history", help=say("一项整改事项的全部修改记录", "every change of one item"))
    h.add_argument("action_id", type=int, help=say("整改事项编号", "the item's number"))
    h.set_defaults(func=cmd_actions_history)

    case_cmds = sub.add_parser("cases", help=say("协商议题：从收集议题到结案的每一步（SPEC §8）",
                                                   "consultation cases 协商议题, each step from collecting to closing (SPEC §8)")).add_subparsers(
        dest="cases_command", required=True)
    c = case_cmds.add_parser("add", help=say("新建一个协商议题（从“收集议题”开始），输出它的编号", "a new case at 收集议题; prints its id"))
    c.add_argument("community", help=say("社区编号，例如 A", "community id, e.g. A"))
    c.add_argument("title", help=say("议题，例如“夜间直播噪音”", "the case's title"))
    c.add_argument("--on", type=_day, help=say("收集到议题的日期（默认今天），例如 2025-06-02", "the day it was collected (default today)"))
    c.set_defaults(func=cmd_cases_add)
    st = case_cmds.add_parser("step", help=say("把议题改到某一步：" + "、".join(w.zh for w in cases.STEP_WORDS.values()),
                                             "move a case to a step: " + ", ".join(cases.STEPS)))
    st.add_argument("case_id", type=int, help=say("议题编号", "the case's number"))
    st.add_argument("step", help=say("收集议题 … 已结案（或 collect | invite | meet | agree | supervise | closed）",
                                     "collect | invite | meet | agree | supervise | closed (or 收集议题 … 已结案)"))
    st.add_argument("--on", type=_day, help=say("日期（默认今天），例如 2025-06-02", "the day (default today)"))
    st.add_argument("--note", help=say("说明", "a note"))
    st.set_defaults(func=cmd_cases_step)
    p = case_cmds.add_parser("party", help=say("为议题添加参与方", "add a party to a case"))
    p.add_argument("case_id", type=int, help=say("议题编号", "the case's number"))
    p.add_argument("name", help=say("参与方，例如“3栋居民代表”", "the party, e.g. residents of building 3"))
    p.add_argument("--role", help=say("身份，例如 居民、驿站、物业", "their role, e.g. residents, station, property manager"))
    p.add_argument("--on", type=_day, help=say("日期（默认今天）", "the day (default today)"))
    p.set_defaults(func=cmd_cases_party)
    m = case_cmds.add_parser("meeting", help=say("记录一次协商会议及会议纪要", "record a meeting with its minutes"))
    m.add_argument("case_id", type=int, help=say("议题编号", "the case's number"))
    m.add_argument("--on", type=_day, required=True, help=say("开会日期，例如 2025-06-02", "the day it was held, YYYY-MM-DD"))
    m.add_argument("--minutes", required=True, help=say("会议纪要", "the minutes"))
    m.add_argument("--attendees", help=say("参会人", "who attended"))
    m.set_defaults(func=cmd_cases_meeting)
    g = case_cmds.add_parser("agree", help=say("记录达成的方案及日期（效果按这一天前后比较）", "record the agreed solution and its date"))
    g.add_argument("case_id", type=int, help=say("议题编号", "the case's number"))
    g.add_argument("solution", help=say("方案，例如“直播只在 09:00–20:00 进行”", "the agreed solution"))
    g.add_argument("--on", type=_day, required=True, help=say("达成日期，例如 2025-04-14", "the day it was agreed, YYYY-MM-DD"))
    g.set_defaults(func=cmd_cases_agree)
    k = case_cmds.add_parser("link", help=say("关联一项指标，用来看议题的效果", "follow a kpi metric for the case's effect"))
    k.add_argument("case_id", type=int, help=say("议题编号", "the case's number"))
    k.add_argument("metric", help=say("指标，例如 complaints.noise_outside_hours", "the metric, e.g. complaints.noise_outside_hours"))
    k.set_defaults(func=cmd_cases_link)
    n = case_cmds.add_parser("note", help=say("在时间线上添加一条带日期的说明", "add a dated note to the timeline"))
    n.add_argument("case_id", type=int, help=say("议题编号", "the case's number"))
    n.add_argument("text", help=say("说明", "the note"))
    n.add_argument("--on", type=_day, help=say("日期（默认今天）", "the day (default today)"))
    n.set_defaults(func=cmd_cases_note)
    cl = case_cmds.add_parser("list", help=say("列出协商议题", "list cases"))
    cl.add_argument("--community", help=say("只看这个社区（编号）", "only this community (its id)"))
    cl.add_argument("--json", action="store_true", help=say("输出 JSON", "print JSON"))
    cl.set_defaults(func=cmd_cases_list)
    sh = case_cmds.add_parser("show", help=say("查看一个议题：参与方、会议、时间线和效果", "one case: parties, meetings, timeline and effect"))
    sh.add_argument("case_id", type=int, help=say("议题编号", "the case's number"))
    sh.add_argument("--json", action="store_true", help=say("输出 JSON", "print JSON"))
    sh.set_defaults(func=cmd_cases_show)
