"""A large CSV's rows staged a chunk at a time (chunked.CsvChunks) for store.import_chunks: the same import
as store.import_table, in memory that does not grow with the file.

Each chunk is made canonical, its id columns' personal values hashed (identity.protect), checked
(validate.check, against one moment of import) and its references looked up (store.accept); its accepted
rows are appended to a temp table of the import's connection (canonical rows, masked and hashed: what
the store holds anyway), its rejected rows kept with their reasons. What spans the file is done once
the last chunk is read: person ids (a person's id depends on every row: rows with two identifiers go
first; until then a row holds a placeholder, its identifiers' keyed hashes wait in a temp table) and
the same id twice (the lower row wins, the earlier one is quarantined, as store._apply does).
"""
from __future__ import annotations

import json

import polars as pl

from pipelines import personal
from pipelines.feeds import FEEDS, TEXT, Feed
from pipelines.ingest.chunked import CsvChunks
from pipelines.ingest.identity import assign_deferred, placeholder, protect
from pipelines.ingest.readers import ROW
from pipelines.ingest.validate import row_as_given

STAGED = "staged_rows"
PENDING = "pending_people"      # rows whose person id waits for the whole file (identity.protect, defer)
PEOPLE = "person_ids"           # their ids once given: _row, pid
# DuckDB's own memory while a file is staged and stored: what is over spills to its temp folder (canonical
# rows, masked and hashed, as the store holds them); the rest of the import's memory is one chunk's
DUCKDB_MEMORY = "400MB"


def duplicate_rejections(feed: Feed, given: pl.DataFrame, winners: pl.Series) -> pl.DataFrame:
    """Quarantine rows for the earlier rows of an id a later row of the file has: `given` (_row, raw) in
    row order, `winners` the later row of each."""
    return given.select(pl.col(ROW), pl.lit(",".join(feed.key)).alias("columns"),
                        pl.Series([f"编号与第 {w} 行重复，以第 {w} 行为准" for w in winners]).alias("reason_zh"),
                        pl.Series([f"same id as row {w}; row {w} is used" for w in winners]).alias("reason_en"),
                        pl.col("raw"))


class Staging:
    """The accepted rows so far (a temp table), the rejected ones, and the rows as given of ids that repeat
    within their chunk (an earlier one is quarantined with the row as given)."""

    def __init__(self, con, feed):
        self.con, self.feed = con, feed
        self.rejected: list[pl.DataFrame] = []
        self.repeated: list[pl.DataFrame] = []
        self.created = False
        self.pending = False

    def _append(self, table: str, rows: pl.DataFrame, exists: bool) -> None:
        self.con.register("chunk_df", rows.to_arrow())
        if exists:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM chunk_df")
        else:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM chunk_df")
        self.con.unregister("chunk_df")

    def wait_for_people(self, pending: pl.DataFrame | None) -> None:
        if pending is not None and pending.height:
            self._append(PENDING, pending, self.pending)
            self.pending = True

    def give_people(self) -> dict[str, tuple[str, str]]:
        """Person ids for the rows waiting, into the staged rows: the new links (hash -> (id, kind))."""
        if not self.pending:
            return {}
        links = assign_deferred(self.con, PENDING, PEOPLE)
        self.con.execute(f"UPDATE {STAGED} SET {self.feed.person_column} = p.pid FROM {PEOPLE} p "
                         f"WHERE {STAGED}._row = p._row")
        self.rejected = [self.with_people(r) for r in self.rejected]
        self.repeated = [self.with_people(r) for r in self.repeated]
        return links

    def with_people(self, given: pl.DataFrame) -> pl.DataFrame:
        """Rows as given (_row, raw, …) with their person ids in place of the placeholders."""
        if not self.pending or given.height == 0:
            return given
        self.con.register("given_rows", given.select(ROW).to_arrow())
        ids = dict(self.con.execute(f"SELECT p._row, p.pid FROM {PEOPLE} p SEMI JOIN given_rows g ON p._row = g._row")
                   .fetchall())
        self.con.unregister("given_rows")
        # the placeholder as the JSON of the row writes it ("\u0000<row>"); the id masked as the JSON was (an id
        # may hold eleven digits a phone's pattern takes; the quotes around it bound it as they bound it there)
        raw = [text if row not in ids else
               text.replace(json.dumps(placeholder(row)), json.dumps(personal.mask_text(ids[row])))
               for row, text in zip(given[ROW].to_list(), given["raw"].to_list())]
        return given.with_columns(pl.Series("raw", raw, dtype=pl.Utf8))

    def add(self, raw, accepted: pl.DataFrame, rejected: pl.DataFrame) -> None:
        """A chunk's rows (raw, readers.RawTable) as store.accept left them."""
        if rejected.height:
            self.rejected.append(rejected)
        repeats = accepted.select(pl.struct(list(self.feed.key)).is_duplicated().alias("r"))["r"]
        if repeats.any():
            rows = accepted.filter(repeats).select(ROW)
            self.repeated.append(raw.frame.join(rows, on=ROW, how="semi")
                                 .select(pl.col(ROW).cast(pl.Int64), row_as_given(self.feed)))
        self._append(STAGED, accepted, self.created)
        self.created = True

    def duplicates(self, source: CsvChunks, same_key: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(the earlier rows of ids a later row has: _row, _winner; their quarantine rows). An earlier row
        whose chunk did not hold the later one is read again for its row as given (the file's second pass,
        only then: chunks read and hashed again read the same). `same_key`: store.key_match of s and r."""
        keys = ", ".join(self.feed.key)
        # ids held more than once first (one aggregate; most files have none), then their earlier rows
        earlier = pl.from_arrow(self.con.sql(f"""
            WITH repeated AS (SELECT {keys}, max(_row) AS _winner FROM {STAGED} GROUP BY ALL HAVING count(*) > 1)
            SELECT s._row, r._winner FROM {STAGED} s JOIN repeated r ON {same_key}
            WHERE s._row < r._winner ORDER BY s._row""").to_arrow_table())
        if earlier.height == 0:
            return earlier, pl.DataFrame()
        given = pl.concat(self.repeated) if self.repeated else pl.DataFrame(schema={ROW: pl.Int64, "raw": pl.Utf8})
        given = earlier.join(given, on=ROW, how="left", maintain_order="left")
        if given["raw"].null_count():
            missing = given.filter(pl.col("raw").is_null()).select(ROW)
            again = []
            for raw in source.tables():
                protect(self.con, raw, defer=True)
                again.append(self.with_people(raw.frame.join(missing, on=ROW, how="semi")
                                              .select(pl.col(ROW).cast(pl.Int64), row_as_given(self.feed)))
                             .rename({"raw": "_again"}))
            given = given.join(pl.concat(again), on=ROW, how="left", maintain_order="left").select(
                ROW, "_winner", pl.coalesce("raw", "_again").alias("raw"))
        return earlier, duplicate_rejections(self.feed, given.select(ROW, "raw"), given["_winner"])


def masked_in_order(first, totals: dict[str, int]) -> dict[str, int]:
    """Cells masked per column, summed over the chunks, listed as a file read whole lists them."""
    feed = FEEDS[first.kind]
    order = [h for c, h in first.mapping.items() if feed.column(c).kind == TEXT] + list(first.ignored)
    return {h: totals[h] for h in [*order, *(h for h in totals if h not in order)] if totals.get(h)}
