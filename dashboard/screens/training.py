"""培训与就业: sessions, attendance, elderly participants, course mix, jobs started and active, income."""
import streamlit as st

from dashboard import queries as q
from dashboard.parts import ui
from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.present.i18n import label, metric_name

v = ui.start("page.training")
now, before, series = ui.period_values(v)
ui.tiles(v, ["training.sessions", "training.registrations", "training.attendance_rate", "training.participants",
             "training.elderly_participants"], now, before, series, columns=5)
ui.tiles(v, ["jobs.started", "jobs.active_at_end", "jobs.via_training_share", "jobs.median_monthly_income_yuan"],
         now, before, series, columns=4)
ui.alert_box(v, now, before, only={"training.attendance_rate"})


left, right = st.columns(2)
with left:
    st.subheader(v.tr("training.h.sessions"))
    ui.trend(v, series, ["training.participants", "training.elderly_participants", "training.sessions"])
with right:
    st.subheader(v.tr("training.h.courses"))
    courses = q.training_courses(v.snap, v.scope, v.community, v.grain, v.period)
    courses["course_type"] = [label("course_type", c, v.lang) for c in courses["course_type"]]
    if v.feed_missing("training"):   # not yet imported up to this period: no breakdown, not an empty one
        st.info(v.tr("feed.not_imported", feed=label("kind", "training", v.lang)))
    else:
        ui.chart(v, ui.once(charts.bars)(courses, "course_type", "participants", v.tr("chart.course"),
                                         v.tr("chart.participants"), horizontal=True), not courses.empty)
if not v.feed_missing("training"):
    ui.table(v, courses.rename(columns={c: v.tr(f"col.{c}") for c in courses.columns}), "training_courses",
             wrap=True)

left, right = st.columns(2)
with left:
    st.subheader(v.tr("training.h.jobs"))
    ui.trend(v, series, ["jobs.started", "jobs.active_at_end"])
with right:
    st.subheader(v.tr("training.h.jobs_mix"))
    mix = q.jobs_mix(v.snap, v.scope, v.community, v.grain, v.period)
    mix["employment_type"] = [label("employment_type", c, v.lang) for c in mix["employment_type"]]
    mix["role"] = [label("role", c, v.lang) for c in mix["role"]]
    by_type = mix.groupby("employment_type", as_index=False)["started"].sum()
    if v.feed_missing("jobs"):
        st.info(v.tr("feed.not_imported", feed=label("kind", "jobs", v.lang)))
    else:
        ui.chart(v, ui.once(charts.bars)(by_type, "employment_type", "started", v.tr("chart.employment_type"),
                                         v.tr("chart.started"), horizontal=True), not by_type.empty)
heads = {"employment_type": v.tr("col.employment_type"), "role": v.tr("col.role"),
         "started": v.tr("col.started"), "via_training": v.tr("col.via_training"),
         "median_monthly_income_yuan": metric_name("jobs.median_monthly_income_yuan", v.lang)}
shown = mix.assign(median_monthly_income_yuan=[fmt.value("yuan", x, v.lang) for x in mix["median_monthly_income_yuan"]])
if not v.feed_missing("jobs"):
    ui.table(v, shown.rename(columns=heads), "jobs_mix", download=mix.rename(columns=heads), wrap=True)
