"""订单: volume and GMV by channel over time, active and new sellers, top sellers, refund rate."""
import streamlit as st

from dashboard import queries as q
from dashboard.parts import ui
from pipelines.present import charts
from pipelines.present import format as fmt
from pipelines.present.i18n import label, metric_name

v = ui.start("page.orders")
now, before, series = ui.period_values(v)
ui.tiles(v, ["orders.count", "orders.gmv_yuan", "orders.refund_rate", "orders.active_sellers", "orders.new_sellers"],
         now, before, series, columns=5)

start, end = v.window(ui.TREND_PERIODS)
by_channel = ui.with_period_labels(v, q.orders_by_channel(v.snap, v.scope, v.community, v.grain, start, end))
by_channel["channel_label"] = [label("channel", c, v.lang) for c in by_channel["channel"]]
left, right = st.columns(2)
with left:
    st.subheader(v.tr("orders.h.channel"))
    ui.chart(v, ui.once(charts.stacked_bars)(by_channel, "period_label", "orders", "channel_label",
                                             v.tr("chart.period"), v.tr("chart.orders"), v.tr("chart.channel"),
                                             order="period_start"),
             not by_channel.empty)
with right:
    st.subheader(v.tr("orders.h.gmv"))
    ui.chart(v, ui.once(charts.stacked_bars)(by_channel, "period_label", "gmv_yuan", "channel_label",
                                             v.tr("chart.period"), v.tr("chart.gmv"), v.tr("chart.channel"),
                                             order="period_start"),
             not by_channel.empty)

left, right = st.columns(2)
with left:
    st.subheader(v.tr("orders.h.sellers"))
    ui.trend(v, series, ["orders.active_sellers", "orders.new_sellers"])
with right:
    st.subheader(metric_name("orders.refund_rate", v.lang))
    ui.trend(v, series, ["orders.refund_rate"], y_format=".1%")

st.subheader(v.tr("orders.h.top"))
if v.feed_missing("orders"):   # not yet imported up to this period: an empty list would read as "no sales"
    st.info(v.tr("feed.not_imported", feed=label("kind", "orders", v.lang)))
else:
    top = q.top_sellers(v.snap, v.scope, v.community, v.grain, v.period)
    top["channel"] = [label("channel", c, v.lang) for c in top["channel"]]
    heads = {c: v.tr(f"col.{c}") for c in top.columns}
    shown = top.assign(gmv_yuan=[fmt.value("yuan", x, v.lang) for x in top["gmv_yuan"]])
    ui.table(v, shown.rename(columns=heads), "top_sellers", download=top.rename(columns=heads), wrap=True)
