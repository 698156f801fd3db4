"""数据导入: the import history and the quarantined rows with their reasons (read-only for now)."""
import json

import pandas as pd
import streamlit as st

from dashboard import format as fmt
from dashboard import queries as q
from dashboard import ui
from dashboard.i18n import label, t
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
history["kind"] = [label("kind", k, lang) for k in history["kind"]]
headers = {c: v.tr(f"col.{c}") for c in history.columns}
shown = history.assign(imported_at=[fmt.datetime(x, lang) for x in history["imported_at"]])
ui.table(v, shown.rename(columns=headers), "imports", download=history.rename(columns=headers))

st.subheader(v.tr("import.h.quarantine"))
bad = q.quarantine(v.snap, v.scope)
if bad.empty:
    st.success(v.tr("import.quarantine_none"))
    st.stop()
bad["reason"] = bad["reason_zh" if lang == "zh" else "reason_en"]
shown = bad[["import_id", "kind", "file_name", "row_number", "reason", "raw"]].assign(
    kind=[label("kind", k, lang) for k in bad["kind"]])
ui.table(v, shown.rename(columns={c: v.tr(f"col.{c}") for c in shown.columns}), "quarantine")
st.caption(v.tr("import.fix_hint"))
for kind, rows in bad.groupby("kind"):
    # the rows as given, under canonical headers, so the corrected file imports as it is
    fixable = pd.DataFrame([json.loads(r) for r in rows["raw"]])
    ui.download_csv(v.tr("import.fix_download", kind=label("kind", kind, lang), n=len(fixable)), fixable,
                    f"fix_{kind}.csv", key=f"fix_{kind}")
