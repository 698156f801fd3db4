"""操作记录: who imported, undid, changed rules or records, and who logged in (SPEC §9)."""
import streamlit as st

from dashboard import auth
from dashboard import queries as q
from dashboard.parts import ui
from dashboard.sidebar import current, language
from pipelines.present import format as fmt
from pipelines.present.i18n import label, t
from pipelines.records.audit import who

lang = language()
st.title(t("auth.page.audit", lang))
if not auth.can("audit"):     # the navigation hides the page; this holds even if it is reached anyway
    st.error(t("auth.not_allowed", lang))
    st.stop()
v = current()
if v is None:
    st.info(t("auth.audit.none", lang))
    st.stop()
st.caption(v.tr("auth.audit.scope_all" if q.sees_everything() else "auth.audit.scope_mine"))
trail = q.audit_trail(v.snap, v.scope)
if trail.empty:
    st.info(v.tr("auth.audit.none"))
    st.stop()
chosen = st.selectbox(v.tr("auth.audit.action"), ["", *sorted(trail["action"].unique())], key="audit_action",
                      format_func=lambda a: label("auth.action", a, lang) if a else v.tr("auth.audit.all_actions"))
shown = trail[trail["action"] == chosen] if chosen else trail
shown = shown.assign(recorded_at=[fmt.datetime(x, lang) for x in shown["recorded_at"]],
                     user_name=[who(u, v.tr("auth.audit.nobody"), lang) for u in shown["user_name"]],
                     action=[label("auth.action", a, lang) for a in shown["action"]])
columns = ["recorded_at", "user_name", "action", "community_id", "detail"]
ui.table(v, shown[columns].rename(columns={c: v.tr(f"auth.audit.col.{c}") for c in columns}), "audit")
