"""街道对比: the street's communities side by side for the street's own period (not the sidebar
community's): who is behind with their data, who needs attention, and one ranking on a chosen measure
that the table, the bars and the forwarded street brief share (pipelines/reports/street.py)."""
import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.parts import brief_buttons, city_note, report_draft, ui
from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.reports import street as s


def _pick(key: str, param: str, options: list[str], default: str, label: str, fmt_func, help_text=None) -> str:
    """A picker whose choice lives in the URL (?s= ?sp= ?m=): the URL's value on the first run, kept after."""
    if key not in st.session_state or st.session_state[key] not in options:
        asked = st.query_params.get(param)
        st.session_state[key] = asked if asked in options else default
    chosen = st.selectbox(label, options, key=key, format_func=fmt_func, help=help_text, placeholder=v.tr("placeholder"))
    st.query_params[param] = chosen
    return chosen


v = ui.page_view()
if v is None:
    st.stop()
st.title(v.tr("page.street"))
city_note.source(v, "street")
st.write(v.tr("street.intro"))

comms = q.communities(v.snap, v.scope)
by_street = s.streets(comms, v.lang)
names = dict(zip(comms["community_id"], comms["name"].astype(str)))
street_names = list(by_street)
street = (street_names[0] if len(street_names) == 1 else
          _pick("street_name", "s", street_names, street_names[0], v.tr("street.street"), fmt.plain))
members = by_street[street]
src = q.source(v.snap, tuple(members))
done = s.Completeness.read(src, v.grain, members)
periods = [p for p in q.street_periods(v.snap, tuple(members), v.grain)]
if not periods:
    st.info(v.tr("no_period"))
    st.stop()
default = done.default_period(periods)
options = [p.isoformat() for p in reversed(periods)]
left, right = st.columns(2)
with left:
    chosen = _pick("street_period", "sp", options, default.isoformat(), v.tr("street.period"),
                   lambda p: s.period_choice_label(done, dt.date.fromisoformat(p), v.lang),
                   v.tr("street.period.help"))
    st.caption(v.tr("street.scope", street=fmt.plain(street), n=len(members)))
period = dt.date.fromisoformat(chosen)
with right:
    choice = _pick("street_metric", "m", s.MEASURES, s.MEASURES[0], v.tr("street.metric"),
                   lambda m: s.measure_name(m, v.lang))
    st.caption(s.measure_text(choice, v.lang))
view = q.street_view(v.snap, street, tuple(members), v.grain, period, choice, v.lang)
label = fmt.period(v.grain, period, v.lang)

# who is behind comes first: a community that stopped importing is itself news for the street office
if view.behind:
    st.warning(f"**{v.tr('street.h.behind')}**　" + v.tr("street.behind.note", period=label) + "\n\n" +
               "\n".join(f"- {fmt.plain(line)}" for line in view.behind_lines()), icon=":material/hourglass_top:")
else:
    st.caption(":material/check_circle: " + v.tr("street.behind.none", period=label))

rows = view.rows
st.subheader(v.tr("street.h.measure", measure=s.measure_name(choice, v.lang)))
st.caption(s.order_text(choice, v.lang) + (" " + v.tr("street.order.partial") if view.behind else ""))
bars = rows.dropna(subset=["value"])
bars = bars.assign(name=[n if ok else v.tr("street.bar_partial", name=n) for n, ok in zip(bars["name"], bars["complete"])])
ui.chart(v, ui.once(charts.bars)(bars, "name", "value", v.tr("col.community"), s.measure_name(choice, v.lang),
                                 sort=list(bars["name"]), horizontal=True), not bars.empty)

trend = view.trend.sort_values("period_start")
series = {c: [float(x) for x in g["value"].dropna()] for c, g in trend.groupby("community_id")}
shown = pd.DataFrame({
    v.tr("col.rank"): ["—" if fmt.is_missing(r) else str(int(r)) for r in rows["rank"]],
    v.tr("col.community"): rows["name"].astype(str),
    # what a phone shows before the table scrolls sideways: the value, its change and its trend
    v.tr("street.col.chosen", measure=s.measure_name(choice, v.lang)): [view.shown(c, choice, x) for c, x in zip(rows["community_id"], rows["value"])],
    v.tr("street.col.change"): [s.measure_change(choice, x, p, v.lang) for x, p in zip(rows["value"], rows["previous"])],
    v.tr("street.col.trend", n=s.TREND_PERIODS): [series.get(c, []) for c in rows["community_id"]],
    v.tr("street.col.data"): [view.state(c) for c in rows["community_id"]],
    v.tr("street.col.errors"): rows["errors"].astype(int), v.tr("street.col.warnings"): rows["warnings"].astype(int),
    **{s.measure_name(m, v.lang): [view.shown(c, m, x) for c, x in zip(rows["community_id"], rows[m])]
       for m in s.SHOWN if m != choice}})
st.dataframe(shown, hide_index=True, width="stretch", height=(len(shown) + 1) * ui.ROW_PX + 3,
             column_config={v.tr("col.rank"): st.column_config.TextColumn(pinned=True, width="small"),
                            v.tr("col.community"): st.column_config.TextColumn(pinned=True),
                            v.tr("street.col.trend", n=s.TREND_PERIODS): st.column_config.LineChartColumn(width="small")})

st.subheader(v.tr("street.h.attention"))
for r in rows.sort_values(["errors", "warnings"], ascending=False, kind="stable").itertuples(index=False):
    items = view.found.get(r.community_id, [])
    head = v.tr("street.attention", name=fmt.plain(r.name), errors=r.errors, warnings=r.warnings)
    if not r.complete:
        head += v.tr("street.partial_suffix")
    with st.expander(head, expanded=False):
        for a in items:
            (st.error if a.level == "error" else st.warning)(a.markdown)
        if not items:
            st.success(v.tr("alerts.none"))

report_draft.street_list(v, members, names, period)   # who sent the period's report, to read
brief_buttons.street(v, view)
