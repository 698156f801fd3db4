"""Read an .xlsx sheet into text columns, by its content and in bounded memory.

A sheet's declared `<dimension>` is often stale, and a 5 KB file can claim a cell at XFD1048576,
hide an 800 MB string, or hold 20,000,000 cells of `<v>1</v>` in 600 KB. So before anything is
read, the sheet's XML is scanned as a stream: the rows and columns its cells really use, how many
cells there are, and the longest text. A sheet beyond SPEC §4's limits is refused. A small sheet
is read by the Rust reader (calamine), whose grid costs about 70 bytes a cell of the sheet's area;
any other sheet is read row by row (openpyxl), keeping only the columns under the header row and
packing them into text every few hundred thousand cells, so memory follows the cells kept.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

from pipelines.errors import FileRefused

MAX_ROWS = 1_048_576
MAX_COLUMNS = 1_000
MAX_CELL_CHARS = 32_767                  # Excel's own limit
MAX_TEXT_RUN = MAX_CELL_CHARS * 6 + 64   # UTF-8 and entity escapes (&amp;) in XML
MAX_XML_BYTES = 2 << 30                  # uncompressed size of one sheet or the shared strings
# One cell's XML (rich text runs, tags between its characters) may be longer than its text, never this long.
MAX_CELL_XML = 4 << 20
CELL_STARTS = (b"<c ", b"<c>", b"<si>", b"<si ", b"<row", b"</sheetData")
# calamine builds the whole grid (about 70 bytes a cell, empty or not) before giving one row: only
# a sheet this small (~140 MB of grid at most) goes that fast way.
DENSE_CELLS = 2_000_000
PACK_CELLS = 200_000                     # cells held as Python values before they are packed into text columns
HEAD_ROWS = 30
CHUNK = 1 << 20
_CELL_COLUMN = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,4})\d')
_CELL_ROW = re.compile(rb'<c\b[^>]*?\br="[A-Z]{1,4}(\d{1,9})"')
_ROW = re.compile(rb'<row\b[^>]*?\br="(\d{1,9})"')
# A cell without its address (r="B7") is placed by counting; its column is then unknown to the scan.
_UNADDRESSED = re.compile(rb'<c>|<c\s(?![^>]*\br=)[^>]*>')


@dataclass
class SheetShape:
    rows: int
    columns: int
    cells: int
    unaddressed: bool = False          # some cell has no r="…": its column is known only when the row is read


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _refuse(file_name: str, zh: str, en: str) -> FileRefused:
    return FileRefused(file_name, zh, en)


def _sheet_paths(z: zipfile.ZipFile, file_name: str) -> dict[str, str]:
    """Sheet name -> path of its XML inside the zip, in workbook order."""
    def small(name: str) -> bytes:
        info = z.getinfo(name)
        if info.file_size > 16 << 20:
            raise _refuse(file_name, "工作簿目录大得不正常，文件可能已损坏。", "the workbook index is abnormally large; the file may be damaged.")
        return z.read(name)
    try:
        book = ET.fromstring(small("xl/workbook.xml"))
        rels = ET.fromstring(small("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        raise _refuse(file_name, "这是一个 ZIP 压缩包，但不是 Excel 工作簿（缺少 xl/workbook.xml）。请在 Excel 中另存为 .xlsx。",
                      "this is a ZIP archive but not an Excel workbook (no xl/workbook.xml). Save it as .xlsx in Excel.") from None
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    out: dict[str, str] = {}
    for sheet in book.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        t = target.get(rid, "")
        path = t.lstrip("/") if t.startswith("/") else str(PurePosixPath("xl") / t)
        out[sheet.get("name", "")] = path
    return out


def _scan(z: zipfile.ZipFile, member: str, file_name: str, shape: bool) -> SheetShape:
    try:
        info = z.getinfo(member)
    except KeyError:
        return SheetShape(0, 0, 0)
    if info.file_size > MAX_XML_BYTES:
        raise _refuse(file_name, f"工作表解压后超过 {MAX_XML_BYTES >> 30} GB，超出可导入的大小。请拆分后再导入。",
                      f"a sheet unpacks to more than {MAX_XML_BYTES >> 30} GB, beyond what can be imported. Split it.")
    max_row = max_col = rows = cells = 0
    unaddressed = False
    run = 0            # characters since the last '<' (text of one cell, at most)
    since = 0          # bytes since the last cell (or shared string) began
    tail = b""
    too_long = _refuse(file_name, f"有单元格的内容超过 Excel 的上限（{MAX_CELL_CHARS:,} 个字符），文件可能已损坏或被篡改。",
                       f"a cell holds more than Excel's limit of {MAX_CELL_CHARS:,} characters; "
                       "the file may be damaged or tampered with.")
    # Everything below runs inside the regex and bytes methods (C), never a Python loop over cells:
    # a 100,000-row sheet is scanned in a fraction of the time the reader then takes.
    with z.open(member) as fh:
        while chunk := fh.read(CHUNK):
            starts = [i for i in (chunk.find(t) for t in CELL_STARTS) if i >= 0]
            if starts:
                gap = since + min(starts)
                since = len(chunk) - max(chunk.rfind(t) for t in CELL_STARTS)
            else:
                gap = since = since + len(chunk)
            first_lt, longest = _text_runs(chunk)
            if gap > MAX_CELL_XML or run + first_lt > MAX_TEXT_RUN or longest > MAX_TEXT_RUN:
                raise too_long
            run = len(chunk) - 1 - chunk.rfind(b"<") if first_lt < len(chunk) else run + len(chunk)
            if shape:
                window = tail + chunk
                cells += (tail[-2:] + chunk).count(b"<c ") + (tail[-2:] + chunk).count(b"<c>")
                rows += (tail[-3:] + chunk).count(b"<row")
                letters = set(_CELL_COLUMN.findall(window))
                if letters:
                    max_col = max(max_col, max(_column_number(c) for c in letters))
                numbers = set(_CELL_ROW.findall(window)) | set(_ROW.findall(window))   # a row's cells share it
                if numbers:
                    max_row = max(max_row, max(map(int, numbers)))
                unaddressed = unaddressed or _UNADDRESSED.search(window) is not None
                tail = chunk[-256:]
    return SheetShape(max(max_row, rows), max_col, cells, unaddressed)


def _text_runs(chunk: bytes) -> tuple[int, int]:
    """Bytes before the chunk's first '<' (all of it when it has none), and the longest run of bytes
    without a '<' (what chunk.split(b"<") would give as its first and its longest piece), found from the
    positions of the '<' at C speed, without a bytes object for each of the hundreds of thousands of pieces."""
    import numpy as np

    where = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == ord("<"))
    if where.size == 0:
        return len(chunk), len(chunk)
    inner = int(np.diff(where).max()) - 1 if where.size > 1 else 0
    return int(where[0]), max(int(where[0]), inner, len(chunk) - 1 - int(where[-1]))


def _too_large(file_name: str, name: str, rows: int, columns: int) -> FileRefused:
    return _refuse(file_name, f"工作表“{name}”的内容超出范围（{rows:,} 行、{columns:,} 列；上限 {MAX_ROWS:,} 行、"
                              f"{MAX_COLUMNS:,} 列）。常见原因是远处某个单元格里有多余内容：请删除多余的行列后另存。",
                   f"sheet '{name}' is too large ({rows:,} rows, {columns:,} columns; the limit is "
                   f"{MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns). Often a stray cell far away: delete unused rows "
                   "and columns and save again.")


def _checked_sheet(path: Path, file_name: str, sheet: str | None) -> tuple[str, SheetShape]:
    """The sheet's name and shape, refusing a damaged, encrypted or oversized workbook before reading a cell."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(file_name, f"Excel 文件已损坏，无法打开（{exc}）。请在 Excel 中重新另存为 .xlsx。",
                      f"the Excel file is damaged and cannot be opened ({exc}). Save it again as .xlsx in Excel.") from None
    with z:
        if "EncryptedPackage" in z.namelist():
            raise _refuse(file_name, "文件已加密。请在 Excel 中取消密码后另存。", "the file is encrypted. Remove the password in Excel and save again.")
        paths = _sheet_paths(z, file_name)
        if not paths:
            raise _refuse(file_name, "工作簿里没有工作表。", "the workbook has no sheets.")
        if sheet is not None and sheet not in paths:
            raise _refuse(file_name, f"找不到工作表“{sheet}”。现有工作表：{'、'.join(paths)}。",
                          f"there is no sheet named '{sheet}'. Sheets: {', '.join(paths)}.")
        name = sheet if sheet is not None else next(iter(paths))
        shape = _scan(z, paths[name], file_name, shape=True)
        _scan(z, "xl/sharedStrings.xml", file_name, shape=False)
    if shape.rows > MAX_ROWS or shape.columns > MAX_COLUMNS:
        raise _too_large(file_name, name, shape.rows, shape.columns)
    return name, shape


def _damaged(file_name: str, exc: Exception) -> FileRefused:
    return _refuse(file_name, f"Excel 文件无法读取（{exc}）。请在 Excel 中重新另存为 .xlsx。",
                   f"the Excel file cannot be read ({exc}). Save it again as .xlsx in Excel.")


def _rows(path: Path, file_name: str, name: str, shape: SheetShape, small: bool) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cell values) from the first row holding a value on; rows between are
    given too (empty), so that an index into the rows is the same whichever reader ran. `small`: the
    caller reads a few rows only, so the whole grid is not worth building."""
    if not small and not shape.unaddressed and shape.rows * shape.columns <= DENSE_CELLS:
        yield from _dense(path, file_name, name)
    else:
        yield from _streamed(path, file_name, name)


def _dense(path: Path, file_name: str, name: str) -> Iterator[tuple[int, list]]:
    import python_calamine

    try:
        # from the bytes, not the path: calamine picks the format by extension, and a workbook named .xls is .xlsx
        with open(path, "rb") as fh:
            sheet = python_calamine.CalamineWorkbook.from_filelike(fh).get_sheet_by_name(name)
        first = sheet.start[0] + 1 if sheet.start else 1
        yield from enumerate(sheet.iter_rows(), start=first)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for damaged parts
        raise _damaged(file_name, exc) from None


def _streamed(path: Path, file_name: str, name: str) -> Iterator[tuple[int, list]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl's errors for damaged parts have no common type
        raise _damaged(file_name, exc) from None
    try:
        ws = wb[name]
        ws.reset_dimensions()      # read by content, not by the declared size
        started = False
        # openpyxl gives every row from row 1, a missing one as (): the position is the row's number
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if len(values) > MAX_COLUMNS:      # cells without an address escape the scan's column count
                raise _too_large(file_name, name, number, len(values))
            started = started or any(v not in (None, "") for v in values)
            if started:
                yield number, list(values)
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - as above
        raise _damaged(file_name, exc) from None
    finally:
        wb.close()


def _blank(values) -> bool:
    return all(v is None or v == "" for v in values)


def read_rows(path: Path, file_name: str, sheet: str | None, limit: int = HEAD_ROWS) -> tuple[list[list[object]], list[int]]:
    """The sheet's first `limit` rows from its first non-empty one (empty ones between included), and the
    spreadsheet row number of each: enough to recognise a header, never the whole sheet."""
    name, shape = _checked_sheet(Path(path), file_name, sheet)
    rows, numbers = [], []
    for number, values in _rows(Path(path), file_name, name, shape, small=True):
        rows.append(values)
        numbers.append(number)
        if len(rows) >= limit:
            break
    while rows and _blank(rows[-1]):
        rows.pop(), numbers.pop()
    return rows, numbers


def read_sheet(path: Path, file_name: str, sheet: str | None,
               find_header: Callable[[list[list[object]], list[int]], int],
               to_text: Callable[[list[object]], list | pl.Series],
               head: int = HEAD_ROWS) -> tuple[list[object], pl.DataFrame, int] | None:
    """The header row, the rows under it as text columns c0…cN plus `_xlsx_row`, and the header's row number.

    `find_header` gets the first `head` rows and their numbers and returns the header's index (-1: none,
    and nothing more is read). Only the columns up to the header's last named one are kept; empty rows
    are left out; `to_text` turns one column's values into text. None: no header row."""
    path = Path(path)
    name, shape = _checked_sheet(path, file_name, sheet)
    rows = _rows(path, file_name, name, shape, small=False)
    try:
        return _under_header(rows, head, find_header, to_text)
    finally:
        rows.close()      # the streamed workbook is closed also when the header is refused midway


def _under_header(rows: Iterator[tuple[int, list]], head: int, find_header, to_text):
    first, numbers = [], []
    for number, values in rows:
        first.append(values)
        numbers.append(number)
        if len(first) >= head:
            break
    h = find_header(first, numbers) if first else -1
    if h < 0:
        return None
    header = list(first[h])
    while header and header[-1] in (None, ""):
        header.pop()
    width = len(header)
    packed: list[list[pl.Series]] = [[] for _ in range(width)]
    packed_numbers: list[pl.Series] = []
    batch: list[list[object]] = []
    batch_numbers: list[int] = []
    per_batch = max(1, PACK_CELLS // max(width, 1))

    def pack() -> None:
        # rows are padded to the width as they are kept, so one transpose (C) gives the columns
        columns = list(zip(*batch)) if batch else [() for _ in range(width)]
        for i in range(width):
            column = to_text(list(columns[i]))
            packed[i].append(pl.Series(f"c{i}", column, dtype=pl.Utf8))
        packed_numbers.append(pl.Series("_xlsx_row", batch_numbers, dtype=pl.Int64))
        batch.clear()
        batch_numbers.clear()

    def later():
        yield from zip(numbers[h + 1:], first[h + 1:])
        yield from rows

    for number, values in later():
        kept = values[:width]
        if _blank(kept):
            continue
        if len(kept) < width:
            kept = [*kept, *[None] * (width - len(kept))]
        batch.append(kept)
        batch_numbers.append(number)
        if len(batch) >= per_batch:
            pack()
    pack()
    first.clear()
    frame = pl.DataFrame([pl.concat(parts, rechunk=True) for parts in packed] + [pl.concat(packed_numbers)])
    return header, frame, numbers[h]
