"""The report to the street office drafted from a period's numbers (issue 19 item 5): pure, from what the
brief already gathered (pipelines/reports/content.py, pipelines/reports/draft_data.py) to Chinese text.

The report is a document sent upward in Chinese, so its sentences are written here, not in the i18n
catalogs. Every number in it is the `kpi` cell it names, formatted as the pages format it
(pipelines/present/format.py): "超时包裹116，比上周增加20" reads back as kpi's value and its change against the
previous period. A metric with no number for the period (its feed not imported) is named as not imported,
never given as 0; a section with nothing to say (no cases, no forecast) is left out rather than filled.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pipelines.present import format as fmt
from pipelines.reports.brief import Brief, Headline

NUMERALS = "一二三四五六七八九十"
# the numbers paragraph's groups, in the meeting's order: a metric's feed names its group
GROUPS = (("parcels", "快递代收"), ("complaints", "居民投诉"), ("orders", "电商订单"), ("training", "技能培训"),
          ("jobs", "就业"), ("coop", "合作社公共基金"))
WORD = {"week": ("本周", "上周", "下周"), "month": ("本月", "上月", "下月")}
# the measure word after a count, as a person writing the report would put it (rates, hours and yuan carry theirs)
UNITS = {"parcels.arrived": "件", "parcels.picked_up": "件", "parcels.overdue": "件", "complaints.count": "件",
         "complaints.noise": "件", "complaints.noise_outside_hours": "件", "complaints.parcel_pileup": "件",
         "complaints.open_at_end": "件", "complaints.repeat_buildings": "栋", "orders.count": "单",
         "training.sessions": "场", "training.participants": "人次", "training.elderly_participants": "人次",
         "jobs.started": "人", "jobs.active_at_end": "人", "orders.active_sellers": "家", "orders.new_sellers": "家",
         "complaints.noise_per_1k_households": "件"}


@dataclass(frozen=True)
class ActionLine:
    """One action item as the report needs it (pipelines/records/actions.py Action)."""
    title: str
    owner: str | None
    due_on: dt.date | None
    status: str                  # open | in_progress | done
    done_on: dt.date | None      # the day it was marked done (its last change), for a done item
    created_on: dt.date | None = None   # an item made after the period is not in its report


@dataclass(frozen=True)
class CaseLine:
    """One consultation case not closed: the step it is at (in words) and its effect, as the 协商议题 page words it."""
    title: str
    step: str
    agreed_on: dt.date | None
    solution: str | None
    effect: str | None


@dataclass(frozen=True)
class Outlook:
    """Next week from the `forecast` table: the breach alerts of the 7 days ahead (outlook.breach_alerts),
    the busiest point expected (name, day, ratio) and the noise sentence; None where there is no forecast."""
    first_day: dt.date
    breaches: tuple[str, ...]
    busiest: tuple[str, dt.date, float] | None
    noise: str | None


@dataclass(frozen=True)
class DraftInput:
    brief: Brief
    street: str | None
    actions: tuple[ActionLine, ...]
    cases: tuple[CaseLine, ...]
    today: dt.date
    outlook: Outlook | None = None
    alerts: tuple[str, ...] = field(default=())     # the alerts' plain text (the brief's, unless given)


def period_words(brief: Brief) -> str:
    """2026年第48周（11月23日–11月29日）or 2026年11月."""
    name = fmt.period(brief.grain, brief.period, "zh")
    if brief.grain == "week":
        head, days = name.split(" · ")
        return f"{head}（{days}）"
    return name


def amount(h: Headline, value: float | None = None) -> str:
    """A headline's value the Chinese way (1,234 / 2.35万 / 75.0% / 12.5 小时 / ¥3,200)."""
    return fmt.value(h.metric, h.value if value is None else value, "zh").replace(" 小时", "小时") + UNITS.get(h.metric, "")


def change_words(h: Headline, previous_word: str) -> str | None:
    """"比上周增加20" / "比上周下降2.3个百分点" / "与上周持平"; None where there is nothing to compare with."""
    if h.value is None or h.previous is None or h.not_imported:
        return None
    if fmt.unchanged(h.metric, h.value, h.previous):
        return f"与{previous_word}持平"
    diff = h.value - h.previous
    if h.kind == "rate":
        return f"比{previous_word}{'上升' if diff > 0 else '下降'}{abs(diff) * 100:.1f}个百分点"
    return f"比{previous_word}{'增加' if diff > 0 else '减少'}{amount(h, abs(diff))}"


# what paid nothing, for a spending metric whose zero is said in words (format.ZERO_WORDS)
PAYER = {"coop.fund_spent_yuan": "公共基金"}


def _nothing_paid(h: Headline, this: str, last: str) -> str | None:
    """"公共基金本月没有支出（上月支出¥6,800）": a month the fund paid nothing is said so, not "公共基金支出¥0.00"."""
    if h.metric not in PAYER or h.value != 0:
        return None
    before = "" if h.previous is None else (f"，{last}也没有" if h.previous == 0 else f"（{last}支出{amount(h, h.previous)}）")
    return f"{PAYER[h.metric]}{this}没有支出{before}"


def _numbers(d: DraftInput) -> list[str]:
    b = d.brief
    this, last, _ = WORD[b.grain]
    out = []
    for feed, title in GROUPS:
        if feed == "coop" and feed in b.no_data:
            continue    # no cooperative books at all: most communities keep none, so there is no fund to report
        hs = [h for h in b.headlines if h.metric.split(".")[0] == feed]
        shown = [h for h in hs if h.value is not None and not h.not_imported]
        missing = [h for h in hs if h.not_imported]
        parts = []
        for h in shown:
            said = _nothing_paid(h, this, last)
            if said:
                parts.append(said)
                continue
            change = change_words(h, last)
            parts.append(f"{h.name}{amount(h)}" + (f"，{change}" if change else ""))
        line = ""
        if parts:
            line = f"{title}：" + "；".join(parts) + "。"
        if missing:
            line += f"{title}数据尚未导入到{this}，{'、'.join(h.name for h in missing)}暂无数字。"
        if line:
            out.append(line)
    return out


# the pages space numbers from Chinese words ("31 件包裹超过 72 小时未取"); a report written by hand does not, and
# its own sentences do not ("超时包裹31件"): the pages' sentences it carries (alerts, effects, the outlook) are
# written the same way, so one document does not mix the two
_SPACED = re.compile(r"(?<=[\u4e00-\u9fff（），：；。])[ \u00a0]+(?=[\d¥±+−-])|(?<=[\d%])[ \u00a0]+(?=[\u4e00-\u9fff（])")


def _tight(text: str) -> str:
    return _SPACED.sub("", text)


def _alerts(d: DraftInput) -> list[str]:
    this = WORD[d.brief.grain][0]
    found = d.alerts or tuple(a.text for a in d.brief.alerts)
    # a breach forecast is told once, under next week's outlook: the brief's alerts carry it too
    ahead = set(d.outlook.breaches) if d.outlook is not None else set()
    found = tuple(text for text in found if text not in ahead)
    if not found:
        return [f"{this}各项指标均未触发提醒。"]
    return [f"{this}共有{len(found)}条提醒："] + [f"（{i}）{_tight(text)}" for i, text in enumerate(found, 1)]


def _who(a: ActionLine) -> str:
    return f"（负责人：{a.owner}）" if a.owner else ""


def _actions(d: DraftInput, start: dt.date, end: dt.date) -> list[str]:
    """As the report's day saw them: the day after the period (a report written later, or an old period's, does
    not count what happened since), or today while the period runs."""
    this = WORD[d.brief.grain][0]
    as_of = min(d.today, end)
    items = [a for a in d.actions if a.created_on is None or a.created_on < end]
    finished = [a for a in items if a.status == "done" and a.done_on is not None and a.done_on < end]
    done = [a for a in finished if a.done_on >= start]
    overdue = [a for a in items if a not in finished and a.due_on is not None and a.due_on < as_of]
    going = [a for a in items if a not in finished and a not in overdue]
    if not (done or overdue or going):
        return [f"{this}没有登记整改事项。"]
    out = []
    if done:
        out.append(f"{this}完成整改事项{len(done)}项：" + "；".join(f"“{a.title}”{_who(a)}" for a in done) + "。")
    else:
        out.append(f"{this}没有完成的整改事项。")
    if overdue:
        out.append(f"逾期未完成{len(overdue)}项：" + "；".join(
            f"“{a.title}”（{'负责人：' + a.owner + '，' if a.owner else ''}应于{fmt.date(a.due_on)}完成，"
            f"已逾期{(as_of - a.due_on).days}天）" for a in overdue) + "，需要督促。")
    if going:
        out.append(f"正在推进{len(going)}项：" + "；".join(
            f"“{a.title}”" + (f"（{fmt.date(a.due_on)}到期）" if a.due_on else "") for a in going) + "。")
    return out


def _cases(d: DraftInput) -> list[str]:
    out = []
    for c in d.cases:
        line = f"“{c.title}”目前在“{c.step}”阶段"
        if c.agreed_on is not None and c.solution:
            line += f"，{fmt.date(c.agreed_on)}形成方案：{c.solution.rstrip('。')}"
        effect = _tight("".join(part.strip() for part in (c.effect or "").splitlines()))
        out.append(line + "。" + (f"效果：{effect}" if effect else ""))
    return out


def _outlook(d: DraftInput) -> list[str]:
    o = d.outlook
    if o is None:
        return []
    out = [_tight(b) for b in o.breaches]
    if not o.breaches and o.busiest is not None:
        name, day, ratio = o.busiest
        out.append(f"预计各快递代收点不会超出容量，最忙的是{name}，{fmt.day_short(day)}高峰约占容量的"
                   f"{fmt.value('rate', ratio)}。")
    if o.noise:
        out.append(o.noise)
    return out


def draft(d: DraftInput) -> str:
    """The report as plain text, paragraphs separated by blank lines."""
    from pipelines.periods import period_next
    b = d.brief
    this, _, _ = WORD[b.grain]
    start, end = b.period, period_next(b.grain, b.period)
    head = f"关于{b.community_name}{period_words(b)}治理情况的报告"
    to = f"{d.street}街道办事处：" if d.street else "街道办事处："
    opening = f"现将{b.community_name}{period_words(b)}的主要数据、提醒和整改情况报告如下。"
    if b.partial and b.notes:
        # a comma: the note has its own colon ("本期数据不完整：数据截至…"), and two in a row read as a form
        opening += "需要说明的是，" + "".join(n if n.endswith("。") else n + "。" for n in b.notes)
    sections = [("主要数据", _numbers(d)), ("需要关注的问题", _alerts(d)), ("整改事项", _actions(d, start, end)),
                ("协商议题", _cases(d)), (f"{WORD[b.grain][2] if b.grain == 'week' else '下周'}预计", _outlook(d))]
    body = [head, to, "　　" + opening]
    n = 0
    for title, lines in sections:
        if not lines:
            continue
        body.append(f"{NUMERALS[n]}、{title}")
        body.extend("　　" + line for line in lines)
        n += 1
    body += ["　　特此报告。", f"{b.community_name}居民委员会\n{fmt.date(d.today)}"]
    return "\n\n".join(body)
