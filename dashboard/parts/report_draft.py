"""报告街道 on 每周检查 and 每月检查 (issue 19 item 5): the report to the street office, drafted from the period's
numbers (pipelines/reports/draft.py) or as the community saved it, editable, saved as a draft or marked sent
(pipelines/records/reports.py through queries.save_report, which asks the access policy again). A saved report
whose numbers were corrected since (a re-import) is redrafted by a button, into the editor only: it is saved, and
the earlier text kept in the report's history, when the director saves. A viewer who may not write it (a member, an
official) reads it and is told so, and is offered neither; the pages call `render(v)` in one line."""
from __future__ import annotations

import streamlit as st

from dashboard import auth
from dashboard import queries as q
from dashboard.sidebar import View
from pipelines.database import DatabaseBusy
from pipelines.errors import UserError
from pipelines.present import format as fmt
from pipelines.reports.draft_data import redraft


def _key(v: View) -> str:
    return f"report_text_{v.community}_{v.grain}_{v.period.isoformat()}"


def _state(v: View, saved) -> str:
    if saved is None:
        return v.tr("report.state.none")
    who = saved.updated_by or "—"
    return v.tr(f"report.state.{saved.status}", who=who, at=fmt.datetime(saved.updated_at, v.lang))


def _may_write(v: View) -> bool:
    """The policy's answer for this community's report (access "reports"): a member, an official, or a director
    looking at another community only reads it."""
    allowed = auth.writable("reports")
    return auth.can("reports") and (allowed is None or v.community in allowed)


def _brief(v: View):
    return q.brief(v.snap, v.scope, v.community, v.grain, v.period, "zh")   # in Chinese, the downloads' one too


def _redraft(v: View, saved) -> str | None:
    """The draft from the current numbers where it reads otherwise than the saved report (draft_data.redraft)."""
    try:
        return redraft(q.source(v.snap, v.scope), _brief(v), saved.text, saved.updated_at.date())
    except UserError:    # the period no longer has data (an import undone): nothing to draft from
        return None


def _put_redraft(key: str, text: str) -> None:
    # a button's callback runs before the page is drawn again, the one moment a widget's value may be set
    st.session_state[key] = text
    st.session_state["report_redrafted"] = True


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
            st.session_state[key] = _brief(v).report or ""
    if v.grain == "week":
        _deliveries(v)
    allowed = _may_write(v)
    if st.session_state.pop("report_redrafted", False):
        st.info(v.tr("report.redrafted"))
    text = st.text_area(v.tr("report.text"), key=key, height=420, disabled=not allowed)
    if not allowed:
        st.caption(v.tr("report.readonly"))
        return
    fresh = _redraft(v, saved) if saved is not None else None
    left, right, third, _ = st.columns([1, 1, 1.4, 0.6])
    with left:
        if st.button(v.tr("report.save"), key=f"{key}_save"):
            _save(v, text, "draft")
    with right:
        if st.button(v.tr("report.send"), key=f"{key}_send", type="primary"):
            _save(v, text, "sent")
    if fresh is not None and fresh != text:   # saved, and the numbers (or the saved text) read otherwise now;
        with third:         # nothing is lost until the director saves the new text, and a sent one stays in history
            st.button(v.tr("report.redraft"), key=f"{key}_redraft", help=v.tr("report.redraft_help"),
                      on_click=_put_redraft, args=(key, fresh))


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
