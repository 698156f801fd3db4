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
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines import personal
from pipelines.errors import FileRefused
from pipelines.feeds import (
    DATE,
    FEEDS,
    ID,
    NOT_PERSONAL_EN,
    NOT_PERSONAL_WORDS_EN,
    PERSONAL_HEADER_WORDS,
    PERSONAL_HEADER_WORDS_EN,
    PERSONAL_PRIORITY,
    PERSONAL_SUFFIXES_EN,
    TEXT,
    TIMESTAMP,
    WEAK_PERSONAL_EN,
    Feed,
    resolve_kind,
)
from pipelines.ingest import profiles
from pipelines.ingest.headers import normalize_header
from pipelines.ingest.xlsx import read_sheet

HEADER_SCAN_ROWS = 30
HEAD_CHARS = 200_000    # the header row is looked for in the first rows, all within this many characters
ROW = "_row"
EXTRA = "_extra"
MAX_FILE_BYTES = int(float(os.environ.get("LINLI_MAX_FILE_MB", "200")) * (1 << 20))
# Control characters (NUL, ESC of terminal sequences, bidi overrides) never reach the store; text keeps \t \n.
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
ID_CONTROL = r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"


@dataclass
class RawTable:
    file_name: str
    kind: str
    frame: pl.DataFrame            # canonical columns as strings, plus _row and _extra
    header_row: int
    encoding: str
    mapping: dict[str, str] = field(default_factory=dict)   # canonical -> header as written
    ignored: list[str] = field(default_factory=list)         # headers Linli does not use, kept with the row (_extra)
    personal: list[str] = field(default_factory=list)        # personal by header: dropped, or a person id's source
    sha256: str = ""                                          # of the file's bytes: the same file twice is a no-op
    dropped_by_value: list[str] = field(default_factory=list)  # unknown columns that are phone/ID numbers, dropped
    masked: dict[str, int] = field(default_factory=dict)       # header -> cells whose phone/ID numbers were masked
    # The person's identifiers per row, in memory only: [(kind, normalised value)], strongest first.
    identifiers: list[list[tuple[str, str]]] | None = None
    id_sources: list[str] = field(default_factory=list)        # headers the person id is derived from
    profile: str | None = None                                 # the import profile applied, if any
    skipped_by_profile: list = field(default_factory=list)     # profiles.Skipped: rows its filter left out
    source_headers: list[str] = field(default_factory=list)    # the header row as the file wrote it
    # per unknown column: (cells given, cells that are bare phone/ID numbers); a file read in chunks sums them
    identifier_counts: dict[str, tuple[int, int]] = field(default_factory=dict)


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


def _english_words(header: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header))
    return re.findall(r"[a-z]+", spaced.lower())


def is_personal_header(header: str) -> bool:
    h = normalize_header(header)
    if any(word in h for word in PERSONAL_HEADER_WORDS):
        return True
    words = _english_words(header)
    if any(w in PERSONAL_HEADER_WORDS_EN for w in words):
        return True
    if any(w in NOT_PERSONAL_EN for w in words):
        return False
    return any(w in WEAK_PERSONAL_EN or (w.endswith(PERSONAL_SUFFIXES_EN) and w not in NOT_PERSONAL_WORDS_EN)
               for w in words)


def identifier_kind(header: str) -> str | None:
    """idcard / phone / name for a personal header that identifies the person; None for other personal data."""
    h, words = normalize_header(header), _english_words(header)
    for kind, hints in PERSONAL_PRIORITY:
        if any((w in h) if not w.isascii() else (w in words or w == "".join(words)) for w in hints):
            return kind
    return None


def decode_bytes(data: bytes, file_name: str) -> tuple[str, str]:
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), "UTF-16"
        try:
            return data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as not_utf8:
            utf8_stop = not_utf8.start
            return data.decode("gb18030"), "GB18030/GBK"
    except UnicodeDecodeError as exc:
        # neither reads the whole file: two encodings pasted together; the other one starts where UTF-8 stopped
        stop = utf8_stop if "utf8_stop" in locals() and utf8_stop > 0 and data.count(b"\n", 0, utf8_stop) else exc.start
        raise undecodable(file_name, data.count(b"\n", 0, stop) + 1) from None


def undecodable(file_name: str, line: int) -> FileRefused:
    return FileRefused(file_name, f"第 {line} 行有无法识别的字符（既不是 UTF-8 也不是 GBK，常见于把两种编码的文件拼在一起）。"
                                  "请用 Excel 或记事本把整个文件另存为 UTF-8 或 GBK 编码的 CSV，或另存为 Excel 文件。",
                       f"line {line} holds characters that are neither UTF-8 nor GBK (often two files of different "
                       "encodings pasted together). Save the whole file as UTF-8 or GBK CSV, or as Excel.")


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        # long digit strings typed as numbers (an ID-card number Excel kept to 15 digits) stay digits
        return str(int(value))
    return str(value)


def _column_text(values: list[object]) -> list[str | None] | pl.Series:
    """A column of cell values as text; a column of only text, or only date-times, without a Python call per cell."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {str}:
        return values
    if kinds == {dt.datetime, str}:      # the reader gives "" for an empty cell
        values = [None if v == "" else v for v in values]
        kinds = set(map(type, values)) - {type(None)}
    if kinds == {dt.datetime}:
        return pl.Series(values, dtype=pl.Datetime("us")).dt.to_string("%Y-%m-%d %H:%M:%S%.f")
    if dt.date in kinds and kinds <= {dt.datetime, dt.date, str} and {v for v in values if type(v) is str} <= {""}:
        # calamine gives a date-time at midnight as a date: those cells read as dates, "" stays "",
        # each as _cell_text writes it, without a Python call per cell
        types = list(map(type, values))
        is_date = pl.Series([t is dt.date for t in types])
        is_empty = pl.Series([t is str for t in types])
        stamps = pl.Series([None if t is str else v for t, v in zip(types, values)], dtype=pl.Datetime("us"),
                           strict=False)
        return pl.select(pl.when(pl.lit(is_empty)).then(pl.lit(""))
                         .when(pl.lit(is_date)).then(pl.lit(stamps).dt.to_string("%Y-%m-%d"))
                         .otherwise(pl.lit(stamps).dt.to_string("%Y-%m-%d %H:%M:%S%.f"))).to_series()
    return [_cell_text(v) for v in values]


def is_data_row(row: list[object]) -> bool:
    """A row with a cell that is a phone or ID-card number is a register's data, never its header row
    (a headerless register's first row would otherwise be offered, shown and saved as column names)."""
    return any(c is not None and personal.is_identifier(_cell_text(c)) for c in row)   # Excel keeps phones as numbers


class LooksLikeData(Exception):
    """No header row: the first row holding personal numbers (`index` in the rows read; `row`, the
    number a spreadsheet shows, once the reader knows it) is data."""

    def __init__(self, index: int, row: int = 0):
        super().__init__(index, row)
        self.index, self.row = index, row


def _find_header(rows: list[list[object]], index: dict[str, str], header_at: int | None = None) -> int:
    """The header row's index, -1 for none; LooksLikeData when the row found, or the first row, is data."""
    if header_at is not None:       # a profile says how many rows to skip
        if header_at < len(rows) and is_data_row(rows[header_at]):
            raise LooksLikeData(header_at)
        return header_at if header_at < len(rows) else -1
    best, best_hits = -1, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if is_data_row(row):
            continue
        hits = len({_match(str(c), index) for c in row if c not in (None, "") and _match(str(c), index)})
        if hits > best_hits:
            best, best_hits = i, hits
    if best_hits < 2:
        data = next((i for i, row in enumerate(rows[:HEADER_SCAN_ROWS]) if is_data_row(row)), None)
        if data is not None:
            raise LooksLikeData(data)
        return -1
    return best


def _head(text: str, delimiter: str) -> tuple[list[list[object]], list[int]]:
    reader = csv.reader(io.StringIO(text[:HEAD_CHARS]), delimiter=delimiter)
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


def _utf8_body(data: bytes, text: str, encoding: str) -> bytes:
    """The file as UTF-8 bytes for polars: the bytes as read when they are UTF-8 already (decoding
    them only proved it), else the decoded text encoded once. Never a StringIO, which polars would
    copy to a str and encode again."""
    if encoding == "UTF-8":
        return data
    if encoding == "UTF-8 (BOM)":
        return data[3:]
    return text.encode("utf-8")


def _sniff_csv(text: str, index: dict[str, str], header_at: int | None = None):
    """The separator, the first rows as read under it, the physical line where each ends, and the header
    row's index among them, from the file's beginning `text`; None when no header row is found."""
    # The separator is the one under which a header row is recognised best, not the most frequent
    # character: Chinese free text is full of "，" and amounts of ",".
    best = (-1, ",", [], [])
    data_rows: list[int] = []    # under a separator that splits the cells right, a data row shows itself
    for delimiter in (",", "\t", ";", "，", "|"):
        rows, offsets = _head(text, delimiter)
        try:
            h = _find_header(rows, index, header_at)
        except LooksLikeData as exc:
            data_rows.append(offsets[exc.index - 1] + 1 if exc.index > 0 else 1)
            continue
        hits = len({_match(str(c), index) for c in rows[h] if _match(str(c), index)}) if h >= 0 else -1
        if hits > best[0]:
            best = (hits, delimiter, rows, offsets)
    hits, delimiter, head_rows, offsets = best
    # a profile's fixed header row is data if any separator shows it so (the others leave it one cell)
    if data_rows and (hits < 0 or header_at is not None):
        raise LooksLikeData(-1, min(data_rows))
    if hits < 0:
        return None
    return delimiter, head_rows, offsets, _find_header(head_rows, index, header_at)


def csv_frame(body: bytes, delimiter: str, file_name: str, skip_lines: int = 0) -> pl.DataFrame:
    """UTF-8 CSV bytes whose first record (after `skip_lines` physical lines) is the header: every column as text."""
    if delimiter == "，":
        # UTF-8 is self-synchronising: replacing the bytes of "，" replaces exactly its characters
        body, delimiter = body.replace("，".encode(), b","), ","
    try:
        # skip_lines skips physical lines, as splitting the text at its first `skip_lines` newlines did
        return pl.read_csv(body, separator=delimiter, infer_schema=False, has_header=True,
                           truncate_ragged_lines=True, skip_lines=skip_lines)
    except Exception as exc:  # polars raises several types for broken CSV
        raise FileRefused(file_name, f"CSV 格式无法解析：{exc}。请检查引号和分隔符。",
                          f"the CSV cannot be parsed: {exc}. Check quotes and separators.") from None


def frame_headers(header_cells: list[object], frame: pl.DataFrame) -> list[str]:
    """The header row's cells as the file wrote them (polars' names when it split the row otherwise);
    the frame's columns become c0, c1, …"""
    headers = [str(c) for c in header_cells]
    if len(headers) != frame.width:
        headers = list(frame.columns)
    frame.columns = [f"c{i}" for i in range(frame.width)]
    return headers


def _read_csv_text(text: str, file_name: str, index: dict[str, str],
                   header_at: int | None = None, body: bytes | None = None) -> tuple[list[str], pl.DataFrame, int]:
    """`text`: the file's beginning (the header is looked for there); `body`: the whole file as UTF-8
    bytes (None: `text` is the whole file)."""
    if body is None:
        body = text.encode("utf-8")
    sniffed = _sniff_csv(text, index, header_at)
    if sniffed is None:
        return [], pl.DataFrame(), -1
    delimiter, head_rows, offsets, h = sniffed
    frame = csv_frame(body, delimiter, file_name, offsets[h - 1] if h > 0 else 0)
    return frame_headers(head_rows[h], frame), frame, h + 1


def _read_xlsx(path: Path, file_name: str, index: dict[str, str], sheet: str | None,
               header_at: int | None = None) -> tuple[list[str], pl.DataFrame, int]:
    def header(rows: list[list[object]], numbers: list[int]) -> int:
        try:
            return _find_header(rows, index, header_at)
        except LooksLikeData as exc:
            raise LooksLikeData(exc.index, numbers[exc.index]) from None

    # Every column as text, built column by column (_column_text): a column empty for its first hundreds
    # of rows and filled later is normal in registers and must not trip type inference.
    found = read_sheet(path, file_name, sheet, header, _column_text, head=max(HEADER_SCAN_ROWS, (header_at or 0) + 1))
    if found is None:
        return [], pl.DataFrame(), -1
    cells, frame, header_row = found
    return [_cell_text(c) or "" for c in cells], frame, header_row


# What a file is, by its first bytes, when it is neither CSV nor .xlsx.
MAGIC = ((b"%PDF", "PDF 文档", "a PDF document"), (b"\x89PNG", "PNG 图片", "a PNG image"),
         (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"), (b"GIF8", "GIF 图片", "a GIF image"),
         (b"\x1f\x8b", "gzip 压缩包", "a gzip archive"), (b"7z\xbc\xaf", "7z 压缩包", "a 7z archive"),
         (b"Rar!", "RAR 压缩包", "a RAR archive"), (b"\x7fELF", "程序文件", "a program"),
         (b"MZ", "Windows 程序", "a Windows program"), (b"SQLite format 3", "SQLite 数据库", "an SQLite database"),
         (b"{\\rtf", "RTF 文档", "an RTF document"))


def _refuse_other_formats(data: bytes, file_name: str) -> None:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRefused(file_name, "这是旧版 .xls 文件（或加密的 Excel 文件）。请在 Excel 中另存为 .xlsx 或 CSV 后再导入。",
                          "this is a legacy .xls file (or an encrypted Excel file). Save it as .xlsx or CSV in Excel.")
    if data[8:12] == b"DUCK":
        raise FileRefused(file_name, "这是一个 DuckDB 数据库文件，不是 CSV 或 Excel 表格。",
                          "this is a DuckDB database file, not a CSV or Excel sheet.")
    for magic, zh, en in MAGIC:
        if data.startswith(magic):
            raise FileRefused(file_name, f"这是{zh}，不是 CSV 或 Excel 表格。请导入 CSV 或 .xlsx 文件。",
                              f"this is {en}, not a CSV or Excel sheet. Import a CSV or .xlsx file.")
    head = data[:8192]
    # a stray NUL in a register is a typo (cleaned later); a file full of them is binary
    if head.count(b"\x00") > max(8, len(head) // 100) and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(file_name, "这是二进制文件，不是 CSV 或 Excel 表格。请导入 CSV 或 .xlsx 文件。",
                          "this is a binary file, not a CSV or Excel sheet. Import a CSV or .xlsx file.")
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        raise FileRefused(file_name, "文件扩展名是 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的 CSV 或其他文件）。"
                                     "请在 Excel 中打开后另存为 .xlsx。",
                          "the name ends in .xlsx but the content is not an Excel workbook (perhaps a renamed CSV "
                          "or another file). Open it in Excel and save it as .xlsx.")


def check_file(path: Path, file_name: str) -> None:
    """Refuse what is not a regular file or is over the size limit, before reading it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileRefused(file_name, f"找不到这个文件（{path}）。请检查路径和文件名。",
                          f"there is no such file ({path}). Check the path and name.") from None
    except OSError as exc:
        raise FileRefused(file_name, f"文件无法读取（{exc.strerror}）。", f"the file cannot be read ({exc.strerror}).") from None
    if not os.path.isfile(path):
        raise FileRefused(file_name, "这不是一个普通文件（是文件夹或设备）。请选择 CSV 或 .xlsx 文件。",
                          "this is not a regular file (a folder or a device). Choose a CSV or .xlsx file.")
    limit_mb = MAX_FILE_BYTES / (1 << 20)
    if info.st_size > MAX_FILE_BYTES:
        raise FileRefused(file_name, f"文件有 {info.st_size / (1 << 20):,.0f} MB，超过 {limit_mb:,.0f} MB 的上限。请按月份拆分后分别导入。",
                          f"the file is {info.st_size / (1 << 20):,.0f} MB, over the {limit_mb:,.0f} MB limit. "
                          "Split it (by month, say) and import the parts.")


def unreadable(file_name: str, exc: OSError) -> FileRefused:
    return FileRefused(file_name, f"文件无法读取（{exc.strerror}），请确认文件没有被其他程序占用、有读取权限。",
                       f"the file cannot be read ({exc.strerror}); check it is not locked and is readable.")


def grew(file_name: str) -> FileRefused:
    limit_mb = MAX_FILE_BYTES / (1 << 20)
    return FileRefused(file_name, f"文件超过 {limit_mb:,.0f} MB 的上限。", f"the file is over the {limit_mb:,.0f} MB limit.")


def _read_bytes(path: Path, file_name: str) -> bytes:
    """The file's bytes, refusing what is not a regular file or is over the size limit before reading it."""
    check_file(path, file_name)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise unreadable(file_name, exc) from None
    if len(data) > MAX_FILE_BYTES:    # it grew while we read it
        raise grew(file_name)
    return data


def _no_header_row(file_name: str, feed: Feed, row: int) -> FileRefused:
    names = [c.aliases[0] if c.aliases else c.name for c in feed.columns if c.required]
    return FileRefused(file_name, f"这个文件似乎没有表头行：第 {row} 行含手机号或身份证号，看起来是数据，不是列名。"
                                  f"请在数据上方加一行列名（需要的列：{'、'.join(names)}）后重新导入；"
                                  "导入档案按列名对应各列，所以同样需要这一行。",
                       f"the file seems to have no header row: row {row} holds a phone or ID-card number, so it "
                       f"looks like data, not column names. Add a row of column names above the data (required: "
                       f"{', '.join(c.name for c in feed.columns if c.required)}) and import again; an import "
                       "profile matches columns by their names, so it needs that row too.")


def feed_for(kind: str, file_name: str, profile=None) -> Feed:
    """The feed a file is read as, refusing an unknown kind or a profile for another one."""
    if kind not in FEEDS:
        raise FileRefused(file_name, f"未知的数据类型“{kind}”。可用类型：{'、'.join(FEEDS)}。",
                          f"unknown kind '{kind}'. Known kinds: {', '.join(FEEDS)}.")
    feed = FEEDS[kind]
    if profile is not None and profile.kind != kind:
        raise FileRefused(file_name, f"导入档案“{profile.name}”用于{FEEDS[profile.kind].label_zh}数据，不是{feed.label_zh}数据。"
                                     "请换一个档案，或选对数据类型。",
                          f"import profile '{profile.name}' is for {profile.kind}, not {kind}. "
                          "Choose another profile or the right kind.")
    return feed


def scan_index(index: dict[str, str], profile, candidates) -> dict[str, str]:
    """The headers the header row is looked for by: a profile's count too (an export in English, say)."""
    scan = dict(index)
    for p in [profile, *candidates] if profile else candidates:
        scan.update({normalize_header(h): "~" + normalize_header(h) for h in p.identifying_headers()})
    return scan


def no_header_found(file_name: str, kind: str, feed: Feed) -> FileRefused:
    expected = "、".join(f"{c.aliases[0] if c.aliases else c.name}({c.name})" for c in feed.columns if c.required)
    return FileRefused(file_name, f"在前 {HEADER_SCAN_ROWS} 行中找不到{feed.label_zh}数据的表头。需要的列：{expected}。",
                       f"no header row for {kind} found in the first {HEADER_SCAN_ROWS} rows. "
                       f"Required columns: {', '.join(c.name for c in feed.columns if c.required)}.")


def no_data_rows(file_name: str, header_row: int) -> FileRefused:
    return FileRefused(file_name, f"第 {header_row} 行是表头，但下面没有任何数据行。请确认导出的是有数据的那一页。",
                       f"row {header_row} is a header, but no data rows follow. Check that the export holds data.")


def read_table(path: str | Path, kind: str, sheet: str | None = None, display_name: str | None = None,
               profile=None, candidates=()) -> RawTable:
    """`profile` (profiles.Profile) is applied to the sheet; without one, the first of `candidates`
    whose headers the file has is."""
    path = Path(path)
    file_name = display_name or path.name
    kind = resolve_kind(kind)
    feed = feed_for(kind, file_name, profile)
    index = _header_index(feed)
    scan = scan_index(index, profile, candidates)
    header_at = profile.skip_rows if profile else None
    data = _read_bytes(path, file_name)
    sha = hashlib.sha256(data).hexdigest()
    try:
        if data[:4] == b"PK\x03\x04":
            headers, frame, header_row = _read_xlsx(path, file_name, scan, sheet, header_at)
            encoding = "xlsx"
        else:
            _refuse_other_formats(data, file_name)
            text, encoding = decode_bytes(data, file_name)
            body = _utf8_body(data, text, encoding)
            head = text[:HEAD_CHARS]
            del data, text
            headers, frame, header_row = _read_csv_text(head, file_name, scan, header_at, body)
            del body
    except LooksLikeData as exc:
        raise _no_header_row(file_name, feed, exc.row) from None
    # Headers are data too: a phone or ID number in one is masked before anything shows, stores
    # (the _extra keys, the quarantine's JSON, the report's column lists) or saves it (a profile).
    headers = [personal.mask_text(h) if isinstance(h, str) else h for h in headers]
    if header_row < 0:
        raise no_header_found(file_name, kind, feed)
    if profile is None and header_row >= 0:
        profile = profiles.choose(list(candidates), headers)
    sources: dict[str, str] = {}
    skipped = []
    source_headers = [str(h or "") for h in headers]
    if profile is not None and header_row >= 0:
        headers, frame, sources, skipped = profiles.apply(profile, headers, frame, header_row, file_name)
    table = _to_canonical(file_name, kind, feed, index, headers, frame, header_row, encoding)
    # messages name the columns as the file wrote them, not as the profile renamed them
    table.mapping.update({f: h for f, h in sources.items() if f in table.mapping})
    table.profile = profile.name if profile is not None else None
    table.skipped_by_profile = skipped
    table.source_headers = source_headers
    if table.frame.height == 0:
        raise no_data_rows(file_name, header_row)
    table.sha256 = sha
    return table


# What hand-kept registers write for "nothing here"; read as an empty cell.
PLACEHOLDERS = ("-", "--", "—", "——", "/", "n/a", "na", "null", "none", "nan", "无", "空")
# ... and, in a time column, for "not yet" (未取件, 未办结, 在职).
NOT_YET = ("未取", "未取件", "未领取", "未办结", "未结", "办理中", "处理中", "在职", "至今")


def _blank_placeholders(text: pl.Expr, kind: str) -> pl.Expr:
    words = PLACEHOLDERS + (NOT_YET if kind in (TIMESTAMP, DATE) else ())
    # every spelling listed, so no cell needs lower-casing (a pass over the whole column)
    spellings = sorted({v for w in words for v in (w, w.upper(), w.title())} | {""})
    return pl.when(text.is_in(spellings)).then(None).otherwise(text)


NEUTRALISED = "^\\s*'[=+\\-@]"
# strip_chars() takes Unicode White_Space, which is what \s means to polars' (Rust's) regex
EDGE_SPACE = r"^\s|\s$"


def _cleaning_needs(frame: pl.DataFrame, columns: dict[str, bool]) -> dict[str, tuple[bool, bool, bool]]:
    """Per source column (name -> is an id column): does it hold (control characters, a neutralised
    cell, a cell with surrounding spaces)? One regex pass over each column asks all three at once, all
    columns in parallel; only a column that holds one of them is asked which (most hold none)."""
    if not columns:
        return {}
    def control(src: str) -> str:
        return ID_CONTROL if columns[src] else CONTROL
    anything = frame.select([pl.col(src).str.contains(f"{control(src)}|{NEUTRALISED}|{EDGE_SPACE}").any().alias(src)
                             for src in columns]).row(0, named=True)
    some = [src for src in columns if anything[src]]
    which = frame.select([e for src in some for e in (
        pl.col(src).str.contains(control(src)).any().alias(f"{src}\x00c"),
        pl.col(src).str.contains(NEUTRALISED).any().alias(f"{src}\x00q"),
        pl.col(src).str.contains(EDGE_SPACE).any().alias(f"{src}\x00s"))]).row(0, named=True) if some else {}
    return {src: (bool(which[f"{src}\x00c"]), bool(which[f"{src}\x00q"]), bool(which[f"{src}\x00s"]))
            if src in some else (False, False, False) for src in columns}


def _cleaned(frame: pl.DataFrame, src: str, is_id: bool, needs: tuple[bool, bool, bool] | None = None) -> pl.Expr:
    """A column without control characters and surrounding spaces. Each costly pass runs only on
    a column that needs it (most need none): a whole-column check is several times cheaper."""
    if needs is None:
        needs = _cleaning_needs(frame, {src: is_id})[src]
    text = pl.col(src)
    if needs[0]:
        text = text.str.replace_all(ID_CONTROL if is_id else CONTROL, "")
    # a control character gone may leave spaces at an edge; a neutralised cell may start with spaces
    if any(needs):
        text = text.str.strip_chars()
    # A cell our own fix-file download neutralised ('=…, '-5) reads back as it was; so does one a control
    # character stood before (removed above), whichever other cells of the column are neutralised.
    if needs[1] or needs[0]:
        text = text.str.replace(r"^'([=+\-@])", "$1")
    return text


def identifier_counts(values: pl.Series) -> tuple[int, int]:
    """An unknown column's cells given, and how many of them are bare phone or ID numbers."""
    counts = pl.select(pl.lit(values).str.strip_chars().pipe(lambda v: pl.struct(
        given=(v.is_not_null() & (v != "")).sum(), bare=personal.is_bare_identifier(v).sum()))).item()
    return counts["given"], counts["bare"]


def mostly_identifiers(given: int, bare: int) -> bool:
    """An unknown column whose values are, for the most part, bare phone or ID numbers is an identifier column."""
    return given > 0 and bare * 2 > given


def _to_canonical(file_name, kind, feed, index, headers, frame, header_row, encoding,
                  first_row: int | None = None, dropped: list[str] | None = None) -> RawTable:
    """`first_row`: the number of the frame's first row (default: the one after the header); `dropped`:
    the unknown columns to drop as identifiers (default: those that mostly are, in this frame)."""
    mapping: dict[str, str] = {}
    personal_cols: dict[str, str] = {}
    extra: dict[str, str] = {}
    selected: dict[str, str] = {}
    for i, header in enumerate(headers):
        canonical = _match(header, index)
        if canonical and canonical not in mapping:
            mapping[canonical] = header
            selected[canonical] = f"c{i}"
        elif is_personal_header(header):
            personal_cols[str(header)] = f"c{i}"
        elif str(header).strip():
            name = str(header).strip()
            # a second 社区 column must not pose as the row's community in the quarantine's JSON
            clash = name in extra or name in feed.names or _match(name, index) is not None
            extra[f"{name}（第{i + 1}列）" if clash else name] = f"c{i}"
    sources = {h: src for h, src in personal_cols.items() if feed.person_column and identifier_kind(h)}
    missing = [c for c in feed.columns if c.required and c.name not in mapping
               and not (c.name == feed.person_column and sources)]
    if missing:
        zh = "、".join(f"{c.label_zh}（{c.name}）" for c in missing)
        raise FileRefused(file_name, f"缺少必需的列：{zh}。请在第 {header_row} 行表头中加上这些列。",
                          f"required column(s) missing: {', '.join(c.name for c in missing)}. "
                          f"Add them to the header in row {header_row}.")
    if "_xlsx_row" in frame.columns:
        row_numbers = frame["_xlsx_row"].alias(ROW)
    else:
        start = header_row + 1 if first_row is None else first_row
        row_numbers = pl.int_range(start, start + frame.height, eager=True).alias(ROW)
    is_id = {name: feed.column(name).kind == ID for name in selected}
    needs = _cleaning_needs(frame, {**{src: False for src in extra.values()},
                                    **{src: is_id[name] for name, src in selected.items()}})
    out = frame.select([_blank_placeholders(_cleaned(frame, src, is_id[name], needs[src]), feed.column(name).kind)
                        .alias(name) for name, src in selected.items()])
    for col in feed.columns:
        if col.name not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.Utf8).alias(col.name))
    # Unknown columns (备注, 快递员, …) are kept with the row as JSON, so nothing imported is lost,
    # unless they are identifiers (a phone list under an unknown header): those are dropped.
    counts = {h: identifier_counts(frame[src]) for h, src in extra.items()}
    dropped_by_value = ([h for h in extra if mostly_identifiers(*counts[h])] if dropped is None
                        else [h for h in extra if h in dropped])
    kept = {h: src for h, src in extra.items() if h not in dropped_by_value}
    extras = frame.select([_cleaned(frame, src, False, needs[src]).alias(h) for h, src in kept.items()])
    # Free text: phone and ID numbers inside are masked. Id columns are left for the store, which
    # replaces such values with keyed hashes (distinct ids stay distinct). A typed column (time,
    # number, enumeration) holding one is a bad value: its row is quarantined, and the quarantine
    # masks the row as given (validate.rejections).
    masked: dict[str, int] = {}
    text_cols = [c for c in out.columns if feed.column(c).kind == TEXT]
    for target, names, header_of in ((out, text_cols, lambda c: mapping.get(c, c)), (extras, extras.columns, str)):
        if not names:
            continue
        hits = target.select([personal.holds_personal_value(pl.col(c)).sum().alias(c) for c in names]).row(0, named=True)
        for c, n in hits.items():
            if n:
                masked[header_of(c)] = n
    # only the cells that hold a number go through the masker's four replacements
    out = out.with_columns([personal.mask_where_held(out[c]) for c in text_cols if mapping.get(c, c) in masked])
    extras = extras.with_columns([personal.mask_where_held(extras[c]) for c in extras.columns if c in masked])
    extra_json = (extras.select(pl.struct(pl.all()).struct.json_encode().alias(EXTRA))[EXTRA]
                  if extras.width else pl.lit(None, dtype=pl.Utf8).alias(EXTRA))
    out = out.with_columns(row_numbers, extra_json)
    identifiers = None
    if sources:
        identifiers = _row_identifiers(frame, sources)
        out = out.with_columns(pl.Series("_has_person", [bool(x) for x in identifiers]))
    # Rows with no value at all are blank lines in the sheet, not data.
    keep = pl.any_horizontal([pl.col(c).is_not_null() & (pl.col(c) != "") for c in feed.names])
    if sources:
        keep = keep | pl.col("_has_person")
    mask_keep = out.select(keep.alias("k"))["k"]
    if not mask_keep.all():          # a copy of every column only when a blank line is there to drop
        out = out.filter(mask_keep)
    if identifiers is not None:
        identifiers = [ids for ids, k in zip(identifiers, mask_keep) if k]
    return RawTable(file_name, kind, out.select([*feed.names, ROW, EXTRA]), header_row, encoding,
                    mapping, list(kept), list(personal_cols), dropped_by_value=dropped_by_value, masked=masked,
                    identifiers=identifiers, id_sources=list(sources), identifier_counts=counts)


def _row_identifiers(frame: pl.DataFrame, sources: dict[str, str]) -> list[list[tuple[str, str]]]:
    """Per row, the person's identifiers from the personal columns, strongest first (ID card, phone, name)."""
    rank = {kind: i for i, (kind, _) in enumerate(PERSONAL_PRIORITY)}
    ordered = sorted(sources.items(), key=lambda item: rank[identifier_kind(item[0])])
    columns = [(identifier_kind(h), frame[src].to_list()) for h, src in ordered]
    rows: list[list[tuple[str, str]]] = []
    for values in zip(*[v for _, v in columns]):
        ids = []
        for (kind, _), value in zip(columns, values):
            if value is None:
                continue
            norm = personal.normalise_identifier(kind, str(value))
            if norm and (kind, norm) not in ids:
                ids.append((kind, norm))
        rows.append(ids)
    return rows
