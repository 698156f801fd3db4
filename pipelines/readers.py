"""Read a user's CSV or .xlsx into a frame of strings with canonical column names.

Encoding is detected from the bytes (BOM, strict UTF-8, else GB18030, which is
a superset of GBK); the header row is the first row that looks like one, so
title lines such as "A社区7月投诉登记表" above it are skipped. Every data row
keeps the row number a spreadsheet would show, so messages can point at it.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .errors import FileRefused
from .feeds import DATE, FEEDS, PERSONAL_HEADER_WORDS, TIMESTAMP, Feed, resolve_kind
from .personal import derive_person_ids

HEADER_SCAN_ROWS = 30
ROW = "_row"
EXTRA = "_extra"


@dataclass
class RawTable:
    file_name: str
    kind: str
    frame: pl.DataFrame            # canonical columns as strings, plus _row and _extra
    header_row: int
    encoding: str
    mapping: dict[str, str] = field(default_factory=dict)   # canonical -> header as written
    ignored: list[str] = field(default_factory=list)         # headers we did not use
    personal: list[str] = field(default_factory=list)        # personal headers, dropped
    sha256: str = ""                                          # of the file's bytes: the same file twice is a no-op


def normalize_header(text: object) -> str:
    s = str(text or "").strip().lower()
    s = s.replace("（", "(").replace("）", ")").replace("＊", "*")
    s = re.sub(r"[\s*:：_\-]+", "", s)
    return s


def _header_index(feed: Feed) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in feed.columns:
        for word in (col.name, *col.aliases):
            index.setdefault(normalize_header(word), col.name)
    return index


def _match(header: str, index: dict[str, str]) -> str | None:
    h = normalize_header(header)
    if h in index:
        return index[h]
    without_unit = re.sub(r"\(.*?\)$", "", h)   # 金额(元) -> 金额
    return index.get(without_unit)


def _is_personal(header: str) -> bool:
    h = normalize_header(header)
    return any(word in h for word in PERSONAL_HEADER_WORDS)


def decode_bytes(data: bytes, file_name: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030/GBK"
    except UnicodeDecodeError as exc:
        raise FileRefused(file_name, f"无法识别文件编码（第 {exc.start} 字节处）。请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel 文件。",
                          f"unrecognised text encoding (at byte {exc.start}). Save it as UTF-8 or GBK CSV, or as Excel.") from None


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _find_header(rows: list[list[object]], index: dict[str, str]) -> int:
    best, best_hits = -1, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = len({_match(str(c), index) for c in row if c not in (None, "") and _match(str(c), index)})
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits >= 2 else -1


def _head(text: str, delimiter: str) -> tuple[list[list[object]], list[int]]:
    reader = csv.reader(io.StringIO(text[:200000]), delimiter=delimiter)
    rows: list[list[object]] = []
    offsets: list[int] = []   # physical line where each record ends
    try:
        for row in reader:
            rows.append(row)
            offsets.append(reader.line_num)
            if len(rows) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:
        pass
    return rows, offsets


def _read_csv_text(text: str, file_name: str, index: dict[str, str]) -> tuple[list[str], pl.DataFrame, int]:
    # The separator is the one under which a header row is recognised best, not the most frequent
    # character: Chinese free text is full of "，" and amounts of ",".
    best = (-1, ",", [], [])
    for delimiter in (",", "\t", ";", "，", "|"):
        rows, offsets = _head(text, delimiter)
        h = _find_header(rows, index)
        hits = len({_match(str(c), index) for c in rows[h] if _match(str(c), index)}) if h >= 0 else -1
        if hits > best[0]:
            best = (hits, delimiter, rows, offsets)
    hits, delimiter, head_rows, offsets = best
    if hits < 0:
        return [], pl.DataFrame(), -1
    h = _find_header(head_rows, index)
    if delimiter == "，":
        text, delimiter = text.replace("，", ","), ","
    lines_before = offsets[h - 1] if h > 0 else 0
    body = text.split("\n", lines_before)[-1] if lines_before else text
    try:
        frame = pl.read_csv(io.StringIO(body), separator=delimiter, infer_schema=False, has_header=True,
                            truncate_ragged_lines=True)
    except Exception as exc:  # polars raises several types for broken CSV
        raise FileRefused(file_name, f"CSV 格式无法解析：{exc}。请检查引号和分隔符。",
                          f"the CSV cannot be parsed: {exc}. Check quotes and separators.") from None
    headers = [str(c) for c in head_rows[h]]
    if len(headers) == frame.width:
        frame.columns = [f"c{i}" for i in range(frame.width)]
    else:
        headers = list(frame.columns)
        frame.columns = [f"c{i}" for i in range(frame.width)]
    return headers, frame, h + 1


def _read_xlsx(path: Path, file_name: str, index: dict[str, str], sheet: str | None) -> tuple[list[str], pl.DataFrame, int]:
    import openpyxl  # imported here: only Excel files pay for it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileRefused(file_name, f"Excel 文件无法打开（{exc}）。请确认是 .xlsx 格式且未加密。",
                          f"the Excel file cannot be opened ({exc}). Make sure it is .xlsx and not encrypted.") from None
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
    except KeyError:
        raise FileRefused(file_name, f"找不到工作表“{sheet}”。", f"there is no sheet named '{sheet}'.") from None
    rows: list[list[object]] = []
    numbers: list[int] = []
    for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
        rows.append(list(row))
        numbers.append(n)
    wb.close()
    h = _find_header(rows, index)
    if h < 0:
        return [], pl.DataFrame(), -1
    headers = [_cell_text(c) or "" for c in rows[h]]
    width = len(headers)
    data = [[_cell_text(v) for v in (r + [None] * width)[:width]] for r in rows[h + 1:]]
    frame = pl.DataFrame(data, schema=[f"c{i}" for i in range(width)], orient="row") if data else \
        pl.DataFrame(schema={f"c{i}": pl.Utf8 for i in range(width)})
    return headers, frame.cast(pl.Utf8), numbers[h]


def read_table(path: str | Path, kind: str, sheet: str | None = None, display_name: str | None = None) -> RawTable:
    path = Path(path)
    file_name = display_name or path.name
    kind = resolve_kind(kind)
    if kind not in FEEDS:
        raise FileRefused(file_name, f"未知的数据类型“{kind}”。可用类型：{'、'.join(FEEDS)}。",
                          f"unknown kind '{kind}'. Known kinds: {', '.join(FEEDS)}.")
    feed = FEEDS[kind]
    index = _header_index(feed)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileRefused(file_name, f"找不到这个文件（{path}）。请检查路径和文件名。",
                          f"there is no such file ({path}). Check the path and name.") from None
    except OSError as exc:
        raise FileRefused(file_name, f"文件无法读取（{exc.strerror}），请确认文件没有被其他程序占用、有读取权限。",
                          f"the file cannot be read ({exc.strerror}); check it is not locked and is readable.") from None
    if data[:4] == b"PK\x03\x04":
        headers, frame, header_row = _read_xlsx(path, file_name, index, sheet)
        encoding = "xlsx"
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRefused(file_name, "这是旧版 .xls 文件。请在 Excel 中另存为 .xlsx 或 CSV 后再导入。",
                          "this is a legacy .xls file. Save it as .xlsx or CSV in Excel and import again.")
    else:
        text, encoding = decode_bytes(data, file_name)
        headers, frame, header_row = _read_csv_text(text, file_name, index)
    if header_row < 0:
        expected = "、".join(f"{c.aliases[0] if c.aliases else c.name}({c.name})" for c in feed.columns if c.required)
        raise FileRefused(file_name, f"在前 {HEADER_SCAN_ROWS} 行中找不到{feed.label_zh}数据的表头。需要的列：{expected}。",
                          f"no header row for {kind} found in the first {HEADER_SCAN_ROWS} rows. "
                          f"Required columns: {', '.join(c.name for c in feed.columns if c.required)}.")
    table = _to_canonical(file_name, kind, feed, index, headers, frame, header_row, encoding)
    table.sha256 = hashlib.sha256(data).hexdigest()
    return table


# What hand-kept registers write for "nothing here"; read as an empty cell.
PLACEHOLDERS = ("-", "--", "—", "——", "/", "n/a", "na", "null", "none", "nan", "无", "空")
# ... and, in a time column, for "not yet" (未取件, 未办结, 在职).
NOT_YET = ("未取", "未取件", "未领取", "未办结", "未结", "办理中", "处理中", "在职", "至今")


def _blank_placeholders(text: pl.Expr, kind: str) -> pl.Expr:
    words = PLACEHOLDERS + (NOT_YET if kind in (TIMESTAMP, DATE) else ())
    return pl.when(text.str.to_lowercase().is_in(list(words)) | (text == "")).then(None).otherwise(text)


def _to_canonical(file_name, kind, feed, index, headers, frame, header_row, encoding) -> RawTable:
    mapping: dict[str, str] = {}
    personal: dict[str, str] = {}
    ignored: list[str] = []
    extra: dict[str, str] = {}
    selected: dict[str, str] = {}
    for i, header in enumerate(headers):
        canonical = _match(header, index)
        if canonical and canonical not in mapping:
            mapping[canonical] = header
            selected[canonical] = f"c{i}"
        elif _is_personal(header):
            personal[header] = f"c{i}"
        elif str(header).strip():
            ignored.append(str(header))
            name = str(header).strip()
            extra[name if name not in extra else f"{name}_{i}"] = f"c{i}"
    missing = [c for c in feed.columns if c.required and c.name not in mapping
               and not (c.name == feed.person_column and personal)]
    if missing:
        zh = "、".join(f"{c.label_zh}（{c.name}）" for c in missing)
        raise FileRefused(file_name, f"缺少必需的列：{zh}。请在第 {header_row} 行表头中加上这些列。",
                          f"required column(s) missing: {', '.join(c.name for c in missing)}. "
                          f"Add them to the header in row {header_row}.")
    row_numbers = pl.int_range(header_row + 1, header_row + 1 + frame.height, eager=True).alias(ROW)
    out = frame.select([_blank_placeholders(pl.col(src).str.strip_chars(), feed.column(name).kind).alias(name)
                        for name, src in selected.items()])
    for col in feed.columns:
        if col.name not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.Utf8).alias(col.name))
    # Columns Linli has no use for (备注, 快递员, …) are kept with the row as JSON: nothing imported is lost.
    extra_json = (frame.select(pl.struct([pl.col(src).alias(h) for h, src in extra.items()])
                               .struct.json_encode().alias(EXTRA))[EXTRA]
                  if extra else pl.lit(None, dtype=pl.Utf8).alias(EXTRA))
    out = out.with_columns(row_numbers, extra_json)
    if personal:
        values = frame.select([pl.col(src).alias(h) for h, src in personal.items()])
        derived = derive_person_ids(values)
        if feed.person_column:
            out = out.with_columns(pl.when(pl.col(feed.person_column).is_null() | (pl.col(feed.person_column) == ""))
                                   .then(derived).otherwise(pl.col(feed.person_column)).alias(feed.person_column))
    # Rows with no value at all are blank lines in the sheet, not data.
    out = out.filter(pl.any_horizontal([pl.col(c).is_not_null() & (pl.col(c) != "") for c in feed.names]))
    return RawTable(file_name, kind, out.select([*feed.names, ROW, EXTRA]), header_row, encoding,
                    mapping, ignored, list(personal))
