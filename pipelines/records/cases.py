"""Consultation cases (协商议题, SPEC §8): the five steps from an issue to a supervised solution.

A case moves through collect 收集议题 → invite 邀请各方 → meet 协商会议 → agree 形成方案 →
supervise 监督落实, then closed. It records its parties, its meetings with minutes, the agreed
solution and its date, the metrics that should show whether it worked, and a dated timeline
(what happened on which day, as the group tells it). Every change also goes to the case's
history (who, when, field, old, new) and to the audit trail, in the caller's transaction.

Ids are global integers like the action items' (pipelines/records/actions.py), which also supplies
the shared checks, the masking of free text and the transaction helpers.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipelines.database import has_table
from pipelines.errors import UserError
from pipelines.feeds import Word, typed_words, value_typed
from pipelines.records import audit
from pipelines.records.actions import check_community, check_metric, clean, next_id, now

CASES = "consult_cases"
PARTIES = "consult_parties"
MEETINGS = "consult_meetings"
METRICS = "consult_metrics"
TIMELINE = "consult_timeline"
HISTORY = "consult_history"
TABLES = (CASES, PARTIES, MEETINGS, METRICS, TIMELINE, HISTORY)
# step -> its words, declared once: shown (zh, en) by the pages, the briefs and the command line
# (through i18n.label("cases.step", …)), then the further words `linli cases step` accepts
STEP_WORDS = {
    "collect": Word("收集议题", "Collect issues", ("收集",)),
    "invite": Word("邀请各方", "Invite parties", ("邀请",)),
    "meet": Word("协商会议", "Meet", ("协商", "会议")),
    "agree": Word("形成方案", "Agree a solution", ("方案",)),
    "supervise": Word("监督落实", "Supervise", ("监督", "落实")),
    "closed": Word("已结案", "Closed", ("结案", "关闭", "close")),
}
STEPS = tuple(STEP_WORDS)
_STEP_OF = typed_words(STEP_WORDS)
# a timeline entry's kind (consult_timeline.kind) -> its words (i18n.label("cases.event", …))
EVENT_WORDS = {
    "step": Word("进入步骤", "Step"),
    "party": Word("邀请参与方", "Party invited"),
    "meeting": Word("召开会议", "Meeting"),
    "agree": Word("形成方案", "Solution agreed"),
    "metric": Word("关联指标", "Metric linked"),
    "note": Word("进展", "Note"),
}


def ensure(con) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {CASES} (
        case_id BIGINT PRIMARY KEY, community_id VARCHAR NOT NULL, title VARCHAR NOT NULL,
        step VARCHAR NOT NULL, solution VARCHAR, agreed_on DATE,
        created_at TIMESTAMP NOT NULL, created_by VARCHAR, updated_at TIMESTAMP NOT NULL, updated_by VARCHAR)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {PARTIES} (case_id BIGINT NOT NULL, community_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL, role VARCHAR, added_at TIMESTAMP NOT NULL, added_by VARCHAR)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {MEETINGS} (case_id BIGINT NOT NULL, community_id VARCHAR NOT NULL,
        meeting_no INTEGER NOT NULL, held_on DATE NOT NULL, attendees VARCHAR, minutes VARCHAR NOT NULL,
        recorded_at TIMESTAMP NOT NULL, recorded_by VARCHAR)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {METRICS} (case_id BIGINT NOT NULL, community_id VARCHAR NOT NULL,
        metric VARCHAR NOT NULL, linked_at TIMESTAMP NOT NULL, linked_by VARCHAR)""")
    # kind: one of EVENT_WORDS; event_on is the day it happened, as told
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TIMELINE} (case_id BIGINT NOT NULL, community_id VARCHAR NOT NULL,
        event_on DATE NOT NULL, kind VARCHAR NOT NULL, text VARCHAR NOT NULL, recorded_at TIMESTAMP NOT NULL,
        recorded_by VARCHAR)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {HISTORY} (case_id BIGINT NOT NULL, community_id VARCHAR NOT NULL,
        changed_at TIMESTAMP NOT NULL, changed_by VARCHAR, field VARCHAR NOT NULL, old_value VARCHAR,
        new_value VARCHAR)""")


def step_of(word: str) -> str:
    key = value_typed(word, _STEP_OF)
    if key not in STEPS:
        raise UserError("步骤“" + word + "”无法识别。可用：" + "、".join(f"{k}（{w.zh}）" for k, w in STEP_WORDS.items()) + "。",
                        f"unknown step '{word}'. Use one of: {', '.join(STEPS)}.")
    return key


@dataclass
class Case:
    case_id: int
    community_id: str
    title: str
    step: str
    solution: str | None
    agreed_on: dt.date | None
    created_at: dt.datetime
    created_by: str | None
    updated_at: dt.datetime
    updated_by: str | None
    parties: list[dict] = field(default_factory=list)
    meetings: list[dict] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in d.items()}


_CASE_COLUMNS = "case_id, community_id, title, step, solution, agreed_on, created_at, created_by, updated_at, updated_by"


def _get(con, case_id: int) -> Case:
    rows = con.execute(f"SELECT {_CASE_COLUMNS} FROM {CASES} WHERE case_id = ?", [case_id]).fetchall() \
        if has_table(con, CASES) else []
    if not rows:
        raise UserError(f"没有编号为 {case_id} 的协商议题。运行 `linli cases list` 查看全部编号。",
                        f"there is no consultation case #{case_id}. Run `linli cases list` to see them.")
    return Case(*rows[0])


def _event(con, case: Case, on: dt.date, kind: str, text: str, at: dt.datetime, user: str | None) -> None:
    con.execute(f"INSERT INTO {TIMELINE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [case.case_id, case.community_id, on, kind, text, at, user])


def _history(con, case: Case, at, user, name: str, old, new) -> None:
    show = lambda v: None if v is None else (v.isoformat() if isinstance(v, dt.date) else str(v))  # noqa: E731
    con.execute(f"INSERT INTO {HISTORY} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [case.case_id, case.community_id, at, user, name, show(old), show(new)])


def _touch(con, case: Case, at, user) -> None:
    con.execute(f"UPDATE {CASES} SET updated_at = ?, updated_by = ? WHERE case_id = ?", [at, user, case.case_id])


def add_case(con, community_id: str, title: str, *, on: dt.date | None = None, user: str | None = None,
             at: dt.datetime | None = None) -> int:
    """A new case at its first step, 收集议题, collected on `on` (today if not given); returns its id."""
    ensure(con)
    community_id = check_community(con, community_id)
    title = clean(title, "议题", "title")
    if not title:
        raise UserError("协商议题需要一个标题，例如“夜间直播噪音”。", "a case needs a title, e.g. 'late-night livestream noise'.")
    at = at or now()
    case_id = next_id(con, CASES, "case_id")
    con.execute(f"INSERT INTO {CASES} VALUES (?, ?, ?, 'collect', NULL, NULL, ?, ?, ?, ?)",
                [case_id, community_id, title, at, user, at, user])
    case = _get(con, case_id)
    _history(con, case, at, user, "title", None, title)
    _history(con, case, at, user, "step", None, "collect")
    _event(con, case, on or at.date(), "step", "collect", at, user)
    audit.record(con, "case.add", user=user, community_id=community_id, case_id=case_id)
    return case_id


def set_step(con, case_id: int, step: str, *, on: dt.date | None = None, note: str | None = None,
             user: str | None = None, at: dt.datetime | None = None) -> Case:
    """Move a case to a step (forward, or back when the group reopens it), dated `on`."""
    ensure(con)
    case, step = _get(con, case_id), step_of(step)
    if step == case.step:
        return case
    at = at or now()
    con.execute(f"UPDATE {CASES} SET step = ? WHERE case_id = ?", [step, case_id])
    _touch(con, case, at, user)
    _history(con, case, at, user, "step", case.step, step)
    _event(con, case, on or at.date(), "step", step, at, user)
    if note := clean(note, "说明", "note"):
        _event(con, case, on or at.date(), "note", note, at, user)
    audit.record(con, "case.step", user=user, community_id=case.community_id, case_id=case_id, old=case.step, new=step)
    return _get(con, case_id)


def add_party(con, case_id: int, name: str, role: str | None = None, *, on: dt.date | None = None,
              user: str | None = None, at: dt.datetime | None = None) -> None:
    """A party to the case (居民代表, 电商经营者, 驿站, 物业…)."""
    ensure(con)
    case, at = _get(con, case_id), at or now()
    name, role = clean(name, "参与方", "party"), clean(role, "身份", "role")
    if not name:
        raise UserError("请写出参与方的名称，例如“3栋居民代表”。", "name the party, e.g. 'residents of building 3'.")
    con.execute(f"INSERT INTO {PARTIES} VALUES (?, ?, ?, ?, ?, ?)", [case_id, case.community_id, name, role, at, user])
    _touch(con, case, at, user)
    _history(con, case, at, user, "party", None, f"{name}（{role}）" if role else name)
    _event(con, case, on or at.date(), "party", f"{name}（{role}）" if role else name, at, user)
    audit.record(con, "case.party", user=user, community_id=case.community_id, case_id=case_id)


def add_meeting(con, case_id: int, held_on: dt.date, minutes: str, attendees: str | None = None, *,
                user: str | None = None, at: dt.datetime | None = None) -> int:
    """A meeting with its minutes; returns its number within the case (1, 2, …)."""
    ensure(con)
    case, at = _get(con, case_id), at or now()
    minutes, attendees = clean(minutes, "会议纪要", "minutes"), clean(attendees, "参会人", "attendees")
    if not minutes:
        raise UserError("请写下会议纪要（讨论了什么、谁同意了什么）。", "write the minutes (what was discussed, who agreed to what).")
    number = int(con.execute(f"SELECT coalesce(max(meeting_no), 0) + 1 FROM {MEETINGS} WHERE case_id = ?",
                             [case_id]).fetchone()[0])
    con.execute(f"INSERT INTO {MEETINGS} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [case_id, case.community_id, number, held_on, attendees, minutes, at, user])
    _touch(con, case, at, user)
    _history(con, case, at, user, f"meeting {number}", None, minutes)
    _event(con, case, held_on, "meeting", str(number), at, user)
    audit.record(con, "case.meeting", user=user, community_id=case.community_id, case_id=case_id, meeting_no=number)
    return number


def agree(con, case_id: int, solution: str, agreed_on: dt.date, *, user: str | None = None,
          at: dt.datetime | None = None) -> Case:
    """The agreed solution and its date; a case not yet past 形成方案 moves there. The date is what the
    effect compares before and after."""
    ensure(con)
    case, at = _get(con, case_id), at or now()
    solution = clean(solution, "方案", "solution")
    if not solution:
        raise UserError("请写出形成的方案，例如“直播只在 09:00–20:00 进行”。",
                        "write the agreed solution, e.g. 'livestreams only 09:00–20:00'.")
    con.execute(f"UPDATE {CASES} SET solution = ?, agreed_on = ? WHERE case_id = ?", [solution, agreed_on, case_id])
    _touch(con, case, at, user)
    _history(con, case, at, user, "solution", case.solution, solution)
    _history(con, case, at, user, "agreed_on", case.agreed_on, agreed_on)
    _event(con, case, agreed_on, "agree", solution, at, user)
    audit.record(con, "case.agree", user=user, community_id=case.community_id, case_id=case_id,
                 agreed_on=agreed_on.isoformat())
    if STEPS.index(case.step) < STEPS.index("agree"):
        set_step(con, case_id, "agree", on=agreed_on, user=user, at=at)
    return _get(con, case_id)


def link_metric(con, case_id: int, metric: str, *, user: str | None = None, at: dt.datetime | None = None) -> bool:
    """A metric whose weeks before and after the agreement show the case's effect; False if already linked."""
    ensure(con)
    case, at, metric = _get(con, case_id), at or now(), check_metric(metric)
    if metric is None:
        raise UserError("请给出指标，例如 complaints.noise_outside_hours。", "name a metric, e.g. complaints.noise_outside_hours.")
    if con.execute(f"SELECT count(*) FROM {METRICS} WHERE case_id = ? AND metric = ?", [case_id, metric]).fetchone()[0]:
        return False
    con.execute(f"INSERT INTO {METRICS} VALUES (?, ?, ?, ?, ?)", [case_id, case.community_id, metric, at, user])
    _touch(con, case, at, user)
    _history(con, case, at, user, "metric", None, metric)
    _event(con, case, at.date(), "metric", metric, at, user)
    audit.record(con, "case.metric", user=user, community_id=case.community_id, case_id=case_id, metric=metric)
    return True


def add_note(con, case_id: int, text: str, *, on: dt.date | None = None, user: str | None = None,
             at: dt.datetime | None = None) -> None:
    ensure(con)
    case, at = _get(con, case_id), at or now()
    text = clean(text, "说明", "note")
    if not text:
        raise UserError("说明不能为空。", "the note is empty.")
    _touch(con, case, at, user)
    _history(con, case, at, user, "note", None, text)
    _event(con, case, on or at.date(), "note", text, at, user)
    audit.record(con, "case.note", user=user, community_id=case.community_id, case_id=case_id)


def _rows(con, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def cases(con, communities: list[str] | None = None) -> list[Case]:
    """Every case with its parties, meetings, metrics and timeline; open ones first, newest first."""
    if not has_table(con, CASES):
        return []
    rows = con.execute(f"""SELECT {_CASE_COLUMNS} FROM {CASES}
                           WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], community_id)
                           ORDER BY step = 'closed', created_at DESC, case_id DESC""",
                       [communities, communities]).fetchall()
    found = [Case(*r) for r in rows]
    for c in found:
        c.parties = _rows(con, f"SELECT name, role FROM {PARTIES} WHERE case_id = ? ORDER BY added_at, rowid", [c.case_id])
        c.meetings = _rows(con, f"""SELECT meeting_no, held_on, attendees, minutes FROM {MEETINGS} WHERE case_id = ?
                                    ORDER BY meeting_no""", [c.case_id])
        c.metrics = [r["metric"] for r in _rows(con, f"SELECT metric FROM {METRICS} WHERE case_id = ? "
                                                      "ORDER BY linked_at, rowid", [c.case_id])]
        c.timeline = _rows(con, f"""SELECT event_on, kind, text FROM {TIMELINE} WHERE case_id = ?
                                    ORDER BY event_on, recorded_at, rowid""", [c.case_id])
    return found


def get_case(con, case_id: int) -> Case:
    community = _get(con, case_id).community_id
    return next(c for c in cases(con, [community]) if c.case_id == case_id)


def case_history(con, case_id: int) -> list[dict]:
    if not has_table(con, HISTORY):
        return []
    return _rows(con, f"""SELECT changed_at, changed_by, field, old_value, new_value FROM {HISTORY}
                          WHERE case_id = ? ORDER BY changed_at, rowid""", [case_id])


def community_of(con, case_id: int) -> str:
    return _get(con, case_id).community_id
