"""Linli 邻里治理看板: the router and the shared frame (language, community, period)."""
from __future__ import annotations

import streamlit as st

from dashboard import view
from dashboard.i18n import t

st.set_page_config(page_title="邻里治理看板 Linli", page_icon="🏘️", layout="wide")

# Wide enough for a whole period label ("2025年第23周 · 6月2日–6月8日"); Streamlit has no setting for it.
# Wider only while open: a collapsed sidebar slides out by its own width, so a min-width on it left a
# 30 px strip over the page on phones (and the first tap on » hit the resize handle).
st.html("<style>section[data-testid='stSidebar'][data-collapsed='false'] { min-width: 330px; }</style>")

lang = view.language()
# The check pages work at one grain each; the sidebar shows that grain while one of them is open.
PAGE_GRAIN = {"weekly": "week", "monthly": "month"}


def page(path: str, key: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(path, title=t(key, lang), icon=icon, default=default, url_path=path.split("/")[-1][:-3])


current = st.navigation({
    t("nav.section.look", lang): [
        page("views/overview.py", "page.overview", ":material/dashboard:", default=True),
        page("views/orders.py", "page.orders", ":material/shopping_cart:"),
        page("views/parcels.py", "page.parcels", ":material/package_2:"),
        page("views/complaints.py", "page.complaints", ":material/volume_up:"),
        page("views/training.py", "page.training", ":material/school:"),
        page("views/map.py", "page.map", ":material/map:"),
    ],
    t("nav.section.check", lang): [
        page("views/weekly.py", "page.weekly", ":material/event_available:"),
        page("views/monthly.py", "page.monthly", ":material/calendar_month:"),
        page("views/street.py", "page.street", ":material/leaderboard:"),
    ],
    t("nav.section.manage", lang): [
        page("views/data_import.py", "page.import", ":material/upload_file:"),
        page("views/glossary.py", "page.glossary", ":material/menu_book:"),
    ],
})
st.session_state["view"] = view.sidebar(lang, PAGE_GRAIN.get(current.url_path))
for note in view.notes():
    st.warning(note, icon=":material/link_off:")
current.run()
