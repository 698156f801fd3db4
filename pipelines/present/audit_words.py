"""The audit trail in words (SPEC §9): each entry as one sentence in the UI language, built from the
action name and the JSON detail its writer stored ("王干部 把整改事项 3 改为已完成（原为待办）").

Every action name a writer records has a sentence here (tests/pipelines/test_audit_words.py collects
the names from the source); an entry this version does not know still reads as who did what kind of
thing, never as JSON.
"""
from __future__ import annotations

import datetime as dt
import json

from pipelines.metrics import REGISTRY
from pipelines.present import format as fmt
from pipelines.present.i18n import label, metric_name, t
from pipelines.records.alert_rules import DEFAULTS
from pipelines.records.audit import who

# action -> the kind a reader filters by
KINDS = {
    "import": "imports", "undo": "imports", "rules": "rules", "profile.save": "profiles",
    "action.add": "actions", "action.status": "actions", "action.edit": "actions",
    "case.add": "cases", "case.step": "cases", "case.party": "cases", "case.meeting": "cases",
    "case.agree": "cases", "case.metric": "cases", "case.note": "cases",
    "alert_rule.set": "alert_rules", "alert_rule.reset": "alert_rules",
    "user.add": "accounts", "user.passwd": "accounts", "user.remove": "accounts",
    "login.ok": "logins", "login.failed": "failed_logins",
    "community_event.add": "rules", "community_event.remove": "rules", "coop_split": "rules",
    # the report to the street office and the scheduled briefs (issue 19)
    "report.save": "reports", "report.sent": "reports", "deliver.ok": "reports", "deliver.failed": "reports",
}
KIND_ORDER = ("imports", "actions", "cases", "reports", "alert_rules", "rules", "profiles", "accounts", "logins",
              "failed_logins", "other")
_SHIPPED = {r.rule_id: r for r in DEFAULTS}


def kind_of(action: str) -> str:
    return KINDS.get(action, "other")


def actor(user_name: str | None, lang: str) -> str:
    return who(user_name, t("auth.audit.nobody", lang), lang)


def sentence(user_name: str | None, action: str, community_id: str | None, detail, lang: str = "zh") -> str:
    """The entry as a reader says it, its actor first."""
    d = {**_detail(detail), "_community": community_id}
    by = actor(user_name, lang)
    try:
        said = _SAY[action](d, lang) if action in _SAY else None
    except (KeyError, TypeError, ValueError):    # a detail of another shape (an older version's row)
        said = None
    if said is None:
        said = t("audit.say.other", lang, action=label("auth.action", action, lang))
    if lang == "zh":   # 王干部 把… / 命令行（root）导入了…: a space only where the name would run into the verb
        return by + ("" if by.endswith("）") else " ") + said
    return f"{by} {said}"


def _detail(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    if not isinstance(detail, str) or not detail:
        return {}
    try:
        found = json.loads(detail)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _metric(metric, lang: str) -> str:
    return metric_name(metric, lang) if metric in REGISTRY else str(metric)


def _day(text, lang: str) -> str:
    try:
        return fmt.date(dt.date.fromisoformat(str(text)[:10]), lang)
    except ValueError:
        return str(text)


def _list(items, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(str(i) for i in items)


def _import(d: dict, lang: str) -> str:
    counts = [t("audit.rows.new", lang, n=d.get("rows_new", 0))]
    if d.get("rows_replaced"):
        counts.append(t("audit.rows.replaced", lang, n=d["rows_replaced"]))
    if d.get("rows_quarantined"):
        counts.append(t("audit.rows.quarantined", lang, n=d["rows_quarantined"]))
    text = t("audit.say.import", lang, kind=label("kind", d.get("kind", ""), lang), file=d.get("file", ""),
             import_id=d["import_id"], counts=("，" if lang == "zh" else ", ").join(counts))
    return text + _communities(d, lang)


def _communities(d: dict, lang: str) -> str:
    touched = d.get("communities") or []
    return t("audit.communities", lang, communities=_list(touched, lang)) if len(touched) > 1 else ""


def _undo(d: dict, lang: str) -> str:
    return t("audit.say.undo", lang, import_id=d["import_id"], file=d.get("file", ""),
             kind=label("kind", d.get("kind", ""), lang)) + _communities(d, lang)


def _rules(d: dict, lang: str) -> str:
    parts = []
    if d.get("window_start") or d.get("window_end"):
        parts.append(t("audit.rules.window", lang, start=str(d.get("window_start") or "")[:5],
                       end=str(d.get("window_end") or "")[:5]))
    if d.get("overdue_hours") is not None:
        parts.append(t("audit.rules.overdue", lang, hours=f"{float(d['overdue_hours']):g}"))
    if d.get("effective_from"):
        parts.append(t("audit.rules.from", lang, day=_day(d["effective_from"], lang)))
    return t("audit.say.rules", lang, changes=("，" if lang == "zh" else ", ").join(parts)
             or t("audit.nothing", lang))


_SOURCES = ("hand", "alert", "case")


def _action_add(d: dict, lang: str) -> str:
    about = []
    if d.get("metric"):
        about.append(t("audit.about_metric", lang, metric=_metric(d["metric"], lang)))
    if d.get("source") in _SOURCES:
        about.append(t(f"audit.source.{d['source']}", lang))
    shown = ("，" if lang == "zh" else ", ").join(about)
    return t("audit.say.action.add", lang, action_id=d["action_id"]) + (
        (f"（{shown}）" if lang == "zh" else f" ({shown})") if shown else "")


def _field_value(field: str, value, lang: str) -> str:
    if value is None or value == "":
        return t("audit.empty", lang)
    if field == "status":
        return label("actions.status", value, lang)
    if field == "metric":
        return _metric(value, lang)
    if field == "due_on":
        return _day(value, lang)
    return f"“{value}”" if lang == "zh" else f"'{value}'"


def _action_status(d: dict, lang: str) -> str:
    change = d["status"]
    return t("audit.say.action.status", lang, action_id=d["action_id"],
             new=label("actions.status", change["new"], lang), old=label("actions.status", change["old"], lang))


def _action_edit(d: dict, lang: str) -> str:
    changes = []
    for field in ("title", "status", "owner", "due_on", "metric", "subject"):
        if isinstance(d.get(field), dict):
            changes.append(t("audit.change", lang, field=t(f"audit.field.{field}", lang),
                             old=_field_value(field, d[field].get("old"), lang),
                             new=_field_value(field, d[field].get("new"), lang)))
    return t("audit.say.action.edit", lang, action_id=d["action_id"],
             changes=("；" if lang == "zh" else "; ").join(changes) or t("audit.nothing", lang))


def _case(key: str):
    return lambda d, lang: t(key, lang, case_id=d["case_id"])


def _case_step(d: dict, lang: str) -> str:
    return t("audit.say.case.step", lang, case_id=d["case_id"], new=label("cases.step", d["new"], lang),
             old=label("cases.step", d["old"], lang))


def _rule_words(rule: dict, lang: str) -> str:
    metric = rule["metric"]
    return t("audit.rule", lang, metric=_metric(metric, lang), when=t(f"rules.when.{rule['condition']}", lang),
             threshold=fmt.value(metric, float(rule["threshold"]), lang))


def _alert_rule_set(d: dict, lang: str) -> str:
    new = d["new"]
    old = d.get("old")
    if old is None and new.get("rule_id") in _SHIPPED:    # the shipped rule, changed for the first time
        shipped = _SHIPPED[new["rule_id"]]
        old = {"metric": shipped.metric, "condition": shipped.condition, "threshold": shipped.threshold,
               "level": shipped.level, "enabled": shipped.enabled}
    saved = t("audit.say.alert_rule.new", lang, rule=_rule_words(new, lang),
              level=label("alert_rules.level", new.get("level", "warning"), lang),
              enabled=t("audit.on" if new.get("enabled", True) else "audit.off", lang))
    if old is None:
        return saved
    changes = []
    if float(old["threshold"]) != float(new["threshold"]):
        changes.append(t("audit.change", lang, field=t("audit.field.threshold", lang),
                         old=fmt.value(new["metric"], float(old["threshold"]), lang),
                         new=fmt.value(new["metric"], float(new["threshold"]), lang)))
    if old.get("level") != new.get("level"):
        changes.append(t("audit.change", lang, field=t("audit.field.level", lang),
                         old=label("alert_rules.level", old.get("level"), lang),
                         new=label("alert_rules.level", new.get("level"), lang)))
    if bool(old.get("enabled", True)) != bool(new.get("enabled", True)):
        changes.append(t("audit.on" if new.get("enabled", True) else "audit.off", lang))
    if not changes:   # a rule of the community's own, saved for the first time (its writer passes it as `old`)
        return saved
    return t("audit.say.alert_rule.set", lang, rule=_rule_words(old, lang),
             changes=("，" if lang == "zh" else ", ").join(changes))


def _alert_rule_reset(d: dict, lang: str) -> str:
    return t("audit.say.alert_rule.reset", lang, rule=_rule_words(d["old"], lang))


def _user_add(d: dict, lang: str) -> str:
    where = d.get("street") or d.get("_community")
    role = label("users.role", d.get("role", ""), lang)
    return t("audit.say.user.add", lang, name=d["name"],
             role=(f"{role}，{where}" if lang == "zh" else f"{role}, {where}") if where else role)


def _login_failed(d: dict, lang: str) -> str:
    reason = d.get("reason")
    return t(f"audit.say.login.failed.{reason}" if reason in ("password", "locked") else "audit.say.login.failed",
             lang)


_SAY = {
    "import": _import,
    "undo": _undo,
    "rules": _rules,
    "profile.save": lambda d, lang: t("audit.say.profile.save", lang, profile=d["profile"],
                                      kind=label("kind", d.get("kind", ""), lang)),
    "action.add": _action_add,
    "action.status": _action_status,
    "action.edit": _action_edit,
    "case.add": _case("audit.say.case.add"),
    "case.step": _case_step,
    "case.party": _case("audit.say.case.party"),
    "case.meeting": lambda d, lang: t("audit.say.case.meeting", lang, case_id=d["case_id"], n=d["meeting_no"]),
    "case.agree": lambda d, lang: t("audit.say.case.agree", lang, case_id=d["case_id"],
                                    day=_day(d["agreed_on"], lang)),
    "case.metric": lambda d, lang: t("audit.say.case.metric", lang, case_id=d["case_id"],
                                     metric=_metric(d["metric"], lang)),
    "case.note": _case("audit.say.case.note"),
    "alert_rule.set": _alert_rule_set,
    "alert_rule.reset": _alert_rule_reset,
    "user.add": _user_add,
    "user.passwd": lambda d, lang: t("audit.say.user.passwd", lang, name=d["name"]),
    "user.remove": lambda d, lang: t("audit.say.user.remove", lang, name=d["name"]),
    "login.ok": lambda d, lang: t("audit.say.login.ok", lang),
    "login.failed": _login_failed,
    # a community's own events for the forecasts (pipelines/records/events.py)
    "community_event.add": lambda d, lang: t("audit.say.community_event.add", lang, name=d["name"],
                                             start=_day(d["starts_on"], lang), end=_day(d["ends_on"], lang)),
    "community_event.remove": lambda d, lang: t("audit.say.community_event.remove", lang, name=d["name"],
                                                start=_day(d["starts_on"], lang), end=_day(d["ends_on"], lang)),
    # the cooperative's split of its profit (pipelines/records/coop_split.py)
    "coop_split": lambda d, lang: t("audit.say.coop_split", lang, members=f"{float(d['members_pct']):g}",
                                    coop=f"{float(d['coop_pct']):g}", fund=f"{float(d['fund_pct']):g}",
                                    day=_day(d["effective_from"], lang)),
    "report.save": lambda d, lang: t("audit.say.report.save", lang, period=_period(d, lang)),
    "report.sent": lambda d, lang: t("audit.say.report.sent", lang, period=_period(d, lang)),
    "deliver.ok": lambda d, lang: t("audit.say.deliver.ok", lang, week=_day(d["period_start"], lang),
                                    channel=t(f"report.channel.{d['channel']}", lang)),
    "deliver.failed": lambda d, lang: t("audit.say.deliver.failed", lang, week=_day(d["period_start"], lang),
                                        channel=t(f"report.channel.{d['channel']}", lang), n=d["attempts"]),
}
WORDED = frozenset(_SAY)


def _period(d: dict, lang: str) -> str:
    """A report's period in words (2025年第23周 · 6月2日–6月8日, 2025年6月)."""
    return fmt.period(d["grain"], dt.date.fromisoformat(str(d["period_start"])[:10]), lang)
