"""合作社: the cooperative's books for the month — sales, costs, profit and its split; the public fund's
balance, what it accrued and what it paid for; each producer's statement; the books against the co-op
store's orders; the parcel point's rent. Roles that may not read the books (pipelines/records/access.py,
"coop_books") see the public fund's ledger only."""
import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.auth import viewer
from dashboard.parts import coop_books, ui
from pipelines.records import access

BOOKS = ["coop.sales_yuan", "coop.costs_yuan", "coop.profit_yuan", "coop.active_members",
         "coop.members_share_yuan", "coop.coop_share_yuan", "coop.fund_accrued_yuan", "coop.rent_yuan"]
FUND = ["coop.fund_spent_yuan", "coop.fund_balance_yuan"]

v = ui.start("page.coop_books")
st.caption(v.tr("coop.intro"))
now, before, series = ui.period_values(v)
books = access.may(access.role_of(viewer()), "coop_books")
missing = v.feed_missing("coop")

if books:
    ui.tiles(v, BOOKS, now, before, series, columns=4)
else:
    st.info(v.tr("coop.ledger_only"))
if books and not missing:
    start, end = v.window(ui.TREND_PERIODS)
    period_books = q.coop_period(v.snap, v.scope, v.community, v.grain, start, end)
    this = period_books[pd.to_datetime(period_books["period_start"]).dt.date == v.period]
    coop_books.split_caption(v, None if this.empty else this.iloc[0])
    left, right = st.columns(2)
    with left:
        st.subheader(v.tr("coop.h.trend"))
        ui.trend(v, series, ["coop.sales_yuan", "coop.costs_yuan", "coop.profit_yuan"], y_title=v.tr("coop.chart.yuan"))
    with right:
        st.subheader(v.tr("coop.h.shares"))
        coop_books.shares_chart(v, period_books[[not v.feed_missing("coop", pd.Timestamp(p).date())
                                                 for p in period_books["period_start"]]])

st.header(v.tr("coop.h.fund"), help=v.tr("coop.fund.help"))
ui.tiles(v, FUND if books else ["coop.fund_accrued_yuan", *FUND], now, before, series, columns=4)
if coop_books.not_imported(v):   # one note for the page: every list below reads the books of this month
    st.stop()
ui.trend(v, series, ["coop.fund_balance_yuan"], y_title=v.tr("coop.chart.yuan"))
coop_books.ledger(v)

if books:
    coop_books.statements(v)
    coop_books.reconcile(v)
    coop_books.rent(v)
