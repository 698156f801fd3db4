"""One consultation case on the page (SPEC §8): its steps, solution, parties, meetings, timeline and
effect, and the forms that move it on. The effect is pipelines/records/effect.py on the weekly kpi of the
published snapshot; the method is stated in 指标说明."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.parts import ui
from dashboard.parts.actions_panel import may_write, save
from dashboard.sidebar import View
from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.present.effect_text import effect_of, effect_text, weeks_around
from pipelines.present.i18n import METRIC_KIND, METRICS, label, metric_name, t
from pipelines.records.cases import STEPS


def steps_line(v: View, step: str) -> str:
    """收集议题 ✓ → 邀请各方 ✓ → **协商会议** → 形成方案 → 监督落实 → 已结案"""
    at = STEPS.index(step)
    words = [label("cases.step", s, v.lang) for s in STEPS]
    parts = [f"{w} ✓" if i < at else f"**{w}**" if i == at else w for i, w in enumerate(words)]
    return " → ".join(parts)


def weekly_effect(v: View, community: str, metric: str, agreed_on: dt.date):
    start, end = weeks_around(agreed_on)
    return effect_of(q.kpi_series(v.snap, v.scope, community, "week", start, end), metric, agreed_on, v.data_end)


def monday_ticks(weeks: list[dt.date], most: int = 9) -> list[alt.DateTime]:
    """Ticks on Mondays only (every k-th, so that at most `most` fit), as local dates: a tick at a
    timestamp would land on Monday 08:00 in Beijing and drift off the week's point."""
    k = max(1, -(-len(weeks) // most))
    return [alt.DateTime(year=w.year, month=w.month, date=w.day) for w in weeks[::k]]


def effect_chart(v: View, e) -> alt.Chart:
    """Each week as a point: before, the 8 weeks after, and the weeks since in three colours; each window's
    mean (before, after, the latest weeks) as a line across it; the agreement day dashed."""
    side = {"before": v.tr("gov.effect.before"), "after": v.tr("gov.effect.after"), "later": v.tr("gov.effect.later")}
    latest = {w for w, _ in e.latest}
    rows = [{"week": w, "value": x, "side": side["before"], "mean": e.before_mean, "window": "before"} for w, x in e.before]
    rows += [{"week": w, "value": x, "side": side["after"], "mean": e.after_mean, "window": "after"} for w, x in e.after]
    rows += [{"week": w, "value": x, "side": side["later"], "mean": None, "window": "later"} for w, x in e.later]
    # the latest window's mean is drawn over its own weeks, which may reach back into the after weeks
    rows += [{"week": w, "value": None, "side": side["later"], "mean": e.latest_mean, "window": "latest"}
             for w, _ in sorted(e.after + list(e.later)) if w in latest]
    df = pd.DataFrame(rows)
    weeks = sorted({r["week"] for r in rows})
    df["week"] = pd.to_datetime(df["week"])
    present = [k for k in side if any(r["window"] == k for r in rows)]
    colours = {"before": charts.PALETTE[5], "after": charts.PALETTE[0], "later": charts.PALETTE[3]}
    colour = alt.Color("side:N", title=None, scale=alt.Scale(domain=[side[k] for k in present],
                                                            range=[colours[k] for k in present]))
    fmt_day = "%-m月%-d日" if v.lang == "zh" else "%-d %b"
    x = alt.X("week:T", title=v.tr("gov.effect.week"),
              axis=alt.Axis(format=fmt_day, values=monday_ticks(weeks), labelAngle=0, labelOverlap="greedy"))
    name = metric_name(e.metric, v.lang)
    y_format = ".0%" if METRIC_KIND[e.metric][0] == "rate" else ",.1~f"
    points = alt.Chart(df.dropna(subset=["value"])).mark_circle(size=60).encode(
        x=x, y=alt.Y("value:Q", title=name, axis=alt.Axis(format=y_format)), color=colour,
        tooltip=[alt.Tooltip("week:T", title=v.tr("gov.effect.week"), format=fmt.chart_date(v.lang)),
                 alt.Tooltip("value:Q", title=name, format=y_format)])
    means = alt.Chart(df.dropna(subset=["mean"])).mark_line(strokeWidth=2).encode(
        x=x, y="mean:Q", color=colour, detail="window:N")
    agreed = alt.Chart(pd.DataFrame({"day": [pd.Timestamp(e.agreed_on)]})).mark_rule(strokeDash=[4, 3]).encode(x="day:T")
    return (points + means + agreed).properties(height=250).configure(font=charts.FONT).configure_legend(orient="top")


def _effect_chart_in(lang: str, e) -> alt.Chart:
    """effect_chart by the language alone, so that ui.once keys it by (lang, e)."""
    return effect_chart(SimpleNamespace(lang=lang, tr=lambda key, **values: t(key, lang, **values)), e)


def show_effects(v: View, case) -> None:
    st.markdown(f"**{v.tr('gov.h.effect')}**")
    if not case.metrics:
        st.caption(v.tr("gov.effect.no_metric"))
        return
    if case.agreed_on is None:
        st.caption(v.tr("gov.effect.not_agreed"))
        return
    explained = False
    for metric in case.metrics:
        e = weekly_effect(v, case.community_id, metric, case.agreed_on)
        st.markdown(f"{metric_name(metric, v.lang)}：{effect_text(v, e)}")
        if e.threshold is not None and not explained:     # the words the sentences lean on, once, where first read
            st.caption(v.tr("gov.effect.ordinary"))
            explained = True
        if e.before or e.after:
            ui.chart(v, ui.once(_effect_chart_in)(v.lang, e), True)


def event_text(v: View, ev: dict) -> str:
    text = ev["text"]
    if ev["kind"] == "step":
        text = label("cases.step", text, v.lang)
    elif ev["kind"] == "meeting":
        text = v.tr("gov.meeting_no", n=text)
    elif ev["kind"] == "metric" and text in METRICS:
        text = metric_name(text, v.lang)
    kind = label("cases.event", ev["kind"], v.lang)
    return f"{kind}：{text}"


def show_case(v: View, case) -> None:
    st.markdown(steps_line(v, case.step))
    if case.solution:
        st.markdown(v.tr("gov.solution", solution=fmt.plain(case.solution), date=fmt.date(case.agreed_on, v.lang)))
    left, right = st.columns([2, 3])   # the timeline's dates and events need the wider side
    with left:
        st.markdown(f"**{v.tr('gov.h.parties')}**")
        if case.parties:
            st.table(pd.DataFrame({v.tr("gov.col.party"): [fmt.plain(p["name"]) for p in case.parties],
                                   v.tr("gov.col.role"): [fmt.plain(p["role"] or "—") for p in case.parties]}),
                     hide_index=True)
        else:
            st.caption(v.tr("gov.none_parties"))
    with right:
        st.markdown(f"**{v.tr('gov.h.timeline')}**")
        st.table(pd.DataFrame({v.tr("gov.col.date"): [fmt.date(e["event_on"], v.lang) for e in case.timeline],
                               v.tr("gov.col.event"): [fmt.plain(event_text(v, e)) for e in case.timeline]}),
                 hide_index=True)
    st.markdown(f"**{v.tr('gov.h.meetings')}**")
    if not case.meetings:
        st.caption(v.tr("gov.none_meetings"))
    for m in case.meetings:
        who = f" · {fmt.plain(m['attendees'])}" if m["attendees"] else ""
        st.markdown(f"{v.tr('gov.meeting_no', n=m['meeting_no'])} · {fmt.date(m['held_on'], v.lang)}{who}  \n"
                    f"{fmt.plain(m['minutes'])}")
    show_effects(v, case)
    if may_write("cases")[0]:
        edit_case(v, case)


def edit_case(v: View, case) -> None:
    k = f"case{case.case_id}"
    with st.expander(v.tr("gov.h.edit_case"), icon=":material/edit_note:"):
        steps, party, meeting, solution, more = st.tabs([v.tr(f"gov.tab.{t}") for t in
                                                         ("step", "party", "meeting", "agree", "more")])
        with steps, st.form(f"{k}_step"):
            step = st.selectbox(v.tr("gov.col.step"), STEPS, index=STEPS.index(case.step), key=f"{k}_step_pick",
                                format_func=lambda s: label("cases.step", s, v.lang))
            on = st.date_input(v.tr("gov.col.date"), value=dt.date.today(), key=f"{k}_step_on", format="YYYY/MM/DD", help=v.tr("date.help"))
            note = st.text_input(v.tr("gov.note"), key=f"{k}_step_note")
            if st.form_submit_button(v.tr("gov.save")):
                save(v, "case.step", case.case_id, step, on=on, note=note or None)
        with party, st.form(f"{k}_party", clear_on_submit=True):
            name = st.text_input(v.tr("gov.col.party"), key=f"{k}_party_name", placeholder=v.tr("gov.party_hint"))
            role = st.text_input(v.tr("gov.col.role"), key=f"{k}_party_role")
            if st.form_submit_button(v.tr("gov.add")):
                save(v, "case.party", case.case_id, name, role or None)
        with meeting, st.form(f"{k}_meeting", clear_on_submit=True):
            held = st.date_input(v.tr("gov.col.date"), value=dt.date.today(), key=f"{k}_meeting_on", format="YYYY/MM/DD", help=v.tr("date.help"))
            who = st.text_input(v.tr("gov.attendees"), key=f"{k}_meeting_who")
            minutes = st.text_area(v.tr("gov.minutes"), key=f"{k}_meeting_minutes")
            if st.form_submit_button(v.tr("gov.add")):
                save(v, "case.meeting", case.case_id, held, minutes, who or None)
        with solution, st.form(f"{k}_agree"):
            text = st.text_area(v.tr("gov.col.solution"), value=case.solution or "", key=f"{k}_agree_text")
            day = st.date_input(v.tr("gov.agreed_on"), value=case.agreed_on or dt.date.today(), key=f"{k}_agree_on",
                                format="YYYY/MM/DD", help=v.tr("date.help"))
            if st.form_submit_button(v.tr("gov.save")):
                save(v, "case.agree", case.case_id, text, day)
        with more:
            with st.form(f"{k}_metric"):
                metric = st.selectbox(v.tr("gov.col.metric"), [m for m in METRICS if m not in case.metrics],
                                      key=f"{k}_metric_pick", format_func=lambda m: metric_name(m, v.lang))
                if st.form_submit_button(v.tr("gov.link")):
                    save(v, "case.metric", case.case_id, metric)
            with st.form(f"{k}_note", clear_on_submit=True):
                text = st.text_input(v.tr("gov.note"), key=f"{k}_note_text")
                on = st.date_input(v.tr("gov.col.date"), value=dt.date.today(), key=f"{k}_note_on", format="YYYY/MM/DD", help=v.tr("date.help"))
                if st.form_submit_button(v.tr("gov.add")):
                    save(v, "case.note", case.case_id, text, on=on)


def new_case_form(v: View) -> None:
    with st.expander(v.tr("gov.h.new_case"), icon=":material/add:"), st.form("new_case", clear_on_submit=True):
        title = st.text_input(v.tr("gov.col.case"), key="new_case_title", placeholder=v.tr("gov.case_hint"))
        on = st.date_input(v.tr("gov.collected_on"), value=dt.date.today(), key="new_case_on", format="YYYY/MM/DD", help=v.tr("date.help"))
        if st.form_submit_button(v.tr("gov.add")):
            save(v, "case.add", title, on=on)
