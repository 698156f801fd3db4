"""Alert rules (SPEC §8): per community, a threshold on any `kpi` metric, absolute or as a change
against the previous period. Defaults ship (the numbers are in pipelines/records/rules.py); a community's
own rules live in the store, in a table no build, import, undo or demo run touches, with the
history of every change and an audit row for each. Every change names the account making it and is
refused (access.NotAllowed) unless the access policy lets that account change that community's rules.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import duckdb

from pipelines.database import has_table, reading
from pipelines.errors import UserError
from pipelines.feeds import Word, typed_words, value_typed
from pipelines.records import access, audit, rules
from pipelines.records.users import Account

TABLE = "alert_rules"
HISTORY = "alert_rules_history"
# above: value ≥ threshold; below: value < threshold; rise / fall: the change against the previous
# period is at least the threshold (up / down).
CONDITIONS = ("above", "below", "rise", "fall")
# level -> its words, declared once: shown (zh, en) by the pages and the briefs (i18n.label("alert_rules.level",
# …)), then the further words `--level` accepts
LEVEL_WORDS = {"warning": Word("提醒", "Warning", ("警告",)), "error": Word("严重", "Serious")}
LEVELS = tuple(LEVEL_WORDS)
_LEVEL_OF = typed_words(LEVEL_WORDS)
CONDITION_WORDS = {"高于": "above", "达到": "above", "低于": "below", "上升": "rise", "增加": "rise",
                   "下降": "fall", "减少": "fall"}


@dataclass(frozen=True)
class AlertRule:
    rule_id: str
    metric: str
    condition: str
    threshold: float
    level: str = "warning"
    enabled: bool = True
    is_default: bool = True     # the shipped rule as shipped (not stored for the community)


DEFAULTS: tuple[AlertRule, ...] = (
    AlertRule("noise_outside", "complaints.noise_outside_hours", "above", rules.NOISE_OUTSIDE, "error"),
    AlertRule("repeat_buildings", "complaints.repeat_buildings", "above", rules.REPEAT_BUILDINGS),
    AlertRule("overdue", "parcels.overdue", "above", rules.OVERDUE_COUNT),
    AlertRule("overdue_rate", "parcels.overdue_rate", "above", rules.OVERDUE_RATE),
    AlertRule("over_capacity", "parcels.peak_occupancy_ratio", "above", rules.FULL, "error"),
    AlertRule("near_capacity", "parcels.peak_occupancy_ratio", "above", rules.NEAR_CAPACITY),
    AlertRule("pileup", "complaints.parcel_pileup", "above", rules.PILEUP),
    AlertRule("open_rising", "complaints.open_at_end", "rise", rules.OPEN_RISING),
    AlertRule("low_attendance", "training.attendance_rate", "below", rules.LOW_ATTENDANCE),
    AlertRule("dissatisfied", "feedback.dissatisfied_share", "above", rules.DISSATISFIED_SHARE),
)
_DEFAULTS = {r.rule_id: r for r in DEFAULTS}


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    columns = """community_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, metric VARCHAR NOT NULL,
                 condition VARCHAR NOT NULL, threshold DOUBLE NOT NULL, level VARCHAR NOT NULL,
                 enabled BOOLEAN NOT NULL"""
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} ({columns}, updated_at TIMESTAMP NOT NULL,
                    updated_by VARCHAR, PRIMARY KEY (community_id, rule_id))""")
    # every change as it left the rule; removed = back to the shipped default
    con.execute(f"""CREATE TABLE IF NOT EXISTS {HISTORY} ({columns}, removed BOOLEAN NOT NULL DEFAULT false,
                    changed_at TIMESTAMP NOT NULL, changed_by VARCHAR)""")


def _stored(con: duckdb.DuckDBPyConnection, community_id: str) -> list[AlertRule]:
    rows = con.execute(f"""SELECT rule_id, metric, condition, threshold, level, enabled FROM {TABLE}
                           WHERE community_id = ? ORDER BY rule_id""", [community_id]).fetchall()
    return [AlertRule(r[0], r[1], r[2], float(r[3]), r[4], bool(r[5]), False) for r in rows]


def effective(con: duckdb.DuckDBPyConnection | None, community_id: str) -> list[AlertRule]:
    """The community's rules: the defaults (in their order) with its own changes, then its own rules."""
    stored = {r.rule_id: r for r in (_stored(con, community_id) if con is not None and _exists(con) else [])}
    out = [stored.pop(r.rule_id, r) for r in DEFAULTS]
    return out + sorted(stored.values(), key=lambda r: r.rule_id)


def _exists(con) -> bool:
    return has_table(con, TABLE)


def read(db_path: str | Path, community_id: str) -> list[AlertRule] | None:
    """For the dashboard: the rules read through a short connection that never waits. None while an
    import or build holds the store (the caller then shows the defaults and says so)."""
    with reading(db_path) as con:
        return None if con is None else effective(con, community_id)


def _metric_keys() -> set[str]:
    from pipelines.metrics import REGISTRY
    return set(REGISTRY)


def _word(value: str | None, words: dict[str, str], allowed: tuple[str, ...], what_zh: str, what_en: str):
    if value is None:
        return None
    value = value_typed(value, words)
    if value not in allowed:
        raise UserError(f"{what_zh}“{value}”无法识别，可用：{'、'.join(allowed)}。",
                        f"unknown {what_en} '{value}'; use one of: {', '.join(allowed)}.")
    return value


def set_rule(con: duckdb.DuckDBPyConnection, community_id: str, rule_id: str, *, account: Account | None,
             metric: str | None = None, condition: str | None = None, threshold: float | None = None,
             level: str | None = None, enabled: bool | None = None, user: str | None = None) -> AlertRule:
    """Change a rule (a default or the community's own) or add one; returns it as now stored.
    `account`: who changes it, always given (None: no login, the command line or the open demo); refused
    with access.NotAllowed, nothing written, unless the policy lets it change this community's rules.
    Runs in the caller's transaction: the rule, its history row and the audit row go together."""
    access.require(account, "alert_rules", community_id)
    user = account.name if account is not None else user
    ensure(con)
    rule_id = rule_id.strip()
    condition = _word(condition, CONDITION_WORDS, CONDITIONS, "条件", "condition")
    level = _word(level, _LEVEL_OF, LEVELS, "级别", "level")
    if metric is not None and metric not in _metric_keys():
        raise UserError(f"指标“{metric}”不存在；可用的指标见 `linli alerts list --metrics` 或“指标说明”页。",
                        f"unknown metric '{metric}'; see `linli alerts list --metrics` or the glossary page.")
    base = {r.rule_id: r for r in effective(con, community_id)}.get(rule_id)
    if base is None:
        if metric is None or condition is None or threshold is None:
            raise UserError(f"新规则“{rule_id}”需要同时给出 --metric、--when 和 --threshold。",
                            f"a new rule '{rule_id}' needs --metric, --when and --threshold.")
        base = AlertRule(rule_id, metric, condition, float(threshold))
    if _DEFAULTS.get(rule_id) and metric not in (None, _DEFAULTS[rule_id].metric):
        raise UserError(f"“{rule_id}”是内置规则，只能改阈值、级别或开关；换指标请起一个新名字。",
                        f"'{rule_id}' is a built-in rule: change its threshold, level or switch; "
                        "for another metric give the rule a new name.")
    rule = replace(base, metric=metric or base.metric, condition=condition or base.condition,
                   threshold=float(base.threshold if threshold is None else threshold),
                   level=level or base.level, enabled=base.enabled if enabled is None else bool(enabled),
                   is_default=False)
    values = [community_id, rule.rule_id, rule.metric, rule.condition, rule.threshold, rule.level, rule.enabled]
    now = dt.datetime.now().replace(microsecond=0)
    con.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [*values, now, user])
    con.execute(f"INSERT INTO {HISTORY} VALUES (?, ?, ?, ?, ?, ?, ?, false, ?, ?)", [*values, now, user])
    audit.record(con, "alert_rule.set", user=user, community_id=community_id,
                 old=None if base.is_default and rule_id in _DEFAULTS else _plain(base), new=_plain(rule))
    return rule


def reset_rule(con: duckdb.DuckDBPyConnection, community_id: str, rule_id: str, *, account: Account | None,
               user: str | None = None) -> bool:
    """Back to the shipped default (a rule of the community's own is removed). False when nothing was stored.
    `account` as for set_rule."""
    access.require(account, "alert_rules", community_id)
    user = account.name if account is not None else user
    ensure(con)
    old = next((r for r in _stored(con, community_id) if r.rule_id == rule_id), None)
    if old is None:
        return False
    now = dt.datetime.now().replace(microsecond=0)
    con.execute(f"DELETE FROM {TABLE} WHERE community_id = ? AND rule_id = ?", [community_id, rule_id])
    con.execute(f"INSERT INTO {HISTORY} VALUES (?, ?, ?, ?, ?, ?, ?, true, ?, ?)",
                [community_id, old.rule_id, old.metric, old.condition, old.threshold, old.level, old.enabled, now, user])
    audit.record(con, "alert_rule.reset", user=user, community_id=community_id, old=_plain(old))
    return True


def history(con: duckdb.DuckDBPyConnection, community_id: str) -> list[dict]:
    if not _exists(con):   # a reader (read-only) cannot create the tables; no table, no changes yet
        return []
    cur = con.execute(f"SELECT * FROM {HISTORY} WHERE community_id = ? ORDER BY changed_at, rowid", [community_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _plain(rule: AlertRule) -> dict:
    d = asdict(rule)
    d.pop("is_default")
    return d


def _show(value: float) -> str:
    return f"{value:g}"


def describe(rule: AlertRule, lang: str = "zh") -> str:
    """One line a person can check against the threshold they meant: 'parcels.overdue ≥ 20'."""
    sign = {"above": "≥", "below": "<", "rise": "+≥" if lang == "en" else "比上期增加 ≥",
            "fall": "−≥" if lang == "en" else "比上期减少 ≥"}[rule.condition]
    return f"{rule.metric} {sign} {_show(rule.threshold)}"
