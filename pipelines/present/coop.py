"""The cooperative's books as people read them (issue 20): the public fund's ledger, the producers'
statements, the check against the co-op store's orders and the rent list, each as a frame with Chinese
headers and numbers as numbers; and the fund's month in one sentence for the check page and the briefs.

The page (dashboard/screens/coop.py), the monthly check and the brief (pipelines/reports/content.py) all
read these, so the ledger says 提取/支出 and names a payment's purpose the same way everywhere."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.periods import period_next
from pipelines.present import format as fmt
from pipelines.present.i18n import t

DEFAULT_SPLIT = (70, 20, 10)        # SPEC §5: members, cooperative, fund, in percent
THRESHOLD = 0.05                    # the books and the co-op store's orders may differ by up to 5 %


def _day(x) -> dt.date:
    return pd.Timestamp(x).date()


def _money(x) -> float | None:
    return None if fmt.is_missing(x) else round(float(x), 2)


def money(x) -> str:
    """¥2,222.27: the fund's money to the fen wherever it is named (¥2,222 or ¥1.52万 hides what a receipt shows)."""
    return "—" if fmt.is_missing(x) else ("-" if float(x) < 0 else "") + f"¥{abs(float(x)):,.2f}"


def purpose_text(kind: str, purpose, day, lang: str) -> str:
    """A payment's purpose as booked (masked on import); an accrual names the month whose profit it is."""
    if kind == "accrued":
        d = _day(day)
        return t("coop.ledger.accrual_purpose", lang, month=fmt.period("month", d.replace(day=1), lang))
    return "—" if fmt.is_missing(purpose) else str(purpose)


def ledger_frame(ledger: pd.DataFrame, lang: str) -> pd.DataFrame:
    """snapshot_reader.coop_fund_ledger as a table: 日期, 收支 (提取/支出), 金额, 用途, 余额; dates as dates."""
    tr = lambda key: t(key, lang)   # noqa: E731
    return pd.DataFrame({
        tr("coop.col.day"): [_day(d) for d in ledger["day"]],
        tr("coop.col.kind"): [tr(f"coop.ledger.{k}") for k in ledger["kind"]],
        tr("coop.col.amount"): pd.array([_money(x) for x in ledger["amount_yuan"]], dtype="Float64"),
        tr("coop.col.purpose"): [purpose_text(k, p, d, lang) for k, p, d in
                                 zip(ledger["kind"], ledger["purpose"], ledger["day"])],
        tr("coop.col.balance"): pd.array([_money(x) for x in ledger["balance_yuan"]], dtype="Float64"),
    }, columns=[tr(k) for k in ("coop.col.day", "coop.col.kind", "coop.col.amount", "coop.col.purpose",
                                "coop.col.balance")])


def statements_frame(statements: pd.DataFrame, lang: str) -> pd.DataFrame:
    """snapshot_reader.coop_statements: 社员编号, 销售额, 应分金额, 占社员分配 (a share, 0.25 = 25 %)."""
    tr = lambda key: t(key, lang)   # noqa: E731
    total = float(statements["share_yuan"].sum()) if not statements.empty else 0.0
    return pd.DataFrame({
        tr("coop.col.member"): statements["member_id"].astype(str),
        tr("coop.col.sales"): pd.array([_money(x) for x in statements["sales_yuan"]], dtype="Float64"),
        tr("coop.col.share"): pd.array([_money(x) for x in statements["share_yuan"]], dtype="Float64"),
        tr("coop.col.share_of"): pd.array([float(x) / total if total else None for x in statements["share_yuan"]],
                                          dtype="Float64"),
    })


def reconcile_frame(rec: pd.DataFrame, grain: str, lang: str) -> pd.DataFrame:
    """snapshot_reader.coop_reconcile, newest period first: the books' sales beside the co-op store's orders."""
    tr = lambda key: t(key, lang)   # noqa: E731
    rec = rec.sort_values("period_start", ascending=False)
    return pd.DataFrame({
        tr("coop.col.period"): [fmt.period(grain, _day(p), lang) for p in rec["period_start"]],
        tr("coop.col.books"): pd.array([_money(x) for x in rec["coop_sales_yuan"]], dtype="Float64"),
        tr("coop.col.orders"): pd.array([_money(x) for x in rec["coop_store_orders_yuan"]], dtype="Float64"),
        tr("coop.col.difference"): pd.array([_money(x) for x in rec["difference_yuan"]], dtype="Float64"),
        tr("coop.col.difference_share"): pd.array([None if fmt.is_missing(x) else float(x)
                                                   for x in rec["difference_share"]], dtype="Float64"),
        tr("coop.col.over"): [bool(x) if not fmt.is_missing(x) else False for x in rec["over_threshold"]],
    })


def reconcile_message(row, grain: str, lang: str) -> tuple[str, str]:
    """("error" | "ok" | "info", the sentence) for one period of snapshot_reader.coop_reconcile."""
    period = fmt.period(grain, _day(row["period_start"]), lang)
    books, orders = fmt.value("yuan", row["coop_sales_yuan"], lang), fmt.value("yuan", row["coop_store_orders_yuan"], lang)
    if fmt.is_missing(row["difference_share"]):
        return "info", t("coop.reconcile.no_orders", lang, period=period, books=books)
    share = fmt.value("rate", row["difference_share"], lang)
    if bool(row["over_threshold"]):
        return "error", t("coop.reconcile.alert", lang, period=period, books=books, orders=orders, share=share)
    return "ok", t("coop.reconcile.ok", lang, period=period, share=share)


def rent_frames(rent: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rent booked per seller, the active sellers with none booked) of one month's mart_coop_rent rows."""
    tr = lambda key: t(key, lang)   # noqa: E731
    booked = rent[rent["has_rent"].astype(bool)]
    unpaid = rent[~rent["has_rent"].astype(bool) & rent["active"].astype(bool)]
    return (pd.DataFrame({tr("coop.col.seller"): booked["seller_id"].astype(str),
                          tr("coop.col.rent"): pd.array([_money(x) for x in booked["rent_yuan"]], dtype="Float64"),
                          tr("coop.col.active"): booked["active"].astype(bool).to_numpy()}),
            pd.DataFrame({tr("coop.col.seller"): unpaid["seller_id"].astype(str)}))


def split_of(row) -> tuple[float, float, float]:
    """The split a mart_coop_period row was worked out with (the default where the row has none)."""
    got = tuple(row.get(k) for k in ("members_pct", "coop_pct", "fund_pct"))
    return DEFAULT_SPLIT if any(fmt.is_missing(x) for x in got) else tuple(float(x) for x in got)


def pct(x: float) -> str:
    return f"{x:g}"


def adopted_on(splits: list[tuple], period: dt.date) -> dt.date | None:
    """The adoption in force on the period's first day (queries.coop_splits rows, newest first), or None
    where none was (the default applies)."""
    for effective_from, *_ in splits:
        if effective_from is not None and _day(effective_from) <= period:
            return _day(effective_from)
    return None


def month_spends(ledger: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """The fund's payments booked in the month (ledger rows of kind 'spent')."""
    days = [_day(d) for d in ledger["day"]]
    end = period_next("month", month)
    keep = pd.Series([k == "spent" and month <= d < end for k, d in zip(ledger["kind"], days)], index=ledger.index,
                     dtype=bool)   # a plain [] would pick no columns of an empty ledger, not no rows
    return ledger[keep]


def spends_frame(spends: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The month's payments: 日期, 用途, 金额 (the monthly check's table)."""
    tr = lambda key: t(key, lang)   # noqa: E731
    return pd.DataFrame({tr("coop.col.day"): [fmt.date(_day(d), lang) for d in spends["day"]],
                         tr("coop.col.purpose"): [purpose_text("spent", p, d, lang)
                                                  for p, d in zip(spends["purpose"], spends["day"])],
                         tr("coop.col.amount"): [money(x) for x in spends["amount_yuan"]]})


def fund_sentence(balance, spends: pd.DataFrame, lang: str) -> str:
    """公共基金月末余额 ¥15,210.46；本月支出：门口代收点雨棚 ¥6,800.00（2026年6月29日）。"""
    shown = money(balance)
    if spends.empty:
        return t("brief.coop.fund_none", lang, balance=shown)
    items = [t("brief.coop.spend", lang, purpose=purpose_text("spent", p, d, lang), amount=money(a),
               date=fmt.date(_day(d), lang)) for p, a, d in zip(spends["purpose"], spends["amount_yuan"], spends["day"])]
    return t("brief.coop.fund", lang, balance=shown, spent=t("brief.coop.sep", lang).join(items))


BOOK_METRICS = ["coop.sales_yuan", "coop.costs_yuan", "coop.profit_yuan", "coop.members_share_yuan",
                "coop.coop_share_yuan", "coop.fund_accrued_yuan", "coop.fund_spent_yuan", "coop.fund_balance_yuan",
                "coop.rent_yuan"]
