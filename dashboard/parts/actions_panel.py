"""The action-items panel the check pages show (SPEC §8): the community's items with the overdue ones
marked, a new item from an alert or by hand, a change of status, and on 每周检查 last week's items
with what their metric did since.

Records are read from the store at once (queries.governance) and written through
queries.save_governance, with their history and audit row. Who may edit is the access policy's
(pipelines/records/access.py); officials read.
"""
from __future__ import annotations

import datetime as dt

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
    text = label("actions.status", a.status, v.lang)
    return text + v.tr("gov.overdue_mark") if a.overdue(today) else text


def _metric(m: str | None, lang: str) -> str:
    return metric_name(m, lang) if m in METRICS else "—"


def action_table(v: View, items: list) -> pd.DataFrame:
    return pd.DataFrame({
        v.tr("gov.col.id"): [a.action_id for a in items],
        v.tr("gov.col.title"): [fmt.plain(a.title) for a in items],
        v.tr("gov.col.metric"): [_metric(a.metric, v.lang) for a in items],
        v.tr("gov.col.subject"): [fmt.plain(a.subject) if a.subject else "—" for a in items],
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


def _add_from_alert(v: View, alerts: list) -> None:
    with st.form(f"gov_from_alert_{v.community}", clear_on_submit=True):
        st.markdown(f"**{v.tr('gov.h.from_alert')}**")
        pick = st.selectbox(v.tr("gov.alert"), range(len(alerts)), format_func=lambda i: alerts[i].text,
                            key="gov_alert_pick")
        owner = st.text_input(v.tr("gov.col.owner"), key="gov_alert_owner")
        due = st.date_input(v.tr("gov.col.due"), value=None, key="gov_alert_due")
        if st.form_submit_button(v.tr("gov.add")):
            a = alerts[pick]
            save(v, "action.add", a.text, metric=a.metric if a.metric in METRICS else None,
                 subject=getattr(a, "subject", None), owner=owner or None, due_on=due, source="alert")


def _add_by_hand(v: View) -> None:
    with st.form(f"gov_by_hand_{v.community}", clear_on_submit=True):
        st.markdown(f"**{v.tr('gov.h.by_hand')}**")
        title = st.text_input(v.tr("gov.col.title"), key="gov_title", placeholder=v.tr("gov.title_hint"))
        metric = st.selectbox(v.tr("gov.col.metric"), [None, *METRICS], key="gov_metric",
                              format_func=lambda m: v.tr("gov.no_metric") if m is None else metric_name(m, v.lang))
        left, right = st.columns(2)
        subject = left.text_input(v.tr("gov.col.subject"), key="gov_subject", help=v.tr("gov.subject_help"))
        owner = right.text_input(v.tr("gov.col.owner"), key="gov_owner")
        due = st.date_input(v.tr("gov.col.due"), value=None, key="gov_due")
        if st.form_submit_button(v.tr("gov.add")):
            save(v, "action.add", title, metric=metric, subject=subject or None, owner=owner or None, due_on=due)


def _change_status(v: View, items: list) -> None:
    with st.form(f"gov_status_{v.community}"):
        st.markdown(f"**{v.tr('gov.h.status')}**")
        pick = st.selectbox(v.tr("gov.item"), [a.action_id for a in items], key="gov_status_pick",
                            format_func=lambda i: next(f"#{a.action_id} {a.title}（{status_text(v, a)}）"
                                                       for a in items if a.action_id == i))
        status = st.selectbox(v.tr("gov.col.status"), STATUSES, key="gov_status_new",
                              format_func=lambda s: label("actions.status", s, v.lang))
        if st.form_submit_button(v.tr("gov.save")):
            save(v, "action.update", pick, status=status)


def actions_panel(v: View, alerts: list | None = None) -> None:
    """The check pages' 整改事项 section: call it after the alerts and numbers of `render`."""
    st.subheader(v.tr("gov.h.actions"))
    show_saved_note()
    found = records(v)
    if found is None:
        return
    items = found[0]
    recent = dt.date.today() - dt.timedelta(days=DONE_SHOWN_DAYS)
    current = [a for a in items if a.status != "done" or a.updated_at.date() >= recent]
    late = sum(a.overdue() for a in items)
    if late:
        st.warning(v.tr("gov.overdue_n", n=late))
    if current:
        st.table(action_table(v, current), hide_index=True)
    else:
        st.caption(v.tr("gov.none"))
    older = [a for a in items if a not in current]
    if older:
        with st.expander(v.tr("gov.done_older", n=len(older))):
            st.table(action_table(v, older), hide_index=True)
    if v.grain == "week":
        last_week(v, items)
    allowed, _ = may_write("actions")
    if not allowed:
        st.caption(v.tr("gov.read_only"))
        return
    with st.expander(v.tr("gov.h.edit"), icon=":material/edit_note:"):
        if alerts:
            _add_from_alert(v, alerts)
        _add_by_hand(v)
        if [a for a in items if a.status != "done"] or items:
            _change_status(v, items)
