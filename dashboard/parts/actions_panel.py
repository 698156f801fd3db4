"""The action-items panel the check pages show (SPEC §8): the community's items with the overdue ones
marked, a new item from an alert (its short title and subjects prefilled) or by hand, one tap to change
an item's status, and on 每周检查 last week's items with what their metric did since.

Records are read from the store at once (queries.governance) and written through
queries.save_governance, with their history and audit row. Who may edit is the access policy's
(pipelines/records/access.py); officials read.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard import queries as q
from dashboard.sidebar import View
from pipelines.database import DatabaseBusy
from pipelines.errors import UserError
from pipelines.present import format as fmt
from pipelines.present.i18n import METRICS, label, metric_name
from pipelines.records.actions import STATUSES

DONE_SHOWN_DAYS = 60     # done items stay in the main list this long, then only under 已完成


def may_write(action: str) -> tuple[bool, str | None]:
    """(may the viewer take `action` — "actions", "cases", "feedback" — the user's name); the open demo
    edits without a name. Only whether to draw a form: the write itself asks the policy again."""
    return auth.can(action), auth.user_name()


def records(v: View) -> tuple[list, list] | None:
    found = q.governance(v.snap, v.scope, v.community)
    if found is None:
        st.info(v.tr("gov.busy"))
    return found


def save(v: View, what: str, *args, done_key: str = "gov.saved", **values) -> bool:
    """One change; a refusal is shown where the user is, a success after the page reruns."""
    user = auth.user_name()
    try:
        q.save_governance(v.snap, v.scope, what, *args, community=v.community if what.endswith(".add") else None,
                          user=user, **values)
    except (UserError, DatabaseBusy) as exc:   # a refusal, or an import that kept the store past the wait
        st.error(fmt.plain(exc.message(v.lang)))
        return False
    st.session_state["gov_note"] = v.tr(done_key)
    st.rerun()
    return True


def show_saved_note() -> None:
    note = st.session_state.pop("gov_note", None)
    if note:
        st.success(note)


def status_text(v: View, a, today: dt.date | None = None) -> str:
    """The status in words, once: 待办 · 已逾期 3 天, 进行中 · 今天到期, 已完成."""
    today = today or dt.date.today()
    text = label("actions.status", a.status, v.lang)
    if a.overdue(today):
        days = (today - a.due_on).days
        return f"{text} · {v.tr('gov.overdue_one') if days == 1 else v.tr('gov.overdue_days', n=days)}"
    if a.status != "done" and a.due_on == today:
        return f"{text} · {v.tr('gov.due_today')}"
    return text


def _metric(m: str | None, lang: str) -> str:
    return metric_name(m, lang) if m in METRICS else "—"


def subject_names(v: View) -> dict[str, str]:
    """Point and building ids to their names, so 对象 reads 东门驿站 rather than A-P1."""
    points = q.point_peaks(v.snap, v.scope, v.community, v.grain, v.period)
    buildings = q.noise_buildings(v.snap, v.scope, v.community, v.grain, v.period)
    return {str(i): str(n) for frame in (points, buildings) for i, n in zip(frame.iloc[:, 0], frame["name"])}


def split_subjects(subject: str | None) -> list[str]:
    """An item's 对象 as stored: one id, or several joined by 、 (an alert may name three points)."""
    return [s.strip() for s in re.split(r"[、,，]", subject or "") if s.strip()]


def subject_text(subject: str | None, names: dict[str, str]) -> str:
    return "、".join(names.get(s, s) for s in split_subjects(subject)) or "—"


def action_table(v: View, items: list, names: dict[str, str] | None = None) -> pd.DataFrame:
    return pd.DataFrame({
        v.tr("gov.col.id"): [a.action_id for a in items],
        v.tr("gov.col.title"): [fmt.plain(a.title) for a in items],
        v.tr("gov.col.metric"): [_metric(a.metric, v.lang) for a in items],
        v.tr("gov.col.subject"): [fmt.plain(subject_text(a.subject, names or {})) for a in items],
        v.tr("gov.col.owner"): [fmt.plain(a.owner) if a.owner else "—" for a in items],
        v.tr("gov.col.due"): [fmt.date(a.due_on, v.lang) if a.due_on else "—" for a in items],
        v.tr("gov.col.status"): [status_text(v, a) for a in items],
    })


def _values(v: View, start: dt.date) -> dict:
    s = q.kpi_series(v.snap, v.scope, v.community, v.grain, start, start)
    return dict(s[["metric", "value"]].values)


def last_week(v: View, items: list) -> None:
    """The items recorded in the week before this one, and their metric then and now."""
    before = v.previous
    if before is None:
        return
    made = [a for a in items if before <= a.created_at.date() < v.period]
    st.markdown(f"**{v.tr('gov.h.last_week', period=v.label(before))}**")
    if not made:
        st.caption(v.tr("gov.none_last_week"))
        return
    then, now = _values(v, before), _values(v, v.period)
    rows = []
    for a in made:
        m = a.metric if a.metric in METRICS else None
        rows.append({v.tr("gov.col.title"): fmt.plain(a.title), v.tr("gov.col.status"): status_text(v, a),
                     v.tr("gov.col.metric"): _metric(m, v.lang),
                     v.tr("gov.col.then"): fmt.value(m, then.get(m), v.lang) if m else "—",
                     v.tr("gov.col.now"): fmt.value(m, now.get(m), v.lang) if m else "—",
                     v.tr("gov.col.change"): (fmt.delta(m, now.get(m), then.get(m), v.lang) or "—") if m else "—"})
    st.table(pd.DataFrame(rows), hide_index=True)


def _add_from_alert(v: View, alerts: list, names: dict[str, str]) -> None:
    """An item from one of the period's alerts: its short title and the points or buildings it names come
    prefilled, both editable; the pick sits outside the form so choosing another alert refills them."""
    st.markdown(f"**{v.tr('gov.h.from_alert')}**")
    pick = st.selectbox(v.tr("gov.alert"), range(len(alerts)), format_func=lambda i: alerts[i].text,
                        key="gov_alert_pick")
    a = alerts[pick]
    with st.form(f"gov_from_alert_{v.community}", clear_on_submit=True):
        title = st.text_input(v.tr("gov.col.title"), value=a.title or a.text, key=f"gov_alert_title_{pick}",
                              help=v.tr("gov.new_title_help"))
        known = list(dict.fromkeys([*a.subjects, *names]))
        subjects = st.multiselect(v.tr("gov.col.subject"), known, default=list(a.subjects),
                                  key=f"gov_alert_subjects_{pick}", help=v.tr("gov.subjects_help"),
                                  format_func=lambda s: names.get(s, s), accept_new_options=True)
        left, right = st.columns(2)
        owner = left.text_input(v.tr("gov.col.owner"), key="gov_alert_owner")
        due = right.date_input(v.tr("gov.col.due"), value=None, key="gov_alert_due", format="YYYY/MM/DD", help=v.tr("date.help"))
        if st.form_submit_button(v.tr("gov.add")):
            save(v, "action.add", title, metric=a.metric if a.metric in METRICS else None,
                 subject="、".join(subjects) or None, owner=owner or None, due_on=due, source="alert")


def _add_by_hand(v: View) -> None:
    with st.form(f"gov_by_hand_{v.community}", clear_on_submit=True):
        title = st.text_input(v.tr("gov.col.title"), key="gov_title", placeholder=v.tr("gov.title_hint"))
        metric = st.selectbox(v.tr("gov.col.metric"), [None, *METRICS], key="gov_metric",
                              format_func=lambda m: v.tr("gov.no_metric") if m is None else metric_name(m, v.lang))
        left, right = st.columns(2)
        subject = left.text_input(v.tr("gov.col.subject"), key="gov_subject", help=v.tr("gov.subject_help"))
        owner = right.text_input(v.tr("gov.col.owner"), key="gov_owner")
        due = st.date_input(v.tr("gov.col.due"), value=None, key="gov_due", format="YYYY/MM/DD", help=v.tr("date.help"))
        if st.form_submit_button(v.tr("gov.add")):
            save(v, "action.add", title, metric=metric, subject=subject or None, owner=owner or None, due_on=due)


def item(v: View, a, names: dict[str, str], allowed: bool, today: dt.date) -> None:
    """One item as a card: title, what and whom it is about, its status in words, and one tap for each
    other status (no form, no dropdown)."""
    with st.container(border=True, key=f"gov_item_{a.action_id}"):
        st.markdown(f"**#{a.action_id} {fmt.plain(a.title)}**")
        about = [f"{v.tr(k)} {fmt.plain(x)}" for k, x in (
            ("gov.col.subject", subject_text(a.subject, names) if a.subject else None),
            ("gov.col.metric", _metric(a.metric, v.lang) if a.metric in METRICS else None),
            ("gov.col.owner", a.owner), ("gov.col.due", fmt.date(a.due_on, v.lang) if a.due_on else None)) if x]
        if about:
            st.caption(" · ".join(about))
        words = status_text(v, a, today)
        st.markdown(f":red[**{words}**]" if a.overdue(today) else f"**{words}**")
        if not allowed:
            return
        with st.container(horizontal=True, gap="small"):   # done first: what a meeting mostly records
            for status in sorted((s for s in STATUSES if s != a.status), key=lambda s: s != "done"):
                if st.button(v.tr(f"gov.set.{status}"), key=f"gov_set_{a.action_id}_{status}",
                             type="primary" if status == "done" else "secondary"):
                    save(v, "action.update", a.action_id, status=status)


def actions_panel(v: View, alerts: list | None = None) -> None:
    """The check pages' 整改事项 section, as the meeting takes it: last week's items and what their metric
    did, every current item with one tap to move it on, then a new item from an alert or by hand."""
    st.subheader(v.tr("gov.h.actions"))
    show_saved_note()
    found = records(v)
    if found is None:
        return
    items = found[0]
    names = subject_names(v)
    today = dt.date.today()
    if v.grain == "week":
        last_week(v, items)
    recent = today - dt.timedelta(days=DONE_SHOWN_DAYS)
    current = [a for a in items if a.status != "done" or a.updated_at.date() >= recent]
    late = sum(a.overdue(today) for a in items)
    if late:
        st.warning(v.tr("gov.overdue_n", n=late))
    allowed, _ = may_write("actions")
    for a in current:
        item(v, a, names, allowed, today)
    if not current:
        st.caption(v.tr("gov.none"))
    older = [a for a in items if a not in current]
    if older:
        with st.expander(v.tr("gov.done_older", n=len(older))):
            st.table(action_table(v, older, names), hide_index=True)
    if not allowed:
        st.caption(v.tr("gov.read_only"))
        return
    if alerts:
        _add_from_alert(v, alerts, names)
    with st.expander(v.tr("gov.h.by_hand"), icon=":material/edit_note:"):
        _add_by_hand(v)
