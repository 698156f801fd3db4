"""街道对比: the street office's communities side by side, per 1,000 households, ranked."""
import pandas as pd
import streamlit as st

from dashboard import charts, ui, view
from dashboard import format as fmt
from dashboard import queries as q
from dashboard.i18n import metric_name

PER_1K = {"orders": "orders.count", "parcels": "parcels.arrived", "complaints": "complaints.count",
          "noise": "complaints.noise", "participants": "training.participants", "jobs": "jobs.started"}
SHOWN = ["orders.gmv_yuan", "parcels.peak_occupancy_ratio", "parcels.overdue_rate", "complaints.noise_outside_hours",
         "complaints.open_at_end", "training.attendance_rate"]

v = ui.page_view()
if v is None:
    st.stop()
st.title(v.tr("page.street"))
st.caption(fmt.period(v.grain, v.period, v.lang))
st.write(v.tr("street.intro"))
data = q.kpi_street(v.snap, v.scope, v.grain, v.period)
if data.empty:
    wide = pd.DataFrame()
else:
    # pivot on the id alone: a missing households value must not multiply the rows
    wide = data.pivot(index="community_id", columns="metric", values="value").reset_index()
    wide = data[["community_id", "name", "households"]].drop_duplicates("community_id").merge(wide, on="community_id")
if wide.empty:
    st.info(v.tr("no_period"))
    st.stop()
# Communities whose data stops inside this period are ranked on what there is, and say so (SPEC §6).
ends = q.data_ends(v.snap, v.scope)
partial = {c: ends.get(c) for c in wide["community_id"] if not view.is_complete(v.grain, v.period, ends.get(c))}
if partial:
    st.warning(v.tr("street.partial_note", names=("、" if v.lang == "zh" else ", ").join(
        fmt.plain(n) for c, n in zip(wide["community_id"], wide["name"]) if c in partial)))
for key, metric in PER_1K.items():
    wide[key] = wide[metric] * 1000 / wide["households"]
choice = st.selectbox(v.tr("street.metric"), list(PER_1K), format_func=lambda k: v.tr(f"street.per1k.{k}"),
                      key="street_metric", placeholder=v.tr("placeholder"))
ranked = wide.sort_values(choice, ascending=False, na_position="last").reset_index(drop=True)
ranked["rank"] = range(1, len(ranked) + 1)
st.subheader(v.tr("street.h"))
shown_bars = ranked.dropna(subset=[choice])
shown_bars = shown_bars.assign(name=[v.tr("street.bar_partial", name=n) if c in partial else n
                                     for c, n in zip(shown_bars["community_id"], shown_bars["name"])])
ui.chart(v, charts.bars(shown_bars, "name", choice, v.tr("col.community"), v.tr(f"street.per1k.{choice}"),
                        horizontal=True), not shown_bars.empty)
state = [v.tr("street.partial_cell", end=view.data_end_text(v.grain, v.period, partial[c], v.lang, short=True)) if c in partial and partial[c]
         else v.tr("street.partial_cell", end="—") if c in partial else v.tr("street.complete")
         for c in ranked["community_id"]]
head = {v.tr("col.rank"): ranked["rank"], v.tr("col.community"): ranked["name"], v.tr("street.col.data"): state}
per_1k = {v.tr(f"street.per1k.{k}"): ranked[k].round(2) for k in PER_1K}
shown = pd.DataFrame({**head, v.tr("col.households"): [fmt.number(h, v.lang) for h in ranked["households"]],
                      **per_1k, **{metric_name(m, v.lang): [fmt.value(m, x, v.lang) for x in ranked[m]] for m in SHOWN}})
numbers = pd.DataFrame({**head, v.tr("col.households"): ranked["households"], **per_1k,
                        **{metric_name(m, v.lang): ranked[m] for m in SHOWN}})
ui.table(v, shown, "street_comparison", download=numbers)
