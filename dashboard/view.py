"""What the viewer is looking at: language, community, grain, period.

The view lives in st.query_params (?lang=zh&c=A&g=week&p=2025-06-02) so that a
URL reproduces it; the sidebar widgets read from and write back to it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import streamlit as st

from . import format as fmt
from . import queries as q
from .i18n import LANGS, t


@dataclass(frozen=True)
class View:
    lang: str
    snap: str
    scope: tuple[str, ...]
    community: str
    community_name: str
    households: float | None
    grain: str
    period: dt.date
    periods: tuple[dt.date, ...]

    @property
    def period_end(self) -> dt.date:
        """First day after the period."""
        if self.grain == "week":
            return self.period + dt.timedelta(days=7)
        y, m = self.period.year + self.period.month // 12, self.period.month % 12 + 1
        return dt.date(y, m, 1)

    @property
    def previous(self) -> dt.date | None:
        i = self.periods.index(self.period)
        return self.periods[i - 1] if i > 0 else None

    def window(self, n: int) -> tuple[dt.date, dt.date]:
        """The last n periods up to the chosen one."""
        i = self.periods.index(self.period)
        return self.periods[max(0, i - n + 1)], self.period

    def with_grain(self, grain: str) -> "View":
        """The same view at another grain: the period of that grain holding this one's first day."""
        if grain == self.grain:
            return self
        periods = tuple(q.periods(self.snap, self.scope, self.community, grain))
        if not periods:
            return self
        holding = [p for p in periods if p <= self.period]
        chosen = holding[-1] if holding else periods[0]
        return replace(self, grain=grain, period=chosen, periods=periods)

    def tr(self, key: str, **values) -> str:
        return t(key, self.lang, **values)


def language() -> str:
    if "w_lang" not in st.session_state:
        wanted = st.query_params.get("lang", "zh")
        st.session_state.w_lang = wanted if wanted in LANGS else "zh"
    return st.session_state.w_lang


def _seed(key: str, param: str, options: list, default):
    """Put the query parameter's value into the widget's state the first time, or when it is no option."""
    if key not in st.session_state or st.session_state[key] not in options:
        wanted = st.query_params.get(param)
        st.session_state[key] = wanted if wanted in options else default


def sidebar(lang: str) -> View | None:
    st.sidebar.radio(t("side.language", lang), LANGS, key="w_lang", horizontal=True,
                     format_func=lambda v: "中文" if v == "zh" else "English")
    snap = q.snapshot()
    if snap is None:
        st.query_params["lang"] = lang
        return None
    scope = q.visible_communities(snap)
    comms = q.communities(snap, scope)
    if comms.empty:
        return None
    ids = comms["community_id"].tolist()
    names = dict(zip(comms["community_id"], comms["name"]))
    _seed("w_community", "c", ids, ids[0])
    community = st.sidebar.selectbox(t("side.community", lang), ids, key="w_community",
                                     format_func=lambda c: names.get(c, c))
    _seed("w_grain", "g", ["week", "month"], "week")
    grain = st.sidebar.radio(t("side.grain", lang), ["week", "month"], key="w_grain", horizontal=True,
                             format_func=lambda g: t(f"grain.{g}", lang))
    periods = q.periods(snap, scope, community, grain)
    options = [p.isoformat() for p in reversed(periods)]
    _seed("w_period", "p", options, options[0])
    chosen = st.sidebar.selectbox(t("side.period", lang), options, key="w_period",
                                  format_func=lambda p: fmt.period(grain, dt.date.fromisoformat(p), lang))
    st.query_params.update({"lang": lang, "c": community, "g": grain, "p": chosen})
    st.sidebar.caption(t("built_at", lang, when=fmt.datetime(q.built_at(snap), lang)))
    row = comms.set_index("community_id").loc[community]
    households = None if fmt.is_missing(row["households"]) else float(row["households"])
    return View(lang, snap, scope, community, names[community], households, grain,
                dt.date.fromisoformat(chosen), tuple(periods))


def current() -> View | None:
    return st.session_state.get("view")
