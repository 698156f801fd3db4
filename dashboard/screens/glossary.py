"""指标说明: every metric's name and definition, from the catalog that gives the help text elsewhere."""
import pandas as pd
import streamlit as st

from dashboard.parts import ui
from dashboard.sidebar import language
from pipelines.present.i18n import METRIC_KIND, METRICS, metric_help, metric_name, t

lang = language()
st.title(t("page.glossary", lang))
st.write(t("glossary.intro", lang))
table = pd.DataFrame({
    t("col.name", lang): [metric_name(m, lang) for m in METRICS],
    t("col.definition", lang): [metric_help(m, lang) for m in METRICS],
    t("col.unit", lang): [t(f"unit.{METRIC_KIND[m][0]}", lang) for m in METRICS],
    t("col.key", lang): METRICS,
})
# a static table: every definition whole and wrapped (a grid cut them off, and hid columns on a phone)
st.table(table, hide_index=True)
ui.download_csv(t("download", lang), table, "glossary.csv")
st.subheader(t("gov.glossary.title", lang))   # the effect of a consultation case (pipelines/records/effect.py)
st.markdown(t("gov.glossary.body", lang))
