"""操作记录: who imported, undid, changed rules or records, and who logged in (SPEC §9), each entry a
sentence in the UI language (pipelines/present/audit_words.py), narrowed by person, kind and dates."""
import streamlit as st

from dashboard import auth
from dashboard import queries as q
from dashboard.parts import ui
from dashboard.sidebar import current, language
from pipelines.present import audit_words as words
from pipelines.present import format as fmt
from pipelines.present.i18n import label, t

LIMIT = 1000
LIST_ROWS = 20

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
trail = q.audit_trail(v.snap, v.scope, LIMIT)
if trail.empty:
    st.info(v.tr("auth.audit.none"))
    st.stop()
trail = trail.assign(person=[words.actor(u, lang) for u in trail["user_name"]],
                     kind=[words.kind_of(a) for a in trail["action"]],
                     day=[x.date() for x in trail["recorded_at"]])

person_col, kind_col, days_col = st.columns([1, 1, 1.4])
people = sorted(set(trail["person"]))
person = person_col.selectbox(v.tr("audit.filter.person"), ["", *people], key="audit_person",
                              format_func=lambda p: p or v.tr("audit.filter.all"))
kinds = [k for k in words.KIND_ORDER if k in set(trail["kind"])]
kind = kind_col.selectbox(v.tr("audit.filter.kind"), ["", *kinds], key="audit_kind",
                          format_func=lambda k: v.tr(f"audit.kind.{k}") if k else v.tr("audit.filter.all"))
first, last = min(trail["day"]), max(trail["day"])
days = days_col.date_input(v.tr("audit.filter.days"), value=(first, last), min_value=first, max_value=last,
                           format="YYYY/MM/DD", help=v.tr("audit.filter.days_help"), key="audit_days")

shown = trail
if person:
    shown = shown[shown["person"] == person]
if kind:
    shown = shown[shown["kind"] == kind]
if days:   # a range being picked holds its first day only: that day alone until the second is picked
    start, end = days[0], days[-1]
    shown = shown[[start <= d <= end for d in shown["day"]]]

st.caption(v.tr("audit.shown", shown=len(shown), total=len(trail))
           + (" " + v.tr("audit.limit", n=LIMIT) if len(trail) >= LIMIT else ""))
if shown.empty:
    st.info(v.tr("audit.none_match"))
    st.stop()
table = shown.assign(recorded_at=[fmt.datetime(x, lang) for x in shown["recorded_at"]],
                     detail=[words.sentence(u, a, c, d, lang) for u, a, c, d
                             in zip(shown["user_name"], shown["action"], shown["community_id"], shown["detail"])],
                     user_name=shown["person"],
                     action=[label("auth.action", a, lang) for a in shown["action"]])
# The newest entries as lines a person reads whole, on a phone too (a grid cuts a sentence at its column's
# edge); all of them in the grid below, which sorts, and in its download. Names in a sentence come from
# files and forms: escaped, they show as typed.
st.markdown("\n".join(f"- **{when}** {fmt.plain(said)}" + (f" · {fmt.plain(where)}" if isinstance(where, str) else "")
                       for when, said, where in zip(table["recorded_at"][:LIST_ROWS], table["detail"][:LIST_ROWS],
                                                    table["community_id"][:LIST_ROWS])))
columns = ["recorded_at", "detail", "user_name", "action", "community_id"]
names = {c: v.tr(f"auth.audit.col.{c}") for c in columns}
with st.expander(v.tr("audit.all_in_table", n=len(table)), expanded=False, icon=":material/table:"):
    ui.table(v, table[columns].rename(columns=names), "audit",
             column_config={names["detail"]: st.column_config.TextColumn(width="large")})
