"""The brief downloads: a check page's community brief (the same one `linli report` writes) and the
street comparison's street brief, for the period on screen, named in the UI language by place, period
and what the file is (B社区_2026年第48周_每周检查简报.pdf, 花溪街道_2026年第48周_街道对比.xlsx).

The brief is gathered with the page's own queries in the viewer's scope, once while the snapshot and the store
are unchanged (queries.brief: the report section reads the same one); the file is drawn only when a button is
pressed (Streamlit runs a callable `data` then), so a page that nobody downloads from pays nothing for the PDF
and the card.
"""
from __future__ import annotations

import streamlit as st

from dashboard import queries as q
from dashboard.sidebar import View
from pipelines.present.export import file_stem
from pipelines.reports import fonts
from pipelines.reports.render import FORMATS
from pipelines.reports.render import render as render_bytes

MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf",
        "png": "image/png"}


def render(v: View) -> None:
    st.subheader(v.tr("brief.download.h"))
    brief = q.brief(v.snap, v.scope, v.community, v.grain, v.period, v.lang)
    stem = file_stem(brief.community_name, v.grain, v.period, v.tr(f"brief.file.{v.grain}"), v.lang)
    _buttons(v, brief, stem, f"brief_{v.grain}")


def street(v: View, view) -> None:
    """The street brief of the comparison on screen (pipelines/reports/street.py StreetView)."""
    st.subheader(v.tr("street.h.brief"))
    _buttons(v, view, view.stem(), "street_brief")


def _buttons(v: View, brief, stem: str, key: str) -> None:
    try:
        font = fonts.find()
    except fonts.FontMissing as missing:
        font = None
        st.warning(v.tr("brief.download.font_missing", message=missing.message(v.lang)))
    kinds = FORMATS if font is not None else ("xlsx",)
    for column, kind in zip(st.columns(len(FORMATS)), kinds):
        with column:
            st.download_button(v.tr(f"brief.download.{kind}"), data=lambda kind=kind: render_bytes(brief, kind),
                               file_name=f"{stem}.{kind}", mime=MIME[kind], key=f"{key}_{kind}", on_click="ignore")
