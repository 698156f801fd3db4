"""What a page says when `linli serve --kpi-from DIR` serves a city: where its numbers come from.

总览 and 街道对比 read the lake's kpi (dashboard/queries.py CITY_PAGES); every other page needs the marts of a
local build and reads the store, which it says, so that a viewer never takes one source for the other.
"""
from __future__ import annotations

import streamlit as st

from dashboard import queries as q
from pipelines.present import format as fmt
from pipelines.present.i18n import t

QUIET_PAGES = ("glossary", "data_import", "audit")   # no numbers of their own: nothing to say where they come from


def source(v, page: str) -> None:
    """Under a city page's title: the lake and when its kpi was written."""
    info = q.city_info(page)
    if info is None:
        return
    lake, written = info
    st.caption(":material/database: " + t("city.source", v.lang, lake=fmt.plain(str(lake)),
                                           when=fmt.datetime(written, v.lang)))


def frame(page: str, lang: str) -> None:
    """Before any page runs: a city page whose lake cannot be read says why and how to fix it; a page of the
    local store says that it is one (and when the store has nothing built, that the city is on 总览/街道对比)."""
    lake = q.city_lake()
    if lake is None or page in QUIET_PAGES:
        return
    if page in q.CITY_PAGES:
        if q.snapshot(page) is None:
            st.error(t("city.unreadable", lang, lake=fmt.plain(str(lake)), why=fmt.plain(q.city_problem(lang) or "—")),
                     icon=":material/error:")
        return
    key = "city.elsewhere" if q.snapshot(page) is not None else "city.elsewhere_empty"
    st.info(t(key, lang, lake=fmt.plain(str(lake))), icon=":material/info:")
