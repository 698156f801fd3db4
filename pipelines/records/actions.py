"""Action items (整改事项, SPEC §8): what the group agreed to do about a number, who does it, by when.

The records live in the store beside the imported data, in tables no build, re-import or undo
touches (records/kept.py KEPT_TABLES; the demo carries them over). Every change writes a history row
(who, when, field, old, new) and an audit row in the caller's transaction, so a change and its
trail are stored together or not at all.

Ids are global integers (1, 2, 3 … across all communities): a command like
`linli actions set 7 --status done` then needs no community, and an id never names two items.
Free text (titles, owners, subjects) may carry a resident's phone number; it is masked before
it is stored.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from pipelines.database import has_table
from pipelines.errors import UserError
from pipelines.feeds import Word, typed_words, value_typed
from pipelines.personal import mask_text
from pipelines.records import audit
from pipelines.records.users import known_communities

ACTIONS = "action_items"
ACTION_HISTORY = "action_items_history"
# status -> its words, declared once: shown (zh, en) by the pages, the briefs and the command line
# (through i18n.label("actions.status", …)), then the further words `--status` accepts
STATUS_WORDS = {
    "open": Word("待办", "Open", ("未开始",)),
    "in_progress": Word("进行中", "In progress", ("处理中", "进行", "in-progress", "inprogress")),
    "done": Word("已完成", "Done", ("完成", "办结")),
}
STATUSES = tuple(STATUS_WORDS)
_STATUS_OF = typed_words(STATUS_WORDS)
FIELDS = ("title", "metric", "subject", "owner", "due_on", "status")
MAX_TEXT = 2000
# control characters a terminal or a page could act on; line breaks stay (minutes have paragraphs)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str | None, what_zh: str = "文字", what_en: str = "text") -> str | None:
    """Free text fit to store: no control characters, phone and ID-card numbers masked (personal.mask_text,
    the import's masker), not too long."""
    if text is None:
        return None
    text = _CONTROL.sub("", str(text)).strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise UserError(f"{what_zh}太长：最多 {MAX_TEXT} 个字，现在有 {len(text)} 个。请缩短后再保存。",
                        f"the {what_en} is too long: at most {MAX_TEXT} characters, it has {len(text)}.")
    return mask_text(text)


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {ACTIONS} (
        action_id BIGINT PRIMARY KEY, community_id VARCHAR NOT NULL, title VARCHAR NOT NULL,
        metric VARCHAR, subject VARCHAR,      -- subject: a building, point or seller id
        owner VARCHAR, due_on DATE, status VARCHAR NOT NULL,
        source VARCHAR NOT NULL,              -- hand | alert | case
        case_id BIGINT,                       -- the consultation case it carries out, if any
        created_at TIMESTAMP NOT NULL, created_by VARCHAR, updated_at TIMESTAMP NOT NULL, updated_by VARCHAR)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {ACTION_HISTORY} (
        action_id BIGINT NOT NULL, community_id VARCHAR NOT NULL, changed_at TIMESTAMP NOT NULL,
        changed_by VARCHAR, field VARCHAR NOT NULL, old_value VARCHAR, new_value VARCHAR)""")


def check_community(con, community_id: str) -> str:
    community_id = (community_id or "").strip()
    known = set(known_communities(con))
    if community_id not in known:
        listed = "、".join(sorted(known)) or "（还没有导入社区名单）"
        raise UserError(f"社区“{community_id}”不在数据库里。可选的社区编号：{listed}。请先导入社区名单"
                        "（linli ingest communities 文件）或改用上面的编号。",
                        f"there is no community '{community_id}'. Known community ids: "
                        f"{', '.join(sorted(known)) or 'none yet (import the communities list first)'}.")
    return community_id


def check_metric(metric: str | None) -> str | None:
    from pipelines.metrics import REGISTRY
    if metric is None or not metric.strip():
        return None
    metric = metric.strip()
    if metric not in REGISTRY:
        raise UserError(f"指标“{metric}”不存在。可用的指标见 `linli alerts list --metrics` 或“指标说明”页，"
                        "例如 complaints.noise_outside_hours。",
                        f"unknown metric '{metric}'; see `linli alerts list --metrics` or the glossary page "
                        "(e.g. complaints.noise_outside_hours).")
    return metric


def status_of(word: str) -> str:
    key = value_typed(word, _STATUS_OF)
    if key not in STATUSES:
        raise UserError("状态“" + word + "”无法识别。可用：" + "、".join(f"{k}（{w.zh}）" for k, w in STATUS_WORDS.items())
                        + "。", f"unknown status '{word}'. Use one of: "
                        + ", ".join(f"{k} ({w.en})" for k, w in STATUS_WORDS.items()) + ".")
    return key


def next_id(con, table: str, column: str) -> int:
    # max + 1 inside the writer's transaction: DuckDB admits one writing process, so two never collide
    return int(con.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchone()[0])


def _text(value) -> str | None:
    return None if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))


@dataclass(frozen=True)
class Action:
    action_id: int
    community_id: str
    title: str
    metric: str | None
    subject: str | None
    owner: str | None
    due_on: dt.date | None
    status: str
    source: str
    case_id: int | None
    created_at: dt.datetime
    created_by: str | None
    updated_at: dt.datetime
    updated_by: str | None

    def overdue(self, today: dt.date | None = None) -> bool:
        """Past its due day and not done (SPEC §8)."""
        return self.status != "done" and self.due_on is not None and self.due_on < (today or dt.date.today())

    def as_dict(self, today: dt.date | None = None) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {**{k: _text(v) if isinstance(v, dt.date) else v for k, v in d.items()},
                "overdue": self.overdue(today)}


COLUMNS = ", ".join(Action.__dataclass_fields__)


def add_action(con, community_id: str, title: str, *, metric: str | None = None, subject: str | None = None,
               owner: str | None = None, due_on: dt.date | None = None, status: str = "open", source: str = "hand",
               case_id: int | None = None, user: str | None = None, at: dt.datetime | None = None) -> int:
    """A new action item; returns its id. Runs in the caller's transaction."""
    ensure(con)
    community_id = check_community(con, community_id)
    title = clean(title, "标题", "title")
    if not title:
        raise UserError("整改事项需要一个标题，例如“3栋门口快递堆放，联系驿站加派人手”。",
                        "an action item needs a title, e.g. 'parcels piling up at building 3: ask the station for staff'.")
    values = dict(title=title, metric=check_metric(metric), subject=clean(subject, "对象", "subject"),
                  owner=clean(owner, "负责人", "owner"), due_on=due_on, status=status_of(status))
    at = at or now()
    action_id = next_id(con, ACTIONS, "action_id")
    con.execute(f"INSERT INTO {ACTIONS} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [action_id, community_id, *values.values(), source, case_id, at, user, at, user])
    for field, value in values.items():
        if value is not None:
            _history(con, action_id, community_id, at, user, field, None, value)
    audit.record(con, "action.add", user=user, community_id=community_id, action_id=action_id,
                 metric=values["metric"], source=source)
    return action_id


def _history(con, action_id, community_id, at, user, field, old, new) -> None:
    con.execute(f"INSERT INTO {ACTION_HISTORY} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [action_id, community_id, at, user, field, _text(old), _text(new)])


def get_action(con, action_id: int) -> Action:
    rows = con.execute(f"SELECT {COLUMNS} FROM {ACTIONS} WHERE action_id = ?", [action_id]).fetchall() \
        if has_table(con, ACTIONS) else []
    if not rows:
        raise UserError(f"没有编号为 {action_id} 的整改事项。运行 `linli actions list` 查看全部编号。",
                        f"there is no action item #{action_id}. Run `linli actions list` to see them.")
    return Action(*rows[0])


def update_action(con, action_id: int, *, user: str | None = None, at: dt.datetime | None = None,
                  **changes) -> Action:
    """Change fields of an item (status, owner, due_on, title, metric, subject); returns it as now stored.
    A field given as its current value is no change and leaves no history."""
    ensure(con)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"not an action item field: {sorted(unknown)}")
    old = get_action(con, action_id)
    checks = {"status": status_of, "metric": check_metric, "title": lambda v: clean(v, "标题", "title"),
              "subject": lambda v: clean(v, "对象", "subject"), "owner": lambda v: clean(v, "负责人", "owner")}
    new = {f: checks.get(f, lambda v: v)(v) for f, v in changes.items()}
    if "title" in new and not new["title"]:
        raise UserError("标题不能为空。", "the title cannot be empty.")
    new = {f: v for f, v in new.items() if v != getattr(old, f)}
    if not new:
        return old
    at = at or now()
    sets = ", ".join(f"{f} = ?" for f in new)
    con.execute(f"UPDATE {ACTIONS} SET {sets}, updated_at = ?, updated_by = ? WHERE action_id = ?",
                [*new.values(), at, user, action_id])
    for f, v in new.items():
        _history(con, action_id, old.community_id, at, user, f, getattr(old, f), v)
    audit.record(con, "action.status" if set(new) == {"status"} else "action.edit", user=user,
                 community_id=old.community_id, action_id=action_id,
                 **{f: {"old": _text(getattr(old, f)), "new": _text(v)} for f, v in new.items()})
    return get_action(con, action_id)


def actions(con, communities: list[str] | None = None) -> list[Action]:
    """Items, open ones first by due day, then the done ones newest first; `communities` None: all."""
    if not has_table(con, ACTIONS):
        return []
    rows = con.execute(f"""SELECT {COLUMNS} FROM {ACTIONS}
                           WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], community_id)
                           ORDER BY status = 'done', CASE WHEN status = 'done' THEN NULL ELSE due_on END NULLS LAST,
                                    updated_at DESC, action_id""", [communities, communities]).fetchall()
    return [Action(*r) for r in rows]


def action_history(con, action_id: int) -> list[dict]:
    if not has_table(con, ACTION_HISTORY):
        return []
    cur = con.execute(f"""SELECT changed_at, changed_by, field, old_value, new_value FROM {ACTION_HISTORY}
                          WHERE action_id = ? ORDER BY changed_at, rowid""", [action_id])
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


