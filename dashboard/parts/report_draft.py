"""报告街道 on 每周检查 and 每月检查 (issue 19 item 5): the report to the street office, drafted from the period's
numbers (pipelines/reports/draft.py) or as the community saved it, editable, saved as a draft or marked sent
(pipelines/records/reports.py through queries.save_report, which asks the access policy again). A viewer who
may not write it (a member, an official) reads it and is told so; the pages call `render(v)` in one line."""
from __future__ import annotations

import streamlit as st

from dashboard import auth
from dashboard import queries as q
from dashboard.sidebar import View
from pipelines.database import DatabaseBusy
from pipelines.errors import UserError
from pipelines.present import format as fmt
from pipelines.reports.content import Source, gather


def _key(v: View) -> str:
    return f"report_text_{v.community}_{v.grain}_{v.period.isoformat()}"


def _state(v: View, saved) -> str:
    if saved is None:
        return v.tr("report.state.none")
    who = saved.updated_by or "—"
    return v.tr(f"report.state.{saved.status}", who=who, at=fmt.datetime(saved.updated_at, v.lang))


def _save(v: View, text: str, status: str) -> None:
    try:
        q.save_report(v.snap, v.scope, v.community, v.grain, v.period, text, status)
    except (UserError, DatabaseBusy) as exc:
        st.error(fmt.plain(exc.message(v.lang)))
        return
    st.session_state["report_note"] = v.tr("report.sent_done" if status == "sent" else "report.saved")
    st.rerun()


def _deliveries(v: View) -> None:
    """How the scheduled delivery of this week's brief went (linli deliver / the scheduler in linli serve): a
    failure stays on the page until a later run delivers it."""
    for d in q.deliveries_of(v.snap, v.scope, v.community):
        if d["period_start"] != v.period:
            continue
        channel = v.tr(f"report.channel.{d['channel']}")
        week = fmt.date(d["period_start"], v.lang)
        if d["status"] == "ok":
            st.caption(v.tr("report.delivery.ok", week=week, channel=channel, at=fmt.datetime(d["delivered_at"], v.lang)))
        else:
            st.warning(fmt.plain(v.tr("report.delivery.failed", week=week, channel=channel, n=d["attempts"],
                                      error=d["last_error"] or "—")))


def render(v: View) -> None:
    st.subheader(v.tr("report.h"))
    st.caption(v.tr("report.intro"))
    note = st.session_state.pop("report_note", None)
    if note:
        st.success(note)
    found = q.reports_of(v.snap, v.scope, (v.community,), v.grain, v.period)
    saved = None if found == q.BUSY else found.get(v.community)
    if found == q.BUSY:
        st.info(v.tr("report.busy"))
    st.caption(_state(v, saved))
    key = _key(v)
    if key not in st.session_state:
        if saved is not None:
            st.session_state[key] = saved.text
        else:   # the draft: the brief's report is the saved text, else drafted from the same numbers
            brief = gather(Source.for_viewer(q, v.snap, v.scope, q.db_path()), v.community, v.grain, v.period, "zh")
            st.session_state[key] = brief.report or ""
    if v.grain == "week":
        _deliveries(v)
    allowed = auth.can("reports")
    text = st.text_area(v.tr("report.text"), key=key, height=420, disabled=not allowed)
    if not allowed:
        st.caption(v.tr("report.readonly"))
        return
    left, right, _ = st.columns([1, 1, 2])
    with left:
        if st.button(v.tr("report.save"), key=f"{key}_save"):
            _save(v, text, "draft")
    with right:
        if st.button(v.tr("report.send"), key=f"{key}_send", type="primary"):
            _save(v, text, "sent")


def street_list(v: View, members: list[str], names: dict[str, str], period) -> None:
    """On 街道对比: which communities sent their report for the period, and each report to read."""
    st.subheader(v.tr("street.h.reports", period=fmt.period(v.grain, period, v.lang)))
    found = q.reports_of(v.snap, v.scope, tuple(members), v.grain, period)
    if found == q.BUSY:
        st.info(v.tr("report.busy"))
        return
    for c in members:
        r = found.get(c)
        state = v.tr("street.reports.none" if r is None else f"street.reports.{r.status}")
        name = fmt.plain(names.get(c, c))
        if r is None or r.status != "sent":   # a draft is the community's own until it sends it
            st.caption(v.tr("street.reports.line", name=name, state=state))
            continue
        with st.expander(v.tr("street.reports.read", name=name, state=state, at=fmt.datetime(r.updated_at, v.lang))):
            st.text(r.text)
