"""协商议题: the community's consultation cases, each with its steps, parties, meetings, timeline and
effect (SPEC §8), newest open case first; the forms to record a new one and to move one on."""
import streamlit as st

from dashboard.parts import actions_panel, case_detail, ui
from pipelines.present import format as fmt
from pipelines.present.i18n import label

v = ui.start("page.cases")
st.write(v.tr("gov.cases_intro"))
actions_panel.show_saved_note()
found = actions_panel.records(v)
if found is not None:
    cases = found[1]
    if actions_panel.may_write("cases")[0]:
        case_detail.new_case_form(v)
    if not cases:
        st.info(v.tr("gov.none_cases"))
    for i, case in enumerate(cases):
        step = label("cases.step", case.step, v.lang)
        with st.expander(f"#{case.case_id} {fmt.plain(case.title)} · {step}", expanded=i == 0):
            case_detail.show_case(v, case)
