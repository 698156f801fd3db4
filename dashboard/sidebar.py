"""What the viewer is looking at: language, community, grain, period.

The view lives in st.query_params (?lang=zh&c=A&g=week&p=2025-06-02) so that a
URL reproduces it; the sidebar widgets read from and write back to it. A URL
value that names nothing here is not dropped silently: the page says what was
asked and what is shown instead.

The view opens on the latest complete period and labels a partial one
(the period arithmetic: pipelines/periods.py; its labels: pipelines/present/periods.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from dashboard import queries as q
from pipelines.periods import GRAINS, is_complete, latest_complete, period_next
from pipelines.present import format as fmt
from pipelines.present.i18n import LANGS, t
from pipelines.present.periods import period_label


@dataclass(frozen=True)
class View:
    lang: str
    snap: str
    scope: tuple[str, ...]
    community: str
    community_name: str
    grain: str
    period: dt.date
    periods: tuple[dt.date, ...]
    data_end: dt.datetime | None = None

    @property
    def period_end(self) -> dt.date:
        """First day after the period."""
        return period_next(self.grain, self.period)

    @property
    def previous(self) -> dt.date | None:
        i = self.periods.index(self.period)
        return self.periods[i - 1] if i > 0 else None

    def is_partial(self, start: dt.date | None = None) -> bool:
        return not is_complete(self.grain, self.period if start is None else start, self.data_end)

    @property
    def partial(self) -> bool:
        return self.is_partial()

    def label(self, start: dt.date | None = None) -> str:
        return period_label(self.grain, self.period if start is None else start, self.data_end, self.lang)

    def window(self, n: int) -> tuple[dt.date, dt.date]:
        """The last n periods up to the chosen one."""
        i = self.periods.index(self.period)
        return self.periods[max(0, i - n + 1)], self.period

    def tr(self, key: str, **values) -> str:
        return t(key, self.lang, **values)


def language() -> str:
    if "w_lang" not in st.session_state:
        wanted = st.query_params.get("lang", "zh")
        st.session_state.w_lang = wanted if wanted in LANGS else "zh"
    return st.session_state.w_lang


def _seed(key: str, param: str, options: list, default) -> str | None:
    """Put the URL's value into the widget's state on the session's first run; later keep the widget's
    value while it is an option, else the default. Returns the URL's value when it named no option."""
    first = key not in st.session_state
    if not first and st.session_state[key] in options:
        return None
    wanted = st.query_params.get(param) if first else None
    st.session_state[key] = wanted if wanted in options else default
    return wanted if wanted is not None and wanted not in options else None


def _remember_note(key: str, text: str) -> None:
    """A note about the URL, shown until the viewer picks something else."""
    st.session_state.setdefault("url_notes", {})[key] = (text, st.session_state[key])


def notes() -> list[str]:
    kept = {k: (text, shown) for k, (text, shown) in st.session_state.get("url_notes", {}).items()
            if st.session_state.get(k) == shown}
    st.session_state["url_notes"] = kept
    return [text for text, _ in kept.values()]


def _carry(grain: str, periods: list[dt.date], old: dt.date, data_end) -> dt.date:
    """The period of `grain` holding the first day of the old one; the latest complete one rather than
    a partial period when the old one was complete (a switch of grain never lands on a partial period
    unasked)."""
    holding = [p for p in periods if p <= old]
    chosen = holding[-1] if holding else periods[0]
    other = "month" if grain == "week" else "week"
    if not is_complete(grain, chosen, data_end) and is_complete(other, old, data_end):
        chosen = latest_complete(grain, periods, data_end) or chosen
    return chosen


def _on_grain_change(snap: str, scope: tuple, community: str, data_end) -> None:
    grain = st.session_state.w_grain
    periods = q.periods(snap, scope, community, grain)
    old = st.session_state.get("w_period")
    if periods and old:
        st.session_state.w_period = _carry(grain, periods, dt.date.fromisoformat(old), data_end).isoformat()


def sidebar(lang: str, page_grain: str | None = None) -> View | None:
    """The shared filters. `page_grain` is the grain a check page works at: the sidebar then shows it
    (and the period of that grain holding the one chosen before), so the two never disagree."""
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
    asked = _seed("w_community", "c", ids, ids[0])
    if asked is not None:
        _remember_note("w_community", t("note.unknown_community", lang, asked=asked,
                                        shown=names[st.session_state.w_community]))
    community = st.sidebar.selectbox(t("side.community", lang), ids, key="w_community",
                                     format_func=lambda c: names.get(c, c), placeholder=t("placeholder", lang))
    data_end = q.data_ends(snap, scope).get(community)
    asked = _seed("w_grain", "g", list(GRAINS), "week")
    if asked is not None:
        _remember_note("w_grain", t("note.unknown_grain", lang, asked=asked,
                                    shown=t(f"grain.{st.session_state.w_grain}", lang)))
    periods = q.periods(snap, scope, community, st.session_state.w_grain)
    if not periods:
        return None
    options = [p.isoformat() for p in reversed(periods)]
    default = (latest_complete(st.session_state.w_grain, periods, data_end) or periods[-1]).isoformat()
    asked = _seed("w_period", "p", options, default)
    if asked is not None:
        _remember_note("w_period", t("note.unknown_period", lang, asked=asked, shown=period_label(
            st.session_state.w_grain, dt.date.fromisoformat(st.session_state.w_period), data_end, lang)))
    if page_grain is not None and st.session_state.w_grain != page_grain:
        old = dt.date.fromisoformat(st.session_state.w_period)
        st.session_state.w_grain = page_grain
        periods = q.periods(snap, scope, community, page_grain)
        st.session_state.w_period = _carry(page_grain, periods, old, data_end).isoformat()
        options = [p.isoformat() for p in reversed(periods)]
    grain = st.sidebar.radio(t("side.grain", lang), list(GRAINS), key="w_grain", horizontal=True,
                             format_func=lambda g: t(f"grain.{g}", lang), disabled=page_grain is not None,
                             help=t(f"side.grain_fixed.{page_grain}", lang) if page_grain else None,
                             on_change=_on_grain_change, args=(snap, scope, community, data_end))
    chosen = st.sidebar.selectbox(t("side.period", lang), options, key="w_period", placeholder=t("placeholder", lang),
                                  format_func=lambda p: period_label(grain, dt.date.fromisoformat(p), data_end, lang))
    st.query_params.update({"lang": lang, "c": community, "g": grain, "p": chosen})
    st.sidebar.caption(t("built_at", lang, when=fmt.datetime(q.built_at(snap), lang)))
    return View(lang, snap, scope, community, names[community], grain,
                dt.date.fromisoformat(chosen), tuple(periods), data_end)


def current() -> View | None:
    return st.session_state.get("view")
