"""Read an .xlsx sheet into rows of cell values, by its content and in bounded memory.

A sheet's declared `<dimension>` is often stale, and a 5 KB file can claim a cell at XFD1048576 or
hide an 800 MB string. So before the Rust reader (calamine) builds its dense grid, the sheet's XML
is scanned as a stream: the rows and columns its cells really use, how many cells there are, and
the longest text. A sheet beyond SPEC §4's limits is refused; a sparse one (a stray far cell) is
read row by row by openpyxl instead, whose memory does not grow with the empty area.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipelines.errors import FileRefused

MAX_ROWS = 1_048_576
MAX_COLUMNS = 1_000
MAX_CELL_CHARS = 32_767                  # Excel's own limit
MAX_TEXT_RUN = MAX_CELL_CHARS * 6 + 64   # UTF-8 and entity escapes (&amp;) in XML
MAX_XML_BYTES = 2 << 30                  # uncompressed size of one sheet or the shared strings
# One cell's XML (rich text runs, tags between its characters) may be longer than its text, never this long.
MAX_CELL_XML = 4 << 20
CELL_STARTS = (b"<c ", b"<c>", b"<si>", b"<si ", b"<row", b"</sheetData")
DENSE_SLACK = 1_000_000                  # empty cells the dense reader may allocate beyond 2 per real one
CHUNK = 1 << 20
_CELL_COLUMN = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,4})\d')
_CELL_ROW = re.compile(rb'<c\b[^>]*?\br="[A-Z]{1,4}(\d{1,9})"')
_ROW = re.compile(rb'<row\b[^>]*?\br="(\d{1,9})"')


@dataclass
class SheetShape:
    rows: int
    columns: int
    cells: int


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
            pieces = chunk.split(b"<")
            if gap > MAX_CELL_XML or run + len(pieces[0]) > MAX_TEXT_RUN or max(map(len, pieces)) > MAX_TEXT_RUN:
                raise too_long
            run = len(pieces[-1]) if len(pieces) > 1 else run + len(chunk)
            if shape:
                window = tail + chunk
                cells += (tail[-2:] + chunk).count(b"<c ") + (tail[-2:] + chunk).count(b"<c>")
                rows += (tail[-3:] + chunk).count(b"<row")
                letters = set(_CELL_COLUMN.findall(window))
                if letters:
                    max_col = max(max_col, max(_column_number(c) for c in letters))
                numbers = _CELL_ROW.findall(window) + _ROW.findall(window)
                if numbers:
                    max_row = max(max_row, max(map(int, numbers)))
                tail = chunk[-256:]
    return SheetShape(max(max_row, rows), max_col, cells)


def _cells_of_row(row) -> list:
    return [c.value if c is not None and hasattr(c, "value") else None for c in row]


def read_rows(path: Path, file_name: str, sheet: str | None) -> tuple[list[list[object]], list[int]]:
    """Every non-empty row of the sheet, and the spreadsheet row number of each."""
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
        raise _refuse(file_name, f"工作表“{name}”的内容超出范围（{shape.rows:,} 行、{shape.columns:,} 列；上限 {MAX_ROWS:,} 行、"
                                 f"{MAX_COLUMNS:,} 列）。常见原因是远处某个单元格里有多余内容：请删除多余的行列后另存。",
                      f"sheet '{name}' is too large ({shape.rows:,} rows, {shape.columns:,} columns; the limit is "
                      f"{MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns). Often a stray cell far away: delete unused rows "
                      "and columns and save again.")
    if shape.rows * shape.columns <= 2 * shape.cells + DENSE_SLACK:
        return _dense(path, file_name, name)
    return _sparse(path, file_name, name)


def _dense(path: Path, file_name: str, name: str) -> tuple[list[list[object]], list[int]]:
    import python_calamine

    try:
        # from the bytes, not the path: calamine picks the format by extension, and a workbook named .xls is .xlsx
        with open(path, "rb") as fh:
            sheet = python_calamine.CalamineWorkbook.from_filelike(fh).get_sheet_by_name(name)
        first = sheet.start[0] + 1 if sheet.start else 1
        rows = sheet.to_python()          # blank rows too: the reader drops them, keeping the numbering
        numbers = list(range(first, first + len(rows)))
    except Exception as exc:  # calamine raises its own error types for damaged parts
        raise _refuse(file_name, f"Excel 文件无法读取（{exc}）。请在 Excel 中重新另存为 .xlsx。",
                      f"the Excel file cannot be read ({exc}). Save it again as .xlsx in Excel.") from None
    return rows, numbers


def _sparse(path: Path, file_name: str, name: str) -> tuple[list[list[object]], list[int]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb[name]
        ws.reset_dimensions()      # read by content, not by the declared size
        rows, numbers = [], []
        for row in ws.iter_rows():
            values = _cells_of_row(row)
            if any(v not in (None, "") for v in values):
                rows.append(values)
                numbers.append(next(c.row for c in row if getattr(c, "row", None)))
        wb.close()
    except Exception as exc:
        raise _refuse(file_name, f"Excel 文件无法读取（{exc}）。请在 Excel 中重新另存为 .xlsx。",
                      f"the Excel file cannot be read ({exc}). Save it again as .xlsx in Excel.") from None
    return rows, numbers
