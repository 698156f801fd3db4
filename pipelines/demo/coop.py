"""The demo's cooperative (issue 20): community A's 社区手工坊 keeps its books from the data's second quarter.

- Sales follow the demo's own orders of channel 合作社 (paid ones), booked per producer per day, so the
  books reconcile with the co-op store — except the last days of the third month, which the bookkeeper
  never entered: that month differs by more than 5 % and the page says so.
- Costs: packaging (包装材料) and courier fees (快递费), booked each Monday for the week before.
- The public fund pays for the gate point's rain canopy (门口代收点雨棚) a few weeks after the gate point
  opens, and for a children's reading corner (儿童阅读角) later on.
- Rent for the gate parcel point from the sellers who use it: most sellers with orders that month, booked on
  the 5th; a few pay late or not at all, and the page lists them.
- The split 70/20/10 adopted when the books start, and 65/20/15 from a later month (the residents' meeting
  chose a larger fund), both as the committee's records (pipelines/records/coop_split.py).

Everything is drawn from the orders file already written and an rng of its own, so the rest of the demo is
the same with or without the cooperative.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.demo.days import gate_point_opens

COMMUNITY = "A"
PRODUCERS = 12
SPLITS = ((0, 70, 20, 10), (7, 65, 20, 15))        # (months after the books start, members, coop, fund)
MISSED_MONTH, MISSED_DAYS = 2, 6                    # the third month's last six days of sales never booked
PACKAGING, COURIER = 0.06, 0.09                     # of the week's sales
RENT = {"livestream": 50, "group_buy": 30}          # yuan a month; other sellers 30
LATE_PAYERS = 0.12                                  # of the month's active sellers, no rent booked
CANOPY = ("门口代收点雨棚", 6800.0, 3)                # purpose, yuan, weeks after the gate point opens
READING = ("儿童阅读角", 5600.0, 16)


def books_start(start: dt.date) -> dt.date:
    """The first day of the month the books start: the demo's second quarter (13 weeks in), on a month's first."""
    day = start + dt.timedelta(weeks=13)
    return day if day.day == 1 else (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _month_start(d: dt.date, months: int = 0) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def read_orders(path: Path, cells: pl.DataFrame | None = None) -> pl.DataFrame:
    """The demo's orders file as written (GB18030, a title line), or the cells the writer kept of it (text,
    the same headers): day, seller, channel, amount, status."""
    if cells is None:
        text = path.read_bytes().decode("gb18030").split("\n", 1)[1]
        cells = pl.read_csv(io.StringIO(text), infer_schema=False)
    frame = cells.with_columns(pl.col("实付金额").cast(pl.Float64))
    return frame.select(pl.col("下单时间").str.split(" ").list.first().str.strptime(pl.Date, "%Y/%-m/%-d").alias("day"),
                        pl.col("团长编号").alias("seller_id"), pl.col("渠道").alias("channel"),
                        pl.col("实付金额").alias("amount"), pl.col("状态").alias("status"))


def entries(orders: pl.DataFrame, sellers: pl.DataFrame, data_start: dt.date, end: dt.date,
            rng: np.random.Generator) -> list[tuple]:
    """The books' rows (entry_id, booked_on, kind word, amount, member_id, seller_id, purpose) from the books'
    first day to `end` (included), for demo data that starts on `data_start`."""
    start = books_start(data_start)
    rows: list[tuple] = []
    sold = orders.filter((pl.col("channel") == "合作社") & (pl.col("status") == "已支付")
                         & (pl.col("day") >= start) & (pl.col("day") <= end))
    weights = 1.0 / np.arange(1, PRODUCERS + 1) ** 0.7
    members = rng.choice(PRODUCERS, size=sold.height, p=weights / weights.sum())
    missed = _month_start(start, MISSED_MONTH + 1) - dt.timedelta(days=MISSED_DAYS)
    by_day = (sold.with_columns(pl.Series("member", [f"SY{m + 1:02d}" for m in members]))
              .filter(~((pl.col("day") >= missed) & (pl.col("day") < _month_start(start, MISSED_MONTH + 1))))
              .group_by("day", "member").agg(pl.col("amount").sum().round(2)).sort("day", "member"))
    for day, member, amount in by_day.iter_rows():
        rows.append((day, "销售收入", round(amount, 2), member, None, "手工坊商品销售"))
    weekly = sold.group_by(pl.col("day").dt.truncate("1w").alias("week")).agg(pl.col("amount").sum()).sort("week")
    for week, amount in weekly.iter_rows():
        monday = week + dt.timedelta(weeks=1)
        if monday <= end:
            rows.append((monday, "成本支出", float(round(amount * PACKAGING * rng.uniform(0.9, 1.1))), None, None, "包装材料"))
            rows.append((monday, "成本支出", float(round(amount * COURIER * rng.uniform(0.9, 1.1))), None, None, "快递费"))
    gate = gate_point_opens(data_start)
    for purpose, amount, weeks in (CANOPY, READING):
        day = gate + dt.timedelta(weeks=weeks)
        if day <= end:
            rows.append((day, "公共基金支出", amount, None, None, purpose))
    kinds = dict(zip(sellers["seller_id"], sellers["kind"]))
    month = _month_start(gate)
    while month <= end:
        active = (orders.filter((pl.col("status") != "已取消") & (pl.col("day") >= month)
                                & (pl.col("day") < _month_start(month, 1)))["seller_id"].unique().sort().to_list())
        day = month + dt.timedelta(days=4) if month > gate else gate + dt.timedelta(days=2)
        if day <= end:
            for seller in active:
                if rng.random() >= LATE_PAYERS:
                    rows.append((day, "代收点租金", float(RENT.get(kinds.get(seller), 30)), None, seller, "大门口代收点月租"))
        month = _month_start(month, 1)
    rows.sort(key=lambda r: (r[0], r[1], r[3] or "", r[4] or ""))
    return [(f"{COMMUNITY}-HG{i + 1:05d}", *r) for i, r in enumerate(rows)]


def write(writer) -> None:
    """Community A's books, from the orders file the writer has written (pipelines/demo/generate.py
    DemoWriter), as 社区手工坊_合作社账目.csv in the writer's folder."""
    path = next((p for kind, p in writer.files if kind == "orders" and Path(p).name.startswith(f"{COMMUNITY}社区")), None)
    if path is None or COMMUNITY not in writer.sellers:
        return
    end = writer.start + dt.timedelta(days=writer.days - 1)
    kept = (getattr(writer, "cells", None) or {}).get(path)   # the writer's own cells of the file, if it kept them
    orders = read_orders(Path(path), kept[2] if kept else None)
    rows = entries(orders, writer.sellers[COMMUNITY], writer.start, end, np.random.default_rng(20))
    if not rows:   # a demo too short to reach the books' first month
        return
    frame = pl.DataFrame([(e, COMMUNITY, d.isoformat(), k, a, m, s, p) for e, d, k, a, m, s, p in rows],
                         schema={"流水号": pl.Utf8, "社区编号": pl.Utf8, "记账日期": pl.Utf8, "类型": pl.Utf8,
                                 "金额": pl.Float64, "社员编号": pl.Utf8, "商户编号": pl.Utf8, "用途": pl.Utf8},
                         orient="row")
    writer._csv("coop", "社区手工坊_合作社账目.csv", frame, "utf-8-sig", title="社区手工坊合作社流水账")


def adopt_splits(db_path: Path, start: dt.date) -> None:
    """The committee's splits for A from the books' first month, unless A already has one (someone's own
    rule stays as it is, as the window rules do)."""
    from pipelines.records import coop_split
    if coop_split.splits(db_path, COMMUNITY):
        return
    first = books_start(start)
    for months, members, coop, fund in SPLITS:
        coop_split.set_split(db_path, COMMUNITY, members, coop, fund, effective_from=_month_start(first, months),
                             user="王主任")
