"""A large CSV read a chunk of records at a time, so that an import's memory does not grow with the file.

The bytes are read three ways, never all at once: in blocks for the file's sha256 (the same file twice is
a no-op) and whether it is UTF-8 throughout (else it is GB18030, as readers.decode_bytes decides); its
beginning, for the header row, found as readers finds it; then in pieces cut where a record ends (a
newline outside quotes; neither UTF-8 nor GBK has a newline or a quote inside a character). Each piece
is read by polars as the whole file would be (the header record put before it) and made canonical by
readers._to_canonical, its rows numbered on from the piece before. Nothing of it is written anywhere.

A file is read whole (readers.read_table) where its chunks could read otherwise than the whole: .xlsx
(its reader is bounded already), UTF-16, a profile (lines may be grouped across rows), the communities
list (checked whole for who may change it), and a file of no more than one chunk.
"""
from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import personal
from pipelines.errors import FileRefused
from pipelines.feeds import FEEDS, resolve_kind
from pipelines.ingest import profiles, readers
from pipelines.ingest.readers import (HEAD_CHARS, LooksLikeData, RawTable, _header_index, _no_header_row,
                                      _refuse_other_formats, _sniff_csv, _to_canonical, check_file, csv_frame,
                                      frame_headers, grew, mostly_identifiers, no_data_rows, no_header_found,
                                      read_table, scan_index, undecodable, unreadable)

CHUNK_BYTES = 8 << 20      # a piece of the file read at once (about 140 k rows of an orders export)
BLOCK = 8 << 20            # the hashing pass reads this much at a time
BOM = b"\xef\xbb\xbf"


class ReadWhole(Exception):
    """The chunks read otherwise than the whole file would (an unknown column the first chunk took for an
    identifier column, or not, where the whole file decides otherwise): the import starts again from
    readers.read_table."""


def record_end(data: bytes) -> int:
    """Where the last whole record of `data` ends (after its newline), 0 for none; `data` starts a record.
    A newline ends a record when the quotes before it are paired (a quoted cell may hold newlines)."""
    nl = data.rfind(b"\n")
    if nl < 0:
        return 0
    quotes = data.count(b'"', 0, nl)
    while quotes % 2:
        prev = data.rfind(b"\n", 0, nl)
        if prev < 0:
            return 0
        quotes -= data.count(b'"', prev, nl)
        nl = prev
    return nl + 1


def first_record_end(data: bytes) -> int:
    """Where the first record of `data` ends (after its newline; the end of `data` when none does)."""
    pos, quotes = 0, 0
    while (nl := data.find(b"\n", pos)) >= 0:
        quotes += data.count(b'"', pos, nl)
        if quotes % 2 == 0:
            return nl + 1
        pos = nl + 1
    return len(data)


def _newlines_before(path: Path, stop: int) -> int:
    """Newlines in the file's first `stop` bytes (a message's line number; read again only then)."""
    count, pos = 0, 0
    with open(path, "rb") as fh:
        while pos < stop and (block := fh.read(min(BLOCK, stop - pos))):
            count += block.count(b"\n")
            pos += len(block)
    return count


@dataclass
class CsvChunks:
    path: Path
    file_name: str
    kind: str
    sha256: str
    encoding: str
    header_row: int
    headers: list[str]
    delimiter: str
    start: int                  # where the text starts (after a BOM)
    lines_before: int           # physical lines above the header row
    utf8_stop: int | None       # where the bytes stopped being UTF-8 (a GB18030 file)
    candidates: tuple = ()
    dropped: list[str] | None = None                           # unknown columns dropped as identifiers
    counts: dict[str, list[int]] = field(default_factory=dict)  # unknown column -> cells given, bare numbers
    rows: int = 0               # the rows read (a blank line is none)

    def whole(self) -> RawTable:
        return read_table(self.path, self.kind, display_name=self.file_name, candidates=self.candidates)

    def _refusal(self, offset: int) -> FileRefused:
        """A piece GB18030 cannot read: the line readers.decode_bytes names for the whole file."""
        stop = self.utf8_stop if self.utf8_stop and _newlines_before(self.path, self.utf8_stop) else offset
        return undecodable(self.file_name, _newlines_before(self.path, stop) + 1)

    def _pieces(self) -> Iterator[bytes]:
        """Consecutive runs of whole records from the header row on, each about CHUNK_BYTES, as UTF-8."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.start)
                offset, pending, skip = self.start, b"", self.lines_before
                while True:
                    block = fh.read(CHUNK_BYTES)
                    data = pending + block if pending else block
                    while skip and data:      # title lines above the header row are physical lines
                        nl = data.find(b"\n")
                        cut = len(data) if nl < 0 else nl + 1
                        data, offset, skip = data[cut:], offset + cut, skip - (nl >= 0)
                    cut = len(data) if not block else record_end(data)
                    if cut:
                        yield self._utf8(data[:cut], offset)
                        offset += cut
                    if not block:
                        return
                    pending = data[cut:]
        except OSError as exc:
            raise unreadable(self.file_name, exc) from None

    def _utf8(self, piece: bytes, offset: int) -> bytes:
        if self.encoding != "GB18030/GBK":
            return piece
        try:
            return piece.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._refusal(offset + exc.start) from None

    def tables(self) -> Iterator[RawTable]:
        """The file's rows as RawTables of consecutive rows, as readers.read_table would read them."""
        feed = FEEDS[self.kind]
        index = _header_index(feed)
        header = b""
        self.rows, self.counts, records = 0, {}, 0
        for n, piece in enumerate(self._pieces()):
            if n == 0:
                header = piece[:first_record_end(piece)]
            frame = csv_frame(piece if n == 0 else header + piece, self.delimiter, self.file_name)
            if n and frame.height == 0:
                continue
            frame.columns = [f"c{i}" for i in range(frame.width)]
            del piece
            table = _to_canonical(self.file_name, self.kind, feed, index, self.headers, frame, self.header_row,
                                  self.encoding, first_row=self.header_row + 1 + records, dropped=self.dropped)
            records += frame.height      # a row's number counts the blank lines above it
            self.rows += table.frame.height
            del frame
            if self.dropped is None:
                self.dropped = list(table.dropped_by_value)
            for h, (given, bare) in table.identifier_counts.items():
                total = self.counts.setdefault(h, [0, 0])
                total[0] += given
                total[1] += bare
            table.source_headers = [str(h or "") for h in self.headers]
            table.sha256 = self.sha256
            yield table
        if self.rows == 0:
            raise no_data_rows(self.file_name, self.header_row)

    def dropped_as_whole(self) -> bool:
        """Whether the identifier columns the first chunk decided are those the whole file decides."""
        return [h for h, (given, bare) in self.counts.items() if mostly_identifiers(given, bare)] == (self.dropped or [])


def _scan(path: Path, file_name: str, start: int) -> tuple[str, int | None]:
    """The file's sha256, and where its bytes after `start` stop being UTF-8 (None: they never do)."""
    digest, stop, size, pending, offset = hashlib.sha256(), None, 0, b"", start
    try:
        with open(path, "rb") as fh:
            while block := fh.read(BLOCK):
                digest.update(block)
                size += len(block)
                if size > readers.MAX_FILE_BYTES:    # it grew while we read it
                    raise grew(file_name)
                if stop is not None:
                    continue
                if size - len(block) < start:
                    block = block[start - (size - len(block)):]
                data = pending + block if pending else block
                cut = data.rfind(b"\n") + 1       # a newline is never inside a UTF-8 character
                try:
                    data[:cut].decode("utf-8")
                except UnicodeDecodeError as exc:
                    stop = offset + exc.start
                pending, offset = data[cut:], offset + cut
    except OSError as exc:
        raise unreadable(file_name, exc) from None
    if stop is None and pending:
        try:
            pending.decode("utf-8")
        except UnicodeDecodeError as exc:
            stop = offset + exc.start
    return digest.hexdigest(), stop


def open_table(path: str | Path, kind: str, sheet: str | None = None, display_name: str | None = None,
               profile=None, candidates=()) -> RawTable | CsvChunks:
    """readers.read_table's file, as a RawTable when it is read whole, else as CsvChunks (see above)."""
    path = Path(path)
    whole = lambda: read_table(path, kind, sheet=sheet, display_name=display_name, profile=profile,  # noqa: E731
                               candidates=candidates)
    file_name = display_name or path.name
    kind = resolve_kind(kind)
    if profile is not None or kind not in FEEDS or kind == "communities":
        return whole()
    feed = FEEDS[kind]
    check_file(path, file_name)
    try:
        if path.stat().st_size <= CHUNK_BYTES:
            return whole()
        with open(path, "rb") as fh:
            first = fh.read(8192)
    except OSError:
        return whole()          # read_table says why
    if first[:4] == b"PK\x03\x04" or first.startswith((b"\xff\xfe", b"\xfe\xff")):
        return whole()
    _refuse_other_formats(first, file_name)
    start = 3 if first.startswith(BOM) else 0
    sha, utf8_stop = _scan(path, file_name, start)
    if start and utf8_stop is not None:
        # as decode_bytes counts it: the position in the text after the BOM, as a position in the file
        raise undecodable(file_name, _newlines_before(path, utf8_stop - start) + 1)
    encoding = "UTF-8 (BOM)" if start else "UTF-8" if utf8_stop is None else "GB18030/GBK"
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(HEAD_CHARS * 4 + 4)
    decoder = codecs.getincrementaldecoder("gb18030" if encoding == "GB18030/GBK" else "utf-8")("strict")
    try:
        head = decoder.decode(data, final=len(data) < HEAD_CHARS * 4 + 4)[:HEAD_CHARS]
    except UnicodeDecodeError as exc:
        chunks = CsvChunks(path, file_name, kind, sha, encoding, -1, [], ",", start, 0, utf8_stop)
        raise chunks._refusal(start + exc.start) from None
    index = _header_index(feed)
    try:
        sniffed = _sniff_csv(head, scan_index(index, None, candidates))
    except LooksLikeData as exc:
        raise _no_header_row(file_name, feed, exc.row) from None
    if sniffed is None:
        raise no_header_found(file_name, kind, feed)
    delimiter, head_rows, offsets, h = sniffed
    chunks = CsvChunks(path, file_name, kind, sha, encoding, h + 1, [], delimiter, start,
                       offsets[h - 1] if h > 0 else 0, utf8_stop, tuple(candidates))
    # the header cells as polars splits them, as read_table takes them (its record: the lines up to its end)
    top = "\n".join(head.split("\n")[chunks.lines_before:offsets[h]]).encode("utf-8") + b"\n"
    headers = frame_headers(head_rows[h], csv_frame(top, delimiter, file_name))
    headers = [personal.mask_text(x) if isinstance(x, str) else x for x in headers]
    if profiles.choose(list(candidates), headers) is not None:
        return whole()
    chunks.headers = headers
    return chunks
