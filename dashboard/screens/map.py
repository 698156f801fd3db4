"""地图: buildings coloured by noise complaints, parcel points sized by occupancy; no basemap tiles."""
import streamlit as st

from dashboard import queries as q
from dashboard.parts import ui
from pipelines.present import charts
from pipelines.present import format as fmt

v = ui.start("page.map")
st.subheader(v.tr("map.h"))
buildings = q.map_buildings(v.snap, v.scope, v.community, v.grain, v.period)
points = q.map_points(v.snap, v.scope, v.community, v.grain, v.period)
if buildings.empty and points.empty:
    st.info(v.tr("map.no_coords"))
    st.stop()
# The map beside its lists on a laptop (full width it was a phone-sized drawing in a wide empty frame); on a
# phone the columns stack and the map fills the screen's width. Its height is what the drawing needs.
left, right = st.columns([3, 2])
with left:
    st.pydeck_chart(charts.deck(buildings, points, v.tr("map.tip.building"), v.tr("map.tip.point")), height=440)
    st.caption(v.tr("map.legend"))
with right:
    shown = buildings.sort_values(["complaints", "building_id"], ascending=[False, True])[["name", "building_id", "complaints"]]
    ui.table(v, shown.rename(columns={"name": v.tr("col.building_name"), "building_id": v.tr("col.building_id"),
                                      "complaints": v.tr("col.complaints")}), "map_buildings", wrap=True)
    heads = {"point_id": v.tr("col.point_id"), "name": v.tr("col.point_name"), "capacity": v.tr("col.capacity"),
             "peak_ratio": v.tr("col.peak_ratio")}
    raw = points[list(heads)].rename(columns=heads)
    shown = raw.assign(**{heads["peak_ratio"]: [fmt.value("rate", r, v.lang) for r in points["peak_ratio"]]})
    ui.table(v, shown, "map_points", download=raw, wrap=True)
