"""Downloads: CSV that a spreadsheet opens as data, never as formulas, and keeps numbers as numbers.

A text cell beginning with = + - @, a tab or a carriage return is what Excel, WPS and LibreOffice
read as the start of a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`, `@SUM(...)`); imported
names, ids and file names reach the downloads as written, so every download goes through here.
"""
from __future__ import annotations

import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """A text cell a spreadsheet would evaluate gets a leading apostrophe (OWASP's advice); others are untouched."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text cells and headers neutralised; numeric, boolean and date columns keep their type."""
    out = df.copy()
    out.columns = [neutralise(c) for c in df.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        # a -5 in a numeric column is a number, not a formula: only text can carry one
        if is_numeric_dtype(column) or is_bool_dtype(column) or is_datetime64_any_dtype(column):
            continue
        out.isetitem(i, column.astype(object).map(neutralise))
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, which is what makes Excel read the Chinese correctly.

    Rows end in CRLF (RFC 4180), so Python's csv writer also quotes a lone carriage return inside a
    cell; with bare LF endings it would leave it unquoted and a spreadsheet would split the row there.
    """
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
