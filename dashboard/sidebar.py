"""What the viewer is looking at: language, community, grain, period.

The view lives in st.query_params (?lang=zh&c=A&g=week&p=2025-06-02) so that a
URL reproduces it; the sidebar widgets read from and write back to it. A URL
value that names nothing here is not dropped silently: the page says what was
asked and what is shown instead.

The view opens on the latest complete period and labels a partial one (SPEC §6: complete for every feed
the community has imported, from the published `coverage` table; the period arithmetic:
pipelines/periods.py; its labels: pipelines/present/periods.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import streamlit as st

from dashboard import queries as q
from pipelines.periods import GRAINS, is_complete, latest_complete, period_next
from pipelines.present import format as fmt
from pipelines.present.coverage import behind_text, missing_by_period
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
    # Completeness per feed (SPEC §6) for this community and grain, by period: the event feeds not complete
    # for it (in use or not: their metrics show 未导入), and the feeds in use behind it, each with the time its
    # data runs to (these make the period incomplete). Empty for a snapshot without the coverage table.
    missing: dict = field(default_factory=dict)
    behind: dict = field(default_factory=dict)

    @property
    def period_end(self) -> dt.date:
        """First day after the period."""
        return period_next(self.grain, self.period)

    @property
    def previous(self) -> dt.date | None:
        i = self.periods.index(self.period)
        return self.periods[i - 1] if i > 0 else None

    def is_partial(self, start: dt.date | None = None) -> bool:
        start = self.period if start is None else start
        if start in self.missing:
            return bool(self.behind.get(start))
        return not is_complete(self.grain, start, self.data_end)

    def feed_missing(self, feed: str, start: dt.date | None = None) -> bool:
        """The feed is not complete for the period (the chosen one): its numbers there are not yet imported."""
        return feed in self.missing.get(self.period if start is None else start, ())

    def behind_feeds(self, start: dt.date | None = None) -> tuple[tuple[str, dt.datetime | None], ...]:
        """The feeds in use not yet brought up to the period, with the time each runs to."""
        return self.behind.get(self.period if start is None else start, ())

    @property
    def partial(self) -> bool:
        return self.is_partial()

    def label(self, start: dt.date | None = None) -> str:
        start = self.period if start is None else start
        if start in self.missing:
            return short_label(self.grain, start, self.is_partial(start), self.lang)
        return period_label(self.grain, start, self.data_end, self.lang)

    def window(self, n: int) -> tuple[dt.date, dt.date]:
        """The last n periods up to the chosen one."""
        i = self.periods.index(self.period)
        return self.periods[max(0, i - n + 1)], self.period

    def tr(self, key: str, **values) -> str:
        return t(key, self.lang, **values)


def short_label(grain: str, start: dt.date, partial: bool, lang: str) -> str:
    """A period's name, marked when it is incomplete: short enough for the sidebar's picker (which feeds are
    behind, and the date each runs to, is said under it and on the page)."""
    name = fmt.period(grain, start, lang)
    return t("period.incomplete", lang, period=name) if partial else name


def picker_label(grain: str, start: dt.date, partial: bool, lang: str) -> str:
    """A period as the sidebar's picker shows it. The picker is one line of about 200 px: it cut
    "2026年第49周 · 11月30日–12月6日 · 不完整" before its last word, so an incomplete week drops its dates
    there (2026年第49周（不完整）); the line under the picker says what is incomplete."""
    name = fmt.period(grain, start, lang)
    return t("period.picker_incomplete", lang, period=name.split(" · ")[0]) if partial else name


def coverage_of(snap: str, scope: tuple, community: str, grain: str) -> tuple[dict, dict]:
    """(missing, behind) of View for one community and grain, from the coverage table."""
    missing = missing_by_period(q.coverage(snap, scope, grain, community))
    pc = q.period_coverage(snap, scope, grain, community)
    behind = {start: tuple(late) for start, late in zip(pc["period_start"], pc["behind"]) if late}
    return missing, behind


def _latest_complete(periods: list[dt.date], missing: dict, behind: dict, grain: str, data_end) -> dt.date | None:
    if not missing:
        return latest_complete(grain, periods, data_end)
    done = [p for p in periods if p in missing and not behind.get(p)]
    return done[-1] if done else None


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


def _complete(snap: str, scope: tuple, community: str, grain: str, start: dt.date, data_end) -> bool:
    missing, behind = coverage_of(snap, scope, community, grain)
    return not behind.get(start) if start in missing else is_complete(grain, start, data_end)


def _carry(grain: str, periods: list[dt.date], old: dt.date, data_end, snap: str, scope: tuple,
           community: str) -> dt.date:
    """The period of `grain` holding the first day of the old one; the latest complete one rather than
    a partial period when the old one was complete (a switch of grain never lands on a partial period
    unasked)."""
    holding = [p for p in periods if p <= old]
    chosen = holding[-1] if holding else periods[0]
    other = "month" if grain == "week" else "week"
    if (not _complete(snap, scope, community, grain, chosen, data_end)
            and _complete(snap, scope, community, other, old, data_end)):
        missing, behind = coverage_of(snap, scope, community, grain)
        chosen = _latest_complete(periods, missing, behind, grain, data_end) or chosen
    return chosen


def _on_grain_change(snap: str, scope: tuple, community: str, data_end) -> None:
    grain = st.session_state.w_grain
    periods = q.periods(snap, scope, community, grain)
    old = st.session_state.get("w_period")
    if periods and old:
        st.session_state.w_period = _carry(grain, periods, dt.date.fromisoformat(old), data_end, snap, scope,
                                           community).isoformat()


def sidebar(lang: str, page_grain: str | None = None, page: str | None = None) -> View | None:
    """The shared filters. `page_grain` is the grain a check page works at: the sidebar then shows it
    (and the period of that grain holding the one chosen before), so the two never disagree. `page`: the
    page's url path, which decides the snapshot it reads (a city lake's kpi on the city pages)."""
    st.sidebar.radio(t("side.language", lang), LANGS, key="w_lang", horizontal=True,
                     format_func=lambda v: "中文" if v == "zh" else "English")
    snap = q.snapshot(page)
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
    options = [p.isoformat() for p in reversed(periods)]   # every period, newest first; typing filters them
    missing, behind = coverage_of(snap, scope, community, st.session_state.w_grain)
    default = (_latest_complete(periods, missing, behind, st.session_state.w_grain, data_end)
               or periods[-1]).isoformat()
    asked = _seed("w_period", "p", options, default)
    if asked is not None:
        _remember_note("w_period", t("note.unknown_period", lang, asked=asked, shown=period_label(
            st.session_state.w_grain, dt.date.fromisoformat(st.session_state.w_period), data_end, lang)))
    if page_grain is not None and st.session_state.w_grain != page_grain:
        old = dt.date.fromisoformat(st.session_state.w_period)
        st.session_state.w_grain = page_grain
        periods = q.periods(snap, scope, community, page_grain)
        st.session_state.w_period = _carry(page_grain, periods, old, data_end, snap, scope, community).isoformat()
        options = [p.isoformat() for p in reversed(periods)]
    grain = st.sidebar.radio(t("side.grain", lang), list(GRAINS), key="w_grain", horizontal=True,
                             format_func=lambda g: t(f"grain.{g}", lang), disabled=page_grain is not None,
                             help=t(f"side.grain_fixed.{page_grain}", lang) if page_grain else None,
                             on_change=_on_grain_change, args=(snap, scope, community, data_end))
    missing, behind = coverage_of(snap, scope, community, grain)

    def shown(p: str) -> str:
        start = dt.date.fromisoformat(p)
        if start in missing:   # short: the long "data to …" label was cut in the sidebar
            return picker_label(grain, start, bool(behind.get(start)), lang)
        return period_label(grain, start, data_end, lang)

    chosen = st.sidebar.selectbox(t("side.period", lang), options, key="w_period", placeholder=t("placeholder", lang),
                                  format_func=shown, help=t("side.period_help", lang, count=len(options)))
    late = behind.get(dt.date.fromisoformat(chosen))
    if late:
        st.sidebar.caption(t("side.behind", lang, feeds=behind_text(late, lang)))
    st.query_params.update({"lang": lang, "c": community, "g": grain, "p": chosen})
    st.sidebar.caption(t("built_at", lang, when=fmt.datetime(q.built_at(snap), lang)))
    return View(lang, snap, scope, community, names[community], grain,
                dt.date.fromisoformat(chosen), tuple(periods), data_end, missing, behind)


def current() -> View | None:
    return st.session_state.get("view")
