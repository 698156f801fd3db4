"""A large CSV imported a chunk at a time (chunked.CsvChunks): the same import as store.import_table, in
memory that does not grow with the file.

Each chunk is made canonical, its id columns' personal values hashed (identity.protect), checked
(validate.check, against one moment of import) and its references looked up (store.accept); its accepted
rows are appended to a temp table of the import's connection (canonical rows, masked and hashed: what
the store holds anyway), its rejected rows kept with their reasons. What spans the file is done once
the last chunk is read: person ids (a person's id depends on every row: rows with two identifiers go
first; until then a row holds a placeholder, its identifiers' keyed hashes wait in a temp table), the
same id twice (the lower row wins, the earlier one is quarantined, as store._apply does), then
store.store_rows as for a file read whole, in one transaction.

Errors come in the order import_table gives them: reading (every chunk is read first, even when the file
was imported before), rows of another community, the same file imported before, the person key.
Where the chunks would read otherwise than the whole file (chunked.ReadWhole) the caller reads it whole.
"""
from __future__ import annotations

import dataclasses
import json

import polars as pl

from pipelines.database import connect, transaction
from pipelines.errors import FileRefused
from pipelines.feeds import FEEDS, ID, TEXT
from pipelines.ingest import store
from pipelines.ingest.chunked import CsvChunks, ReadWhole
from pipelines.ingest.identity import Protection, assign_deferred, placeholder, protect
from pipelines.ingest.readers import ROW
from pipelines.ingest.validate import check, import_moment, row_as_given
from pipelines.records import audit

STAGED = "staged_rows"
PENDING = "pending_people"      # rows whose person id waits for the whole file (identity.protect, defer)
PEOPLE = "person_ids"           # their ids once given: _row, pid
# DuckDB's own memory while a file is staged and stored: what is over spills to its temp folder (canonical
# rows, masked and hashed, as the store holds them); the rest of the import's memory is one chunk's
DUCKDB_MEMORY = "400MB"


class _Staging:
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
        # the placeholder as the JSON of the row writes it: "\u0000<row>"
        raw = [text if row not in ids else text.replace(json.dumps(placeholder(row)), json.dumps(ids[row]))
               for row, text in zip(given[ROW].to_list(), given["raw"].to_list())]
        return given.with_columns(pl.Series("raw", raw, dtype=pl.Utf8))

    def add(self, raw, checked) -> None:
        accepted, rejected = store.accept(self.con, self.feed, raw, checked)
        if rejected.height:
            self.rejected.append(rejected)
        repeats = accepted.select(pl.struct(list(self.feed.key)).is_duplicated().alias("r"))["r"]
        if repeats.any():
            rows = accepted.filter(repeats).select(ROW)
            self.repeated.append(raw.frame.join(rows, on=ROW, how="semi")
                                 .select(pl.col(ROW).cast(pl.Int64), row_as_given(self.feed)))
        self._append(STAGED, accepted, self.created)
        self.created = True

    def duplicates(self, source: CsvChunks) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(the earlier rows of ids a later row has: _row, _winner; their quarantine rows). An earlier row
        whose chunk did not hold the later one is read again for its row as given (the file's second pass,
        only then: chunks read and hashed again read the same)."""
        keys = ", ".join(self.feed.key)
        # ids held more than once first (one aggregate; most files have none), then their earlier rows
        earlier = store.frame(self.con, f"""
            WITH repeated AS (SELECT {keys}, max(_row) AS _winner FROM {STAGED} GROUP BY ALL HAVING count(*) > 1)
            SELECT s._row, r._winner FROM {STAGED} s JOIN repeated r ON {store.key_match(self.feed.name, 's', 'r')}
            WHERE s._row < r._winner ORDER BY s._row""")
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
        return earlier, store.duplicate_rejections(self.feed, given.select(ROW, "raw"), given["_winner"])


def _masked(first, totals: dict[str, int]) -> dict[str, int]:
    """Cells masked per column, summed over the chunks, listed as a file read whole lists them."""
    feed = FEEDS[first.kind]
    order = [h for c, h in first.mapping.items() if feed.column(c).kind == TEXT] + list(first.ignored)
    return {h: totals[h] for h in [*order, *(h for h in totals if h not in order)] if totals.get(h)}


def import_chunks(db_path, source: CsvChunks, progress=None, user: str | None = None,
                  allowed_communities=None) -> store.ImportReport:
    """store.import_table for a file read in chunks. Raises FileRefused (nothing written), ReadWhole."""
    step = progress or (lambda fraction, text: None)
    feed = FEEDS[source.kind]
    con = connect(db_path)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    try:
        store.ensure_schema(con)
        same = store.imported_as(con, source.kind, source.sha256)
        staging = _Staging(con, feed) if same is None else None
        now = import_moment()
        first, foreign, masked, hashed = None, [], {}, set()
        protection, key_error = Protection(), None
        step(0.25, "check")
        for raw in source.tables():
            # the first chunk's columns and their fates (not its rows) make the report
            first = first or dataclasses.replace(raw, frame=pl.DataFrame(), identifiers=None)
            for h, n in raw.masked.items():
                masked[h] = masked.get(h, 0) + n
            if allowed_communities is not None:
                foreign.append(store.foreign_rows(con, raw, allowed_communities))
            if staging is None or key_error is not None:
                continue            # read on: a later chunk's reading error comes first
            try:
                found = protect(con, raw, defer=True)
            except FileRefused as exc:
                key_error = exc
                continue
            protection.fingerprint = protection.fingerprint or found.fingerprint
            hashed.update(found.hashed_columns)
            staging.wait_for_people(found.pending)
            staging.add(raw, check(raw, now))
            del raw
        if not source.dropped_as_whole():
            raise ReadWhole
        if allowed_communities is not None:
            store.refuse_foreign(source.file_name, pl.concat(foreign), allowed_communities)
        report = store.new_report(db_path, first, source.rows)
        report.masked_columns = _masked(first, masked)
        if same is not None:
            report.already_imported_as = same
            step(1.0, "done")
            return report
        if key_error is not None:
            raise key_error
        id_headers = [first.mapping.get(c.name, c.name) for c in feed.columns if c.kind == ID]
        report.hashed_columns = [h for h in id_headers if h in hashed]
        protection.links = staging.give_people()
        earlier, repeated = staging.duplicates(source)
        parts = [*staging.rejected, *([repeated] if repeated.height else [])]
        rejected = pl.concat(parts) if parts else pl.DataFrame(
            schema={ROW: pl.Int64, "columns": pl.Utf8, "reason_zh": pl.Utf8, "reason_en": pl.Utf8, "raw": pl.Utf8})
        step(0.55, "store")
        if earlier.height:
            con.register("earlier_df", earlier.select(ROW).to_arrow())
            incoming = f"(SELECT * FROM {STAGED} WHERE _row NOT IN (SELECT _row FROM earlier_df))"
        else:
            incoming = STAGED
        def release():
            con.execute(f"DROP TABLE {STAGED}")
        with transaction(con):   # the whole import or none of it, even when the process is killed
            store.store_rows(con, feed, incoming, rejected, source.sha256, report, release)
            store._remember_people(con, protection, report.import_id)
            audit.record_import(con, "import", source.kind, report.import_id, user=user, file=report.file_name,
                                rows_read=report.rows_read, rows_new=report.rows_new,
                                rows_replaced=report.rows_replaced, rows_quarantined=len(report.quarantined))
        step(1.0, "done")
        return report
    finally:
        # the setting is the database instance's: other connections of this process (the dashboard's) share it
        con.execute(f"SET memory_limit = '{limit}'")
        con.close()
