"""Vectorised parsers from user text to typed values (null where unparseable).

Each returns a polars expression; a value that was given but parses to null is
what the validator reports as bad.
"""
from __future__ import annotations

import polars as pl

from pipelines.feeds import BOOL_WORDS

_TIME = r"(?:\s*(上午|下午|晚上|凌晨|中午)?\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?\s*([AaPp][Mm])?)?"
_ZONE = r"\s*(Z|[+-]\d{2}:?\d{2})?"
_YMD = r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + _ZONE + r"$"
_MDY = r"^(\d{1,2})-(\d{1,2})-(\d{4})" + _TIME + _ZONE + r"$"
_GROUPS = ["a", "b", "c", "half", "hh", "mi", "ss", "frac", "ampm", "zone"]
EXCEL_EPOCH = pl.datetime(1899, 12, 30)


def _normalized(text: pl.Expr) -> pl.Expr:
    return (text.str.strip_chars()
            .str.replace_all(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})", "$1-$2-$3")
            .str.replace_all(r"[年月/]", "-")
            .str.replace_all(r"[日号]", " ")
            .str.replace_all(r"(\d)T(\d)", "$1 $2")
            .str.replace_all(r"[时点]", ":")
            .str.replace_all(r"分", ":")
            .str.replace_all(r"秒", "")
            .str.replace_all(r":(\s|$)", "$1")
            .str.replace_all(r"\s+", " ")
            .str.strip_chars())


def _assemble(parts: pl.DataFrame, y: str, m: str, d: str) -> pl.Series:
    f = pl.col
    hour = f("hh").cast(pl.Int32, strict=False).fill_null(0)
    half = f("half")
    ampm = f("ampm").str.to_lowercase()
    pm = (ampm == "pm") | half.is_in(["下午", "晚上"])
    am = (ampm == "am") | half.is_in(["上午", "凌晨"])
    hour = (pl.when(pm.fill_null(False) & (hour < 12)).then(hour + 12)
            .when(am.fill_null(False) & (hour == 12)).then(0).otherwise(hour))
    text = pl.concat_str([
        f(y), pl.lit("-"), f(m).str.zfill(2), pl.lit("-"), f(d).str.zfill(2), pl.lit(" "),
        hour.cast(pl.Utf8).str.zfill(2), pl.lit(":"), f("mi").fill_null("0").str.zfill(2), pl.lit(":"),
        f("ss").fill_null("0").str.zfill(2)])
    ts = text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    frac = f("frac").fill_null("0").str.pad_end(6, "0").cast(pl.Int64, strict=False).fill_null(0)
    ts = ts + pl.duration(microseconds=frac)
    zone = f("zone")
    offset_min = (pl.when(zone == "Z").then(0)
                  .otherwise(zone.str.slice(0, 1).replace({"+": "1", "-": "-1"}).cast(pl.Int32, strict=False)
                             * (zone.str.replace(":", "").str.slice(1, 2).cast(pl.Int32, strict=False) * 60
                                + zone.str.replace(":", "").str.slice(3, 2).cast(pl.Int32, strict=False))))
    # Explicit offsets are converted to Shanghai wall-clock time (UTC+8).
    local = pl.when(zone.is_null()).then(ts).otherwise(ts + pl.duration(minutes=480 - offset_min))
    return parts.select(local.alias("t"))["t"]


def _slow_timestamp(text: pl.Series) -> pl.Series:
    norm = pl.select(_normalized(pl.lit(text)).alias("n"))["n"]
    ymd = _assemble(norm.str.extract_groups(_YMD).struct.rename_fields(_GROUPS).struct.unnest(), "a", "b", "c")
    mdy = _assemble(norm.str.extract_groups(_MDY).struct.rename_fields(_GROUPS).struct.unnest(), "c", "a", "b")
    compact = norm.str.strptime(pl.Datetime("us"), "%Y%m%d", strict=False)
    serial = norm.cast(pl.Float64, strict=False)
    return pl.select(pl.coalesce([
        pl.lit(ymd), pl.lit(mdy), pl.when(pl.lit(norm).str.len_chars() == 8).then(pl.lit(compact)),
        pl.when((pl.lit(serial) > 20000) & (pl.lit(serial) < 80000)).then(
            EXCEL_EPOCH + pl.duration(microseconds=(pl.lit(serial) * 86_400_000_000).round(0).cast(pl.Int64)))
    ]).alias("t"))["t"]


FAST_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def _formats_for(text: pl.Series) -> tuple[str, ...]:
    """FAST_FORMATS with the one the column's first value is written in first: an export writes every
    row alike, so one pass usually parses all. The formats match disjoint texts (each must match the
    whole text), so their order changes which pass parses a value, never what it parses to."""
    sample = text.drop_nulls().head(1)
    for fmt in FAST_FORMATS:
        if sample.len() and sample.str.strptime(pl.Datetime("us"), fmt, strict=False).is_not_null().all():
            return (fmt, *(f for f in FAST_FORMATS if f != fmt))
    return FAST_FORMATS


def timestamp(text: pl.Series) -> pl.Series:
    """Parse every form of SPEC §3; common exports take a fast path, the rest the general one."""
    text = text.str.strip_chars()
    parsed = pl.Series(text.name, [None] * len(text), dtype=pl.Datetime("us"))
    for fmt in _formats_for(text):
        todo = parsed.is_null() & text.is_not_null()
        if not todo.any():
            break
        parsed = parsed.zip_with(~todo, text.str.strptime(pl.Datetime("us"), fmt, strict=False))
    todo = parsed.is_null() & text.is_not_null() & (text != "")
    if todo.any():
        idx = todo.arg_true()
        slow = _slow_timestamp(text.gather(idx))
        parsed = parsed.scatter(idx, slow)
    # Plausibility (SPEC §4: not before 2000, not after tomorrow) is the validator's rule, with its own reason.
    return parsed.alias(text.name)


def date(text: pl.Series) -> pl.Series:
    return timestamp(text).dt.date()


def number(text: pl.Expr) -> pl.Expr:
    cleaned = text.str.replace_all(r"[¥￥元,，\s]|RMB|rmb|CNY", "")
    wan = cleaned.str.ends_with("万")      # 1.2万 = 12,000
    value = cleaned.str.strip_suffix("万").cast(pl.Float64, strict=False)
    return pl.when(wan).then(value * 10_000).otherwise(value)


def integer(text: pl.Expr) -> pl.Expr:
    return _whole(number(text))


def _whole(value: pl.Expr) -> pl.Expr:
    return pl.when(value == value.round(0)).then(value.cast(pl.Int64, strict=False))


def number_values(text: pl.Series) -> pl.Series:
    """number() over a column: a cell that is a plain number already (most are) is cast as it stands;
    only the others go through the cleaning. A text that casts contains none of the characters the
    cleaning removes, nor 万, so cast and cleaning agree on it."""
    direct = text.cast(pl.Float64, strict=False)
    todo = direct.is_null() & text.is_not_null() & (text != "")
    if not todo.any():
        return direct
    idx = todo.arg_true()
    return direct.scatter(idx, pl.select(number(pl.lit(text.gather(idx)))).to_series())


def integer_values(text: pl.Series) -> pl.Series:
    return pl.select(_whole(pl.lit(number_values(text)))).to_series().alias(text.name)


def by_distinct(text: pl.Series, parser, dtype: pl.DataType) -> pl.Series:
    """`parser` (an expression of the text) applied to each distinct value once and spread back: an
    enumeration column holds a handful of spellings over a million rows."""
    distinct = text.drop_nulls().unique()
    if distinct.len() * 2 > text.len():
        return pl.select(parser(pl.lit(text))).to_series().alias(text.name)
    parsed = pl.select(parser(pl.lit(distinct))).to_series()
    return text.replace_strict(distinct, parsed, default=None, return_dtype=dtype)


def _word(text: pl.Expr) -> pl.Expr:
    """Case, spaces, underscores and dash styles do not matter: "Livestream noise" = livestream_noise."""
    return (text.str.strip_chars().str.to_lowercase()
            .str.replace_all(r"[–—～~_\s]", "-").str.replace_all(r"-+", "-"))


def _key(word: str) -> str:
    return pl.select(_word(pl.lit(word))).item()


def enum(text: pl.Expr, words: dict[str, tuple[str, ...]]) -> pl.Expr:
    mapping: dict[str, str] = {}
    for canonical, aliases in words.items():
        for w in (canonical, *aliases):
            mapping[_key(w)] = canonical
    return _word(text).replace_strict(mapping, default=None, return_dtype=pl.Utf8)


def boolean(text: pl.Expr) -> pl.Expr:
    mapping = {_key(w): value for value, ws in BOOL_WORDS.items() for w in ws}
    return _word(text).replace_strict(mapping, default=None, return_dtype=pl.Boolean)
