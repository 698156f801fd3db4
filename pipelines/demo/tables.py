"""The demo's CSV files as the importer reads them, without reading them back.

The demo writes each CSV and then imports it. Reading it again (decoding GB18030, finding the header
row, parsing every cell) only recovers the text the demo held a moment before, so the demo hands the
importer that text instead: the same cells as strings under the same headers, through the reader's
own second half (`readers._to_canonical`: canonical names, cleaning, personal columns, masking, the
`_row` numbers and `_extra`), then `store.import_table`, the importer's own second half. What the
importer stores is therefore what `import_file` would store from the file on disk: the file's SHA-256
included, so importing the written file again is the usual no-op
(tests/pipelines/test_demo_tables.py compares the two tables for every demo CSV).
"""
from __future__ import annotations

import polars as pl

from pipelines.feeds import FEEDS
from pipelines.ingest import readers

# the encoding readers.decode_bytes names for the bytes the demo writes (its GB18030 files all hold Chinese)
ENCODING_NAMES = {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "gb18030": "GB18030/GBK"}


def csv_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Each column as the text polars writes into a CSV, and reads back with every column as text: an
    empty cell is null, as `pl.read_csv` gives it."""
    text = frame.select(pl.all().cast(pl.Utf8))
    return text.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in text.columns)


def table_in_memory(file_name: str, kind: str, cells: pl.DataFrame, header_row: int, encoding: str,
                    sha256: str) -> readers.RawTable:
    """What `readers.read_table` makes of a CSV whose header row (numbered as a spreadsheet shows it)
    holds `cells.columns` and whose rows below hold `cells` (text, empty cells null)."""
    feed = FEEDS[kind]
    headers = list(cells.columns)
    frame = cells.rename({h: f"c{i}" for i, h in enumerate(headers)})
    table = readers._to_canonical(file_name, kind, feed, readers._header_index(feed), headers, frame,
                                  header_row, ENCODING_NAMES[encoding])
    table.source_headers = headers
    table.sha256 = sha256
    return table
