"""Row rules: typed accepted rows, and rejected rows with a reason per bad cell.

Reasons are written in Chinese and English and name the column as the user's
header wrote it; the store adds the file name and the row number.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl

from pipelines import personal
from pipelines.feeds import BOOL, DATE, ENUM, FEEDS, FLOAT, INT, TIMESTAMP, Column, Feed
from pipelines.ingest import parse
from pipelines.ingest.readers import EXTRA, ROW, RawTable

ERR = "_errors"
PERSON = "_person"   # identity.PERSON: a derived person id's link triples, stored with the row
SHANGHAI = ZoneInfo("Asia/Shanghai")
EARLIEST = dt.datetime(2000, 1, 1)


@dataclass
class Checked:
    accepted: pl.DataFrame   # typed feed columns + _row + _extra
    rejected: pl.DataFrame   # _row, column, value, reason_zh, reason_en, raw (json of the row as given)


def _typed(col: Column, frame: pl.DataFrame) -> pl.Expr:
    text = pl.col(col.name)
    if col.kind == TIMESTAMP:
        return pl.lit(parse.timestamp(frame[col.name]))
    if col.kind == DATE:
        return pl.lit(parse.date(frame[col.name]))
    # column by column: each parser's cheap path (a plain number cast, each distinct word parsed once)
    if col.kind == FLOAT:
        return pl.lit(parse.number_values(frame[col.name]))
    if col.kind == INT:
        return pl.lit(parse.integer_values(frame[col.name]))
    if col.kind == ENUM:
        return pl.lit(parse.by_distinct(frame[col.name], lambda t: parse.enum(t, col.enum), pl.Utf8))
    if col.kind == BOOL:
        return pl.lit(parse.by_distinct(frame[col.name], parse.boolean, pl.Boolean))
    return pl.when(text != "").then(text)


def _expected(col: Column) -> tuple[str, str]:
    if col.kind in (TIMESTAMP, DATE):
        return ("应为日期时间，如 2025-06-03 14:05、2025/6/3 14:05 或 2025年6月3日 14:05",
                "expected a date/time such as 2025-06-03 14:05, 2025/6/3 14:05 or 2025年6月3日 14:05")
    if col.kind == FLOAT:
        return "应为数字", "expected a number"
    if col.kind == INT:
        return "应为整数", "expected a whole number"
    if col.kind == BOOL:
        return "应为 是/否", "expected yes/no (是/否, true/false, 1/0)"
    words = "、".join(f"{aliases[0] if aliases else k}（{k}）" for k, aliases in col.enum.items())
    return f"应为以下之一：{words}", f"expected one of: {', '.join(col.enum)}"


def _issue(column: str, header: str, zh: str, en: str) -> pl.Expr:
    return pl.struct(pl.lit(column).alias("column"),
                     pl.lit(f"“{header}”列：{zh}").alias("reason_zh"),
                     pl.lit(f"column '{header}': {en}").alias("reason_en"))


def import_moment() -> dt.datetime:
    """Now, as Shanghai's wall clock: a time more than a day after it is out of range."""
    return dt.datetime.now(SHANGHAI).replace(tzinfo=None)


def _rules(feed: Feed, raw: RawTable, now: dt.datetime) -> list[tuple[pl.Expr, pl.Expr]]:
    """(condition that makes a row bad, the issue it reports)."""
    rules: list[tuple[pl.Expr, pl.Expr]] = []
    header = {c.name: raw.mapping.get(c.name, c.label_zh) for c in feed.columns}
    for col in feed.columns:
        given = pl.col(col.name).is_not_null() & (pl.col(col.name) != "")
        typed = pl.col(f"{col.name}__typed")
        if col.required:
            rules.append((~given, _issue(col.name, header[col.name], "缺少必填值，请补上",
                                         "a required value is missing")))
        zh, en = ("", "") if col.kind in ("id", "text") else _expected(col)
        if zh:
            rules.append((given & typed.is_null(), _issue(col.name, header[col.name], f"无法识别的值，{zh}",
                                                          f"unrecognised value, {en}")))
        if col.kind in (TIMESTAMP, DATE):
            earliest, latest = (EARLIEST, now + dt.timedelta(days=1))
            if col.kind == DATE:
                earliest, latest = earliest.date(), latest.date()
            rules.append((((typed < earliest) | (typed > latest)).fill_null(False),
                          _issue(col.name, header[col.name],
                                 "日期超出可信范围（早于 2000年1月1日，或晚于导入时刻一天以上），请核对年份",
                                 "the date is out of range (before 2000-01-01, or more than one day after "
                                 "the import); check the year")))
        if col.kind in (FLOAT, INT):
            rules.append((personal.holds_personal_value(pl.col(col.name)),
                          _issue(col.name, header[col.name], "这里是手机号或身份证号，不是数字，请核对这一列",
                                 "holds a phone or ID-card number, not a number; check the column")))
        if col.non_negative:
            rules.append(((typed < 0).fill_null(False),
                          _issue(col.name, header[col.name], "不能为负数", "must not be negative")))
    for later, earlier in feed.order_checks:
        rules.append(((pl.col(f"{later}__typed") < pl.col(f"{earlier}__typed")).fill_null(False),
                      _issue(later, header[later], f"早于“{header[earlier]}”，请核对时间",
                             f"is before '{header[earlier]}'; check the times")))
    return rules


def check(raw: RawTable, now: dt.datetime | None = None) -> Checked:
    """`now`: the moment of import (a file read in chunks checks every chunk against the same one)."""
    feed = FEEDS[raw.kind]
    frame = raw.frame.with_columns([_typed(c, raw.frame).alias(f"{c.name}__typed") for c in feed.columns])
    rules = _rules(feed, raw, now or import_moment())
    is_bad = frame.select(pl.any_horizontal([cond for cond, _ in rules]).alias("bad"))["bad"]
    good = frame.filter(~is_bad) if is_bad.any() else frame
    # Reasons are spelled out only for the bad rows: most files have few.
    bad = frame.filter(is_bad).with_columns(
        pl.concat_list([pl.when(cond).then(issue) for cond, issue in rules]).list.drop_nulls().alias(ERR))
    person = [pl.col(PERSON)] if PERSON in good.columns else [pl.lit(None, dtype=pl.Utf8).alias(PERSON)]
    accepted = good.select([pl.col(f"{c.name}__typed").alias(c.name) for c in feed.columns]
                           + [pl.col(ROW), pl.col(EXTRA)] + person)
    return Checked(accepted, rejections(bad, feed))


def row_as_given(feed: Feed) -> pl.Expr:
    """A quarantined row as JSON: Linli's columns and the file's other columns (_extra), so that the
    fix file downloaded from the dashboard carries the whole row; personal numbers masked."""
    own = pl.struct(feed.names).struct.json_encode()
    extra = pl.col(EXTRA)
    merged = pl.when(extra.is_not_null() & (extra != "{}")).then(
        pl.concat_str([own.str.strip_suffix("}"), pl.lit(","), extra.str.strip_prefix("{")])).otherwise(own)
    return personal.mask(merged).alias("raw")


def rejections(bad: pl.DataFrame, feed: Feed) -> pl.DataFrame:
    """One row per rejected source row, reasons joined, the row as given kept as JSON."""
    if bad.height == 0:
        return pl.DataFrame(schema={ROW: pl.Int64, "columns": pl.Utf8, "reason_zh": pl.Utf8,
                                    "reason_en": pl.Utf8, "raw": pl.Utf8})
    raw_json = bad.select(row_as_given(feed))["raw"]
    return bad.select(
        pl.col(ROW).cast(pl.Int64),
        pl.col(ERR).list.eval(pl.element().struct.field("column")).list.join(",").alias("columns"),
        pl.col(ERR).list.eval(pl.element().struct.field("reason_zh")).list.join("；").alias("reason_zh"),
        pl.col(ERR).list.eval(pl.element().struct.field("reason_en")).list.join("; ").alias("reason_en"),
    ).with_columns(raw_json)
