"""数据导入: the import history and the quarantined rows with their reasons (read-only for now)."""
import streamlit as st

from dashboard import format as fmt
from dashboard import queries as q
from dashboard import ui
from dashboard.i18n import t
from dashboard.view import current, language

lang = language()
v = current()

st.title(t("page.import", lang))
st.markdown(t("import.how", lang))
if v is None:
    st.info(t("import.none", lang))
    st.stop()
st.subheader(v.tr("import.h.history"))
history = q.imports(v.snap, v.scope)
history["status"] = [v.tr(f"status.{s}") for s in history["status"]]
history["imported_at"] = [fmt.datetime(x, lang) for x in history["imported_at"]]
ui.table(v, history.rename(columns={c: v.tr(f"col.{c}") for c in history.columns}), "imports")

st.subheader(v.tr("import.h.quarantine"))
bad = q.quarantine(v.snap, v.scope)
if bad.empty:
    st.success(v.tr("import.quarantine_none"))
else:
    bad["reason"] = bad["reason_zh" if lang == "zh" else "reason_en"]
    bad = bad[["import_id", "kind", "file_name", "row_number", "reason", "raw"]]
    ui.table(v, bad.rename(columns={c: v.tr(f"col.{c}") for c in bad.columns}), "quarantine")
