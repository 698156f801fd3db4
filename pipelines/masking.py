"""Phone and ID-card numbers inside text (SPEC §3): the one definition, and the one masker.

pipelines/personal.py hands these on with the rest of the personal-data rules; this module needs
nothing but the patterns, so errors.safe_text can mask a message without importing the key handling.
"""
from __future__ import annotations

import re

import polars as pl

# ---- the one definition of a phone or ID-card number inside text ---------------------------
# Served to polars (Rust's regex) by the import and to Python's re by every single text (a file name,
# a message, a minute, a header): the same pattern strings, so the two cannot drift. Rust's regex has
# no look-around, so a number is bounded by a captured non-digit (or the text's ends); \d is Unicode's
# in both, so full-width digits are recognised as written and kept as written.
# Digits may be grouped where people group them (139 1234 5678, (139)1234-5678, +86 139…,
# 110105 19491231 002X), by any one separator below; ungrouped runs of other lengths (amounts,
# dates, postcodes, order numbers) never match.
# Unicode White_Space spelled out: Python's \s also takes \x1c-\x1f, Rust's does not.
_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Invisible characters a number copied from a web page or a chat often carries between its digits
# (zero-width space, non-joiner, joiner, word joiner, byte-order mark): they hide nothing.
_INVISIBLE = "\u200b-\u200d\u2060\ufeff"
# Between two groups: one mark, with up to two spaces on either side, as hands type it
# (139 - 1234 - 5678, 139  1234  5678).
_GAP = "[" + _SPACE + _INVISIBLE + "]{0,2}"
_SEP = "(?:" + _GAP + r"[.\-/_·・．／＿－‐‑–—]?" + _GAP + ")"
_OPEN, _CLOSE = r"[(（]?", r"[)）]?"
_COUNTRY = r"(?:" + _OPEN + r"(?:[+＋]|00)?[8８][6６]" + _CLOSE + _SEP + r")?"
_CHECK = r"[\dXxＸｘ]"
# (kept: country code, first three)(hidden: four)(kept: last four), between (boundary)…(boundary)
_PHONE = r"(" + _COUNTRY + _OPEN + r"[1１][3-9３-９]\d" + _CLOSE + r")" + _SEP + r"\d{4}" + _SEP + r"(\d{4})"
# 6-8-4 or 6-4-4-4 groups (region, birth date, sequence and check character): the first three and last four stay.
_IDCARD = r"(\d{3})\d{3}" + _SEP + r"\d{4}" + _SEP + r"\d{4}" + _SEP + r"(\d{3}" + _CHECK + r")"
PHONE_IN_TEXT = r"(^|\D)" + _PHONE + r"(\D|$)"
PHONE_MASK = "${1}${2}****${3}${4}"
IDCARD_IN_TEXT = r"(^|\D)" + _IDCARD + r"(\D|$)"
IDCARD_MASK = "${1}${2}***********${3}${4}"
PERSONAL_VALUE = IDCARD_IN_TEXT + "|" + PHONE_IN_TEXT
# the whole value is one number (an id column's cell, a header cell that is data), surrounding spaces aside
BARE_VALUE = "^[" + _SPACE + "]*(?:" + _PHONE + "|" + _IDCARD + ")[" + _SPACE + "]*$"


def _python(replacement: str) -> str:
    """Rust's ${1} as Python's \\g<1>: the replacements, like the patterns, are written once."""
    return re.sub(r"\$\{(\d+)\}", r"\\g<\1>", replacement)


_PY_IDCARD, _PY_PHONE = re.compile(IDCARD_IN_TEXT), re.compile(PHONE_IN_TEXT)
_PY_ANY, _PY_BARE = re.compile(PERSONAL_VALUE), re.compile(BARE_VALUE)
_PY_IDCARD_MASK, _PY_PHONE_MASK = _python(IDCARD_MASK), _python(PHONE_MASK)


def holds_personal_value(text: pl.Expr) -> pl.Expr:
    """True where the text contains a mainland mobile number or an 18-character ID-card number."""
    return text.str.contains(PERSONAL_VALUE).fill_null(False)


def is_bare_identifier(text: pl.Expr) -> pl.Expr:
    """True where the whole value is one phone or ID-card number (grouped or not)."""
    return text.str.contains(BARE_VALUE).fill_null(False)


def mask(text: pl.Expr) -> pl.Expr:
    """The import's masker, over a column: mask_text's patterns and replacements, in polars."""
    for _ in range(2):       # twice: a number right after another shares its boundary character
        text = text.str.replace_all(IDCARD_IN_TEXT, IDCARD_MASK).str.replace_all(PHONE_IN_TEXT, PHONE_MASK)
    return text


def mask_where_held(values: pl.Series) -> pl.Series:
    """mask over a column, run on the cells that hold a number only (in registers a few in a hundred):
    a cell without one comes out of mask as it went in, so the result is the same, without four
    replacements over every cell."""
    held = values.str.contains(PERSONAL_VALUE).fill_null(False)
    idx = held.arg_true()
    if idx.len() == 0:
        return values
    masked = pl.select(mask(pl.lit(values.gather(idx)))).to_series()
    return values.clone().scatter(idx, masked)


def mask_text(text: str) -> str:
    """One text with its phone and ID-card numbers masked, the rest as written:
    139/1234/5678 -> 139****5678, 11010519491231002x -> 110***********002x."""
    text = str(text)
    for _ in range(2):
        text = _PY_PHONE.sub(_PY_PHONE_MASK, _PY_IDCARD.sub(_PY_IDCARD_MASK, text))
    return text


def contains_personal(text: str) -> bool:
    """True when one text (a header, a file name, a profile entry) holds a phone or ID-card number."""
    return _PY_ANY.search(str(text)) is not None


def is_identifier(text: object) -> bool:
    """True when the whole text is one phone or ID-card number: a register's cell, not a column's name."""
    return text is not None and _PY_BARE.search(str(text)) is not None
