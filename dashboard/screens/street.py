"""街道对比: who needs attention. Each community's alerts and the metrics that matter, with the change
against the previous period, sorted by what needs attention; a measure picker over every metric (in the URL)."""
import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.parts import ui
from pipelines.metrics import PER_1K_HOUSEHOLDS
from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.present.alerts import alerts, context_from
from pipelines.present.i18n import METRICS, metric_name
from pipelines.present.periods import data_end_text, is_complete

# what the street office looks at first: backlog, capacity, overdue, late noise, attendance
SHOWN = ["complaints.open_at_end", "parcels.peak_occupancy_ratio", "parcels.overdue_rate",
         "complaints.noise_outside_hours", "training.attendance_rate", "orders.gmv_yuan"]
MEASURES = ["complaints.open_at_end", "parcels.peak_occupancy_ratio", "parcels.overdue_rate",
            *PER_1K_HOUSEHOLDS, *[m for m in METRICS if m not in SHOWN[:3]]]


def wide_frame(grain, period) -> pd.DataFrame:
    """One row per community: each measure's value, and its rank on each (column "rank:<measure>")."""
    data = q.street_measures(v.snap, v.scope, grain, period) if period else pd.DataFrame()
    if data.empty:
        return pd.DataFrame()
    values = data.pivot(index="community_id", columns="measure", values="value")
    ranks = data.pivot(index="community_id", columns="measure", values="street_rank").add_prefix("rank:")
    names = data[["community_id", "name"]].drop_duplicates("community_id").set_index("community_id")
    return names.join(values).join(ranks).reset_index()


def measure_name(m: str) -> str:
    return v.tr(f"street.{m}") if m in PER_1K_HOUSEHOLDS else metric_name(m, v.lang)


def measure_value(m: str, x) -> str:
    return fmt.number(x, v.lang, 2) if m in PER_1K_HOUSEHOLDS else fmt.value(m, x, v.lang)


def per1k_change(d: float) -> str:
    """A change per 1,000 households at the precision shown: one that rounds away is 0, never "-0.00"."""
    return "0" if round(d, 2) == 0 else f"{d:+.2f}"


v = ui.page_view()
if v is None:
    st.stop()
st.title(v.tr("page.street"))
st.caption(v.label())
st.write(v.tr("street.intro"))
wide = wide_frame(v.grain, v.period)
if wide.empty:
    st.info(v.tr("no_period"))
    st.stop()
before = wide_frame(v.grain, v.previous).set_index("community_id") if v.previous else pd.DataFrame()
# Communities whose data stops inside this period are ranked on what there is, and say so (SPEC §6).
ends = q.data_ends(v.snap, v.scope)
partial = {c: ends.get(c) for c in wide["community_id"] if not is_complete(v.grain, v.period, ends.get(c))}
if partial:
    st.warning(v.tr("street.partial_note", names=("、" if v.lang == "zh" else ", ").join(
        fmt.plain(n) for c, n in zip(wide["community_id"], wide["name"]) if c in partial)))

# each community's alerts, from the same rules and wording as its check pages
found = {}
for c in wide["community_id"]:
    now = {m: wide.set_index("community_id").at[c, m] for m in METRICS if m in wide}
    prev = {m: before.at[c, m] for m in METRICS if not before.empty and c in before.index and m in before}
    ctx = context_from(q.point_peaks(v.snap, v.scope, c, v.grain, v.period),
                       q.noise_buildings(v.snap, v.scope, c, v.grain, v.period))
    found[c] = alerts(now, prev, q.rules(v.snap, v.scope, c), v.lang, ctx, q.alert_rules(v.snap, v.scope, c))
wide["errors"] = [sum(a.level == "error" for a in found[c]) for c in wide["community_id"]]
wide["warnings"] = [sum(a.level != "error" for a in found[c]) for c in wide["community_id"]]

asked = st.query_params.get("m")
if "street_metric" not in st.session_state:
    if asked in MEASURES:
        st.session_state.street_metric = asked
    elif asked:   # a measure the address names but we do not know: say so, as the sidebar does for ?c= ?p=
        st.warning(v.tr("note.unknown_measure", asked=fmt.plain(asked), shown=measure_name(MEASURES[0])),
                   icon=":material/link_off:")
choice = st.selectbox(v.tr("street.metric"), MEASURES, format_func=measure_name, key="street_metric",
                      placeholder=v.tr("placeholder"))
st.query_params["m"] = choice
wide["change"] = [None if before.empty or c not in before.index or choice not in before else x - before.at[c, choice]
                  for c, x in zip(wide["community_id"], wide[choice])]
# most serious alerts first, then most alerts, then the community's rank on the chosen measure (SQL's)
ranked = wide.sort_values(["errors", "warnings", f"rank:{choice}"], ascending=[False, False, True],
                          na_position="last", kind="stable").reset_index(drop=True)
ranked["rank"] = range(1, len(ranked) + 1)

st.subheader(v.tr("street.h.attention"))
for r in ranked.itertuples(index=False):
    items = found[r.community_id]
    head = v.tr("street.attention", name=fmt.plain(r.name), errors=r.errors, warnings=r.warnings)
    if r.community_id in partial:
        head += v.tr("street.partial_suffix")
    with st.expander(head, expanded=r.rank == 1 and bool(items)):
        for a in items:
            (st.error if a.level == "error" else st.warning)(a.markdown)
        if not items:
            st.success(v.tr("alerts.none"))

st.subheader(v.tr("street.h.measure", measure=measure_name(choice)))
bars = ranked.dropna(subset=[choice])
bars = bars.assign(name=[v.tr("street.bar_partial", name=n) if c in partial else n
                         for c, n in zip(bars["community_id"], bars["name"])])
ui.chart(v, charts.bars(bars, "name", choice, v.tr("col.community"), measure_name(choice), horizontal=True),
         not bars.empty)

state = [v.tr("street.partial_cell", end=data_end_text(v.grain, v.period, partial[c], v.lang, short=True))
         if c in partial and partial[c] else v.tr("street.partial_cell", end="—") if c in partial
         else v.tr("street.complete") for c in ranked["community_id"]]
head = {v.tr("col.rank"): ranked["rank"], v.tr("col.community"): ranked["name"], v.tr("street.col.data"): state,
        v.tr("street.col.errors"): ranked["errors"], v.tr("street.col.warnings"): ranked["warnings"]}
chosen = v.tr("street.col.chosen", measure=measure_name(choice))
change = v.tr("street.col.change")
shown = pd.DataFrame({**head, chosen: [measure_value(choice, x) for x in ranked[choice]],
                      change: ["—" if fmt.is_missing(d) else (fmt.delta(choice, x, x - d, v.lang) if choice not in PER_1K_HOUSEHOLDS
                                                              else per1k_change(d)) for x, d in zip(ranked[choice], ranked["change"])],
                      **{metric_name(m, v.lang): [fmt.value(m, x, v.lang) for x in ranked[m]] for m in SHOWN if m != choice}})
numbers = pd.DataFrame({**head, chosen: ranked[choice], change: ranked["change"],
                        **{metric_name(m, v.lang): ranked[m] for m in SHOWN if m != choice}})
ui.table(v, shown, "street_comparison", download=numbers, full=True)
