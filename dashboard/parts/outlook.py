"""未来两周 on 快递代收点 and 每周检查: each point's expected peak per day against its capacity with the band, the days
at risk, the alert before a breach, the noise complaints expected, and beside them how close the backtest was."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard import queries as q
from dashboard.parts import ui
from dashboard.sidebar import View
from pipelines.errors import UserError
from pipelines.present import format as fmt
from pipelines.present import outlook

WHAT = {"parcels.arrived": "arrived", "parcels.peak_occupancy_ratio": "peak", "complaints.noise": "noise"}


def alerts(v: View) -> list:
    """The breach alerts of the community's forecast (also for the weekly brief)."""
    return outlook.breach_alerts(q.point_outlook(v.snap, v.scope, v.community), v.lang,
                                 q.alert_rules(v.snap, v.scope, v.community))


def show(v: View) -> None:
    st.subheader(v.tr("outlook.h"))
    points = q.point_outlook(v.snap, v.scope, v.community)
    if points.empty:
        st.info(v.tr("outlook.none"))
        return
    first = pd.Timestamp(points["day"].min()).date()
    st.caption(v.tr("outlook.caption", date=fmt.date(first - dt.timedelta(days=1), v.lang)))
    found = outlook.breach_alerts(points, v.lang, q.alert_rules(v.snap, v.scope, v.community))
    for a in found:
        st.warning(a.markdown)
    risky = outlook.risk_days(points)
    if risky.empty:
        st.success(v.tr("outlook.no_risk"))
    else:
        st.markdown(fmt.plain(v.tr("outlook.risk_days", days="；".join(
            f"{name} {outlook.days_words([pd.Timestamp(d).date() for d in g['day']], v.lang)}"
            for name, g in risky.groupby("name", sort=True)))))
    ui.chart(v, ui.once(outlook.band_chart)(points, v.tr("outlook.col.day"), v.tr("outlook.col.ratio"),
                                            v.tr("outlook.col.point"), v.tr("outlook.band"), v.lang), True)
    shown, raw = outlook.outlook_table(points, v.lang)
    ui.table(v, shown, "outlook", download=raw)
    noise = outlook.noise_sentence(q.community_forecast(v.snap, v.scope, v.community, "complaints.noise"), v.lang)
    if noise:
        st.markdown(noise)
    acc = q.forecast_accuracy(v.snap, v.scope, v.community, "all")
    if not acc.empty:
        st.markdown(f"**{v.tr('outlook.h.accuracy')}**")
        # a point by its name; the community's own series (subject '') by the community's name, not its id
        names = {**dict(zip(points["point_id"], points["name"])), "": v.community_name}
        lines = [v.tr("outlook.accuracy_point", point=fmt.plain(names.get(r["subject"], r["subject"])),
                      what=v.tr(f"outlook.what.{WHAT[r['metric']]}"), words=outlook.accuracy_words(r, v.lang))
                 for _, r in acc.iterrows() if r["metric"] in WHAT]
        st.markdown("\n".join(f"- {line}" for line in lines))
    events_form(v)


def events_form(v: View) -> None:
    """The community's own events the forecasts read (a market day, a renovation): listed for everyone, added by
    whom the policy lets (community_events: the director, an admin, the open demo)."""
    with st.expander(v.tr("outlook.events.h")):
        st.caption(v.tr("outlook.events.caption"))
        found = q.community_events(v.snap, v.scope, v.community)
        for e in found:
            st.markdown(fmt.plain(v.tr("outlook.events.item", name=e["name"],
                                       days=outlook.day_range([e["starts_on"], e["ends_on"]], v.lang))))
        if not found:
            st.info(v.tr("outlook.events.none"))
        if not auth.can("community_events"):   # the write asks the policy again
            return
        with st.form("outlook_event", clear_on_submit=True):
            name = st.text_input(v.tr("outlook.events.name"), key="outlook_event_name")
            left, right = st.columns(2)
            start = left.date_input(v.tr("outlook.events.from"), value=None, key="outlook_event_from",
                                    format="YYYY/MM/DD", help=v.tr("date.help"))
            end = right.date_input(v.tr("outlook.events.to"), value=None, key="outlook_event_to",
                                   format="YYYY/MM/DD", help=v.tr("date.help"))
            if st.form_submit_button(v.tr("outlook.events.add")):
                if start is None:
                    st.error(v.tr("outlook.events.no_date"))
                    return
                try:
                    q.save_community_event(v.snap, v.scope, v.community, name, start, end or start)
                except UserError as exc:
                    st.error(exc.message(v.lang))
                    return
                st.success(v.tr("outlook.events.saved", name=fmt.plain(name.strip())))
