"""The pieces of 合作社 (dashboard/screens/coop.py) and of 每月检查's fund section: the split used, the public
fund's ledger, the producers' statements, the check against the co-op store's orders and the rent list.
The frames and sentences come from pipelines/present/coop.py, which the briefs read too."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.parts import checks, ui
from dashboard.sidebar import View
from pipelines.present import charts, coop
from pipelines.present import format as fmt
from pipelines.present.check_sheet import Section
from pipelines.present.i18n import label

# the ledger's latest entries on screen; every entry in its download
LEDGER_ROWS = 24


def not_imported(v: View) -> bool:
    """True (and a note) where the coop feed is not imported up to the period: no empty list reads as none."""
    if v.feed_missing("coop"):
        st.info(v.tr("feed.not_imported", feed=label("kind", "coop", v.lang)))
        return True
    return False


def split_caption(v: View, period_row: pd.Series | None) -> None:
    """The split the period was worked out with, and the day the community adopted it."""
    members, share, fund = coop.split_of({} if period_row is None else period_row.to_dict())
    since = coop.adopted_on(q.coop_splits(v.snap, v.scope, v.community), v.period)
    st.caption(v.tr("coop.split", members=coop.pct(members), coop=coop.pct(share), fund=coop.pct(fund),
                    since=v.tr("coop.split.since", date=fmt.date(since, v.lang)) if since else v.tr("coop.split.default")),
               help=v.tr("coop.split.help"))


def shares_chart(v: View, books: pd.DataFrame) -> None:
    """The three parts of each period's profit, stacked (a loss shows as the cooperative's part below 0)."""
    if books.empty and not_imported(v):   # never imported: not "nothing to draw"
        return
    parts = {"members_share_yuan": "coop.part.members", "coop_share_yuan": "coop.part.coop",
             "fund_accrued_yuan": "coop.part.fund"}
    long = books.melt(id_vars=["period_start"], value_vars=list(parts), var_name="part", value_name="yuan")
    long["part"] = [v.tr(parts[p]) for p in long["part"]]
    long = ui.with_period_labels(v, long)
    ui.chart(v, ui.once(charts.stacked_bars)(long, "period_label", "yuan", "part", v.tr("chart.period"),
                                             v.tr("coop.chart.yuan"), v.tr("coop.chart.part"), order="period_start"),
             not books.empty)


def ledger(v: View) -> None:
    """The public fund's ledger to the period's end: every accrual and payment with the balance after it."""
    st.subheader(v.tr("coop.h.ledger", date=fmt.date(v.period_end - pd.Timedelta(days=1), v.lang)),
                 help=v.tr("coop.fund.help"))
    if not_imported(v):
        return
    rows = q.coop_fund_ledger(v.snap, v.scope, v.community, v.period_end)
    if rows.empty:
        st.info(v.tr("coop.ledger.empty"))
        return
    raw = coop.ledger_frame(rows, v.lang)
    day, amount, balance = v.tr("coop.col.day"), v.tr("coop.col.amount"), v.tr("coop.col.balance")
    shown = raw.iloc[::-1].head(LEDGER_ROWS)    # newest first: this month's payments lead
    # to the fen: a public ledger is read against receipts, not at a glance (¥1.52万 hides the last 46.20)
    shown = shown.assign(**{day: [fmt.date(d, v.lang) for d in shown[day]],
                            amount: [fen(x) for x in shown[amount]], balance: [fen(x) for x in shown[balance]]})
    ui.table(v, shown, "coop_ledger", download=raw, wrap=True)
    if len(raw) > LEDGER_ROWS:
        st.caption(v.tr("coop.ledger.shown", shown=LEDGER_ROWS, total=len(raw)))


def statements(v: View) -> None:
    st.subheader(v.tr("coop.h.statements", month=fmt.period("month", v.period, v.lang)),
                 help=v.tr("coop.statements.help"))
    if not_imported(v):
        return
    rows = q.coop_statements(v.snap, v.scope, v.community, v.period)
    if rows.empty:
        st.info(v.tr("coop.statements.none"))
        return
    raw = coop.statements_frame(rows, v.lang)
    sales, share, of = v.tr("coop.col.sales"), v.tr("coop.col.share"), v.tr("coop.col.share_of")
    st.caption(v.tr("coop.statements.total", total=fen(rows["share_yuan"].sum()),
                    n=fmt.number(len(rows), v.lang)))
    shown = raw.assign(**{sales: [fen(x) for x in raw[sales]], share: [fen(x) for x in raw[share]],
                          of: [fmt.value("rate", x, v.lang) for x in raw[of]]})
    ui.table(v, shown, "coop_statements", download=raw, wrap=True)


def reconcile(v: View) -> None:
    st.subheader(v.tr("coop.h.reconcile"), help=v.tr("coop.reconcile.help"))
    if not_imported(v):
        return
    start, end = v.window(ui.TREND_PERIODS)
    rows = q.coop_reconcile(v.snap, v.scope, v.community, v.grain, start, end)
    # from the books' first sale on: months before the cooperative kept books are not months it missed
    rows = rows[(rows["coop_sales_yuan"] > 0).cummax()]
    current = rows[pd.to_datetime(rows["period_start"]).dt.date == v.period]
    if not current.empty:
        level, text = coop.reconcile_message(current.iloc[0], v.grain, v.lang)
        {"error": st.error, "ok": st.success, "info": st.info}[level](text)
    raw = coop.reconcile_frame(rows, v.grain, v.lang)
    cols = [v.tr(f"coop.col.{c}") for c in ("books", "orders", "difference")]
    shown = raw.assign(**{c: [signed(x, v.lang) for x in raw[c]] for c in cols})
    share = v.tr("coop.col.difference_share")
    shown[share] = [fmt.value("rate", x, v.lang) for x in raw[share]]
    # over 5 % is said by the alert above and the share beside it; one column fewer fits a phone's width
    ui.table(v, shown.drop(columns=[v.tr("coop.col.over")]), "coop_reconcile", download=raw, wrap=True)


def rent(v: View) -> None:
    st.subheader(v.tr("coop.h.rent", month=fmt.period("month", v.period, v.lang)), help=v.tr("coop.rent.help"))
    if not_imported(v):
        return
    booked, unpaid = coop.rent_frames(q.coop_rent(v.snap, v.scope, v.community, v.period, v.period_end), v.lang)
    amount = v.tr("coop.col.rent")
    st.caption(v.tr("coop.rent.total", n=fmt.number(len(booked), v.lang), total=fen(booked[amount].sum())))
    # who has not paid is what the month's meeting follows up; the paid list (fifty-odd sellers) one tap away
    st.markdown(f"**{v.tr('coop.h.unpaid')}**")
    if unpaid.empty:
        st.success(v.tr("coop.unpaid.none"))
    else:
        ui.table(v, unpaid, "coop_unpaid", wrap=True)
    with st.expander(v.tr("coop.rent.list", n=fmt.number(len(booked), v.lang))):
        ui.table(v, booked.assign(**{amount: [fen(x) for x in booked[amount]]}), "coop_rent", download=booked,
                 wrap=True)


fen = coop.money   # ¥1,234.50: money to the fen, as a statement or a receipt shows it


def signed(x, lang: str) -> str:
    """-¥1.19万, not ¥-1.19万: the sign before the currency, as a difference reads."""
    return "—" if fmt.is_missing(x) else ("-" if float(x) < 0 else "") + fmt.value("yuan", abs(float(x)), lang)


def fund_section(v: View) -> Section:
    """每月检查's fund: the month's payments (date, purpose, amount) and a line with the month-end balance."""
    rows = q.coop_fund_ledger(v.snap, v.scope, v.community, v.period_end)
    spends = coop.spends_frame(coop.month_spends(rows, v.period), v.lang)
    books = q.coop_period(v.snap, v.scope, v.community, "month", v.period, v.period)
    note = ""
    if not books.empty:
        r = books.iloc[0]
        paid = not fmt.is_missing(r["fund_spent_yuan"]) and float(r["fund_spent_yuan"]) != 0
        note = v.tr("check.coop_fund.balance" if paid else "check.coop_fund.balance_unpaid",
                    balance=fen(r["fund_balance_yuan"]), accrued=fen(r["fund_accrued_yuan"]), spent=fen(r["fund_spent_yuan"]))
    return Section(v.tr("check.h.coop_fund"), spends, {v.tr("coop.col.amount")}, v.tr("check.coop_fund.none"), note)



def fund_check(v: View) -> Section:
    """每月检查's fund, drawn and handed back for the printable sheet: 未导入 where the coop feed is not
    imported to the month (not "no payments")."""
    if v.feed_missing("coop"):
        st.subheader(v.tr("check.h.coop_fund"))
        text = v.tr("feed.not_imported", feed=label("kind", "coop", v.lang))
        st.info(text)
        return Section(v.tr("check.h.coop_fund"), pd.DataFrame(), set(), text)
    section = fund_section(v)
    checks.show(v, section, "check_coop_fund")
    if section.note:
        st.caption(section.note)
    return section
