"""Downloads: CSV that a spreadsheet opens as data, never as formulas, and keeps numbers as numbers.

A text cell beginning with = + - @, a tab or a carriage return is what Excel, WPS and LibreOffice
read as the start of a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`, `@SUM(...)`); imported
names, ids and file names reach the downloads as written, so every download goes through here.
"""
from __future__ import annotations

import datetime as dt
import re

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


def short_period(grain: str, start: dt.date, lang: str = "zh") -> str:
    """2026年第48周 / 2026年12月: a period's name without its days, for file names."""
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}年第{week}周" if lang == "zh" else f"{year}-W{week:02d}"
    return f"{start.year}年{start.month}月" if lang == "zh" else f"{start.year}-{start.month:02d}"


def file_stem(place: str, grain: str, start: dt.date, what: str, lang: str = "zh") -> str:
    """花溪街道_2026年第48周_街道对比: the street or community, the period and what the file is, in the
    UI language, so a file forwarded to a chat says what it holds; characters that Windows or a phone's
    file system refuse become _."""
    name = f"{place}_{short_period(grain, start, lang)}_{what}"
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(". ") or "linli"
