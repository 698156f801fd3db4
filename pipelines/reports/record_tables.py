"""The brief's governance sections: open action items and open consultation cases (SPEC §8).

They are read from the store itself (`pipelines.database.reading`), not the build snapshot, so a
brief made right after the meeting holds what was just agreed; only the brief's own community is read,
which gather() has already checked against the viewer's scope.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd

from pipelines.database import reading
from pipelines.present.effect_text import effect_of, effect_text, weeks_around
from pipelines.present.i18n import METRIC_KIND, label, metric_name, t
from pipelines.records import actions, cases
from pipelines.reports.brief import Table

ACTION_COLUMNS = ["action_id", "title", "metric", "subject", "owner", "due_on", "status"]
CASE_COLUMNS = ["case_id", "title", "step", "agreed_on", "solution"]


def actions_table(src, community: str, lang: str, today: dt.date | None = None) -> Table:
    """Items not done, soonest due first (the order actions.actions gives); overdue ones say so."""
    today = today or dt.date.today()
    with reading(src.db) as con:
        items = [] if con is None else [a for a in actions.actions(con, [community]) if a.status != "done"]
    rows = [{
        "action_id": a.action_id,
        "title": a.title,
        "metric": metric_name(a.metric, lang) if a.metric in METRIC_KIND else a.metric,
        "subject": a.subject,
        "owner": a.owner,
        "due_on": a.due_on,
        "status": label("actions.status", a.status, lang) + (t("gov.overdue_mark", lang) if a.overdue(today) else ""),
    } for a in items]
    frame = pd.DataFrame(rows, columns=ACTION_COLUMNS)
    frame["action_id"] = pd.array(frame["action_id"], dtype="Int64")
    return Table(t("brief.sheet.actions", lang), _headed(frame, "brief.action", lang))


def cases_table(src, community: str, lang: str) -> Table:
    """Cases not closed, as pipelines/records/cases.py orders them, with the step they are at and their metrics."""
    with reading(src.db) as con:
        found = [] if con is None else [c for c in cases.cases(con, [community]) if c.step != "closed"]
    rows = [{
        "case_id": c.case_id,
        "title": c.title,
        "step": label("cases.step", c.step, lang),
        "agreed_on": c.agreed_on,
        "solution": c.solution,
        "metrics": "、".join(metric_name(m, lang) if m in METRIC_KIND else m for m in c.metrics) or None,
        "effect": _effects(src, community, c, lang),
    } for c in found]
    frame = pd.DataFrame(rows, columns=[*CASE_COLUMNS, "metrics", "effect"])
    frame["case_id"] = pd.array(frame["case_id"], dtype="Int64")
    headers = {c: t(f"brief.case.{c}", lang) for c in CASE_COLUMNS} | {"metrics": t("brief.action.metric", lang),
                                                                      "effect": t("brief.case.effect", lang)}
    return Table(t("brief.sheet.cases", lang), frame.rename(columns=headers))


def _effects(src, community: str, case, lang: str, until: dt.date | None = None, sep: str = "\n") -> str | None:
    """Each linked metric before against after the agreement, worded as the 协商议题 page words it; `until`: as a
    period ending then saw it (its weeks and data up to that day, as a drafted report tells it)."""
    if case.agreed_on is None or not case.metrics:
        return None
    weekly = src("kpi_series", community, "week", *weeks_around(case.agreed_on))
    end = src("data_ends").get(community)
    if until is not None:
        weekly = weekly[[pd.Timestamp(p).date() < until for p in weekly["period_start"]]]
        cut = dt.datetime.combine(until, dt.time()) - dt.timedelta(seconds=1)
        end = cut if end is None else min(pd.Timestamp(end).to_pydatetime(), cut)
    words = SimpleNamespace(lang=lang, tr=lambda key, **values: t(key, lang, **values))
    return sep.join(f"{metric_name(m, lang)}：{effect_text(words, effect_of(weekly, m, case.agreed_on, end))}"
                    for m in case.metrics if m in METRIC_KIND) or None


def _headed(df: pd.DataFrame, prefix: str, lang: str) -> pd.DataFrame:
    return df.rename(columns={c: t(f"{prefix}.{c}", lang) for c in df.columns})
