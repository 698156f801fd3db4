"""Linli 邻里治理看板: the router and the shared frame (language, community, period)."""
from __future__ import annotations

import streamlit as st

from dashboard import auth, sidebar, style
from dashboard.parts import city_note
from pipelines import database
from pipelines.present.i18n import t
from pipelines.records import access, audit

st.set_page_config(page_title="邻里治理看板 Linli", page_icon="🏘️", layout="wide")

# Wide enough for a whole period label ("2025年第23周 · 6月2日–6月8日"); Streamlit has no setting for it.
# Wider only while open: a collapsed sidebar slides out by its own width, so a min-width on it left a
# 30 px strip over the page on phones (and the first tap on » hit the resize handle).
st.html("<style>section[data-testid='stSidebar'][data-collapsed='false'] { min-width: 330px; }</style>")
# On a phone the open sidebar covers 330 of 390 px. Streamlit closes it after a page link only when the
# browser's user agent says "mobile" (not a narrow browser, a tablet, or a phone asking for the desktop
# site); this closes it on any screen narrow enough that it lies over the page. Fixed text, no input in it.
st.html("""<script>
if (!window.linliClosesSidebar) {
  window.linliClosesSidebar = true;
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest('[data-testid="stSidebarNavLink"]');
    if (!link || !window.matchMedia("(max-width: 768px)").matches) return;
    requestAnimationFrame(() => {
      const open = document.querySelector('[data-testid="stSidebar"][data-collapsed="false"]');
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (open && close) close.click();
    });
  }, true);
}
</script>""", unsafe_allow_javascript=True)
lang = sidebar.language()
style.apply(lang)   # print (no sidebar, tables whole), phone rules, the uploader's words: dashboard/style.py
account = auth.gate(lang)      # the login page (and a stop) without a valid session; the demo banner while open
role = access.role_of(account)
# The check pages work at one grain each; the sidebar shows that grain while one of them is open.
PAGE_GRAIN = {"weekly": "week", "monthly": "month", "coop": "month"}   # 合作社: the books are kept by the month


# Who sees which page: the access policy's rows (pipelines/records/access.py). A page left out of a
# role's list cannot be opened by its URL either.
EVERYONE = access.roles_for("pages")
STREET = access.roles_for("street")
IMPORTS = access.roles_for("import")
AUDIT = access.roles_for("audit")


def page(path: str, key: str, icon: str, roles: frozenset[str], default: bool = False) -> st.Page | None:
    if role not in roles:
        return None
    return st.Page(path, title=t(key, lang), icon=icon, default=default, url_path=path.split("/")[-1][:-3])


def sections(pages: dict[str, list]) -> dict[str, list[st.Page]]:
    kept = {name: [p for p in group if p is not None] for name, group in pages.items()}
    return {name: group for name, group in kept.items() if group}


current = st.navigation(sections({
    t("nav.section.look", lang): [
        page("screens/overview.py", "page.overview", ":material/dashboard:", EVERYONE, default=True),
        page("screens/orders.py", "page.orders", ":material/shopping_cart:", EVERYONE),
        page("screens/parcels.py", "page.parcels", ":material/package_2:", EVERYONE),
        page("screens/complaints.py", "page.complaints", ":material/volume_up:", EVERYONE),
        page("screens/training.py", "page.training", ":material/school:", EVERYONE),
        page("screens/coop.py", "page.coop_books", ":material/storefront:", EVERYONE),
        page("screens/map.py", "page.map", ":material/map:", EVERYONE),
    ],
    t("nav.section.check", lang): [
        page("screens/weekly.py", "page.weekly", ":material/event_available:", EVERYONE),
        page("screens/monthly.py", "page.monthly", ":material/calendar_month:", EVERYONE),
        page("screens/cases.py", "page.cases", ":material/handshake:", EVERYONE),
        page("screens/street.py", "page.street", ":material/leaderboard:", STREET),
    ],
    t("nav.section.manage", lang): [
        page("screens/data_import.py", "page.import", ":material/upload_file:", IMPORTS),
        page("screens/audit.py", "auth.page.audit", ":material/history:", AUDIT),
        page("screens/glossary.py", "page.glossary", ":material/menu_book:", EVERYONE),
    ],
}), expanded=True)   # every page listed: Streamlit's "View N more" fold is English and hides the data pages
page_name = current.url_path or "overview"   # the default page (总览) has the root URL, url_path ""
st.session_state["view"] = sidebar.sidebar(lang, PAGE_GRAIN.get(current.url_path), page_name)
auth.signed_in_box(account, lang)
city_note.frame(page_name, lang)   # linli serve --kpi-from: which pages read the city lake
for note in sidebar.notes():
    st.warning(note, icon=":material/link_off:")
# A change made while Linli runs open names no account: its audit row says it came from a browser, not
# from the command line (pages write in their body, never in a widget callback, so this covers them all).
# The page's record reads (actions, cases, reports, rules) share one opening of the store, closed when it is drawn.
with audit.acting(audit.BROWSER if account is None else None), database.one_connection(database.default_path()):
    current.run()
