"""The store: every version of every imported row, the import history, quarantine, undo.

Rows are never updated or deleted. Each import appends the rows that are new or
changed, tagged with its import id; the current version of a key is the one from
the latest import that has not been undone (`cur_<feed>` views). Undo therefore
restores exactly what the import replaced. One import is one transaction, so a
crash or kill at any moment leaves the store as it was before it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from .errors import FileRefused
from .feeds import FEEDS, Feed
from .readers import ROW, read_table
from .validate import check

LOCK_WAIT_SECONDS = 60


def connect(db_path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store, waiting while another linli process holds the write lock."""
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return duckdb.connect(str(db_path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.execute(sql, params or []).pl()


def raw_table(kind: str) -> str:
    return f"raw_{kind}"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SEQUENCE IF NOT EXISTS import_seq START 1")
    con.execute("""
        CREATE TABLE IF NOT EXISTS imports (
            import_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
            file_sha256 VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL, encoding VARCHAR,
            header_row INTEGER, rows_read INTEGER, rows_new INTEGER, rows_replaced INTEGER,
            rows_unchanged INTEGER, rows_quarantined INTEGER,
            status VARCHAR NOT NULL, undone_at TIMESTAMP)""")
    con.execute("""
        CREATE TABLE IF NOT EXISTS quarantine (
            import_id INTEGER NOT NULL, kind VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
            row_number INTEGER NOT NULL, columns VARCHAR, reason_zh VARCHAR, reason_en VARCHAR, raw VARCHAR)""")
    con.execute("""
        CREATE TABLE IF NOT EXISTS community_rules (
            community_id VARCHAR PRIMARY KEY, window_start TIME, window_end TIME, overdue_hours DOUBLE)""")
    for kind, feed in FEEDS.items():
        cols = ", ".join(f"{c.name} {c.sql_type}" for c in feed.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {raw_table(kind)} "
                    f"({cols}, _import_id INTEGER NOT NULL, _row INTEGER, _hash VARCHAR, _extra VARCHAR)")
        con.execute(f"ALTER TABLE {raw_table(kind)} ADD COLUMN IF NOT EXISTS _extra VARCHAR")
        con.execute(f"CREATE OR REPLACE VIEW cur_{kind} AS {current_rows_sql(kind)}")
    # Every import, undo and rule change takes a number from one sequence, so a build can ask
    # "what changed since the number I last saw" (see build.py).
    con.execute("ALTER TABLE imports ADD COLUMN IF NOT EXISTS undone_seq INTEGER")
    con.execute("ALTER TABLE community_rules ADD COLUMN IF NOT EXISTS changed_seq INTEGER")


def current_rows_sql(kind: str, only_keys_in: str | None = None) -> str:
    """The current version of each key: the latest applied import's, the lowest row of the file winning.

    `only_keys_in` names a table of keys to restrict to before the window runs (incremental builds).
    """
    key = ", ".join(FEEDS[kind].key)
    restrict = f" AND ({key}) IN (SELECT ({key}) FROM {only_keys_in})" if only_keys_in else ""
    return (f"SELECT r.* FROM {raw_table(kind)} r "
            f"WHERE r._import_id IN (SELECT import_id FROM imports WHERE status = 'applied'){restrict} "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY r._import_id DESC, r._row DESC) = 1")


@dataclass
class ImportReport:
    file_name: str
    kind: str
    import_id: int | None = None
    rows_read: int = 0
    rows_new: int = 0
    rows_replaced: int = 0
    rows_unchanged: int = 0
    quarantined: list[dict] = field(default_factory=list)
    already_imported_as: int | None = None
    encoding: str = ""
    header_row: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    personal_columns: list[str] = field(default_factory=list)

    def summary(self, lang: str = "zh") -> str:
        if self.already_imported_as is not None:
            return (f"《{self.file_name}》与第 {self.already_imported_as} 次导入的文件完全相同，未做任何改动。"
                    if lang == "zh" else
                    f"'{self.file_name}' is identical to import #{self.already_imported_as}; nothing changed.")
        if lang == "zh":
            return (f"《{self.file_name}》导入完成（导入编号 {self.import_id}）：读取 {self.rows_read} 行，"
                    f"新增 {self.rows_new}，更正 {self.rows_replaced}，未变 {self.rows_unchanged}，"
                    f"隔离 {len(self.quarantined)} 行。")
        return (f"'{self.file_name}' imported (import #{self.import_id}): {self.rows_read} rows read, "
                f"{self.rows_new} new, {self.rows_replaced} corrected, {self.rows_unchanged} unchanged, "
                f"{len(self.quarantined)} quarantined.")


def _community_names_to_ids(con, feed: Feed, rows: pl.DataFrame) -> pl.DataFrame:
    """Registers often write the community's name (A社区) where the id (A) belongs: once the
    communities feed is imported, a value that is no id but exactly one community's name becomes its id."""
    if feed.name == "communities" or "community_id" not in rows.columns:
        return rows
    known = frame(con, "SELECT community_id, name FROM cur_communities")
    if known.height == 0:
        return rows
    names = known.filter(pl.col("name").is_not_null() & ~pl.col("name").is_in(known["community_id"].to_list()))
    unique = names.group_by("name").agg(pl.col("community_id").first(), pl.len().alias("n")).filter(pl.col("n") == 1)
    mapping = dict(zip(unique["name"], unique["community_id"]))
    if not mapping:
        return rows
    return rows.with_columns(pl.col("community_id").replace(mapping))


def _reference_rejections(con, feed: Feed, rows: pl.DataFrame, raw_mapping: dict[str, str]) -> pl.Series:
    """Reason per row where a referenced id is unknown (only for references already imported)."""
    reasons = pl.Series("r", [None] * rows.height, dtype=pl.Utf8)
    reasons_en = pl.Series("e", [None] * rows.height, dtype=pl.Utf8)
    columns = pl.Series("c", [None] * rows.height, dtype=pl.Utf8)
    for column, (ref_kind, ref_cols) in feed.references.items():
        if ref_kind == feed.name:
            continue
        ref_key = FEEDS[ref_kind].key
        known = frame(con, f"SELECT DISTINCT {', '.join(ref_key)} FROM cur_{ref_kind}")
        if known.height == 0:
            continue
        known = known.rename(dict(zip(ref_key, ref_cols))).with_columns(pl.lit(True).alias("_known"))
        hit = rows.select(ref_cols).with_row_index("_i").join(known, on=list(ref_cols), how="left",
                                                               nulls_equal=False).sort("_i")["_known"]
        missing = rows[column].is_not_null() & hit.is_null()
        header = raw_mapping.get(column, FEEDS[feed.name].column(column).label_zh)
        label = FEEDS[ref_kind].label_zh
        zh = pl.Series([f"“{header}”列：编号“{v}”不在已导入的{label}名单中，请先导入或更正" for v in rows[column]])
        en = pl.Series([f"column '{header}': '{v}' is not in the imported {ref_kind} list; import it or correct the id"
                        for v in rows[column]])
        reasons = pl.select(pl.when(missing).then(pl.concat_str([reasons, zh], separator="；", ignore_nulls=True))
                            .otherwise(reasons)).to_series()
        reasons_en = pl.select(pl.when(missing).then(pl.concat_str([reasons_en, en], separator="; ", ignore_nulls=True))
                               .otherwise(reasons_en)).to_series()
        columns = pl.select(pl.when(missing).then(pl.concat_str([columns, pl.lit(column)], separator=",",
                                                                ignore_nulls=True)).otherwise(columns)).to_series()
    return pl.DataFrame({"reason_zh": reasons, "reason_en": reasons_en, "columns": columns})


def import_file(db_path: str | Path, kind: str, path: str | Path, display_name: str | None = None,
                progress=None, sheet: str | None = None) -> ImportReport:
    """Validate and import one file as one transaction. Raises FileRefused (nothing written)."""
    step = progress or (lambda fraction, text: None)
    path = Path(path)
    name = display_name or path.name
    step(0.05, "read")
    raw = read_table(path, kind, sheet=sheet, display_name=name)
    kind = raw.kind
    sha = raw.sha256
    step(0.35, "check")
    checked = check(raw)
    feed = FEEDS[kind]
    report = ImportReport(name, raw.kind, rows_read=raw.frame.height, encoding=raw.encoding,
                          header_row=raw.header_row, ignored_columns=raw.ignored, personal_columns=raw.personal)
    con = connect(db_path)
    try:
        ensure_schema(con)
        same = con.execute("SELECT min(import_id) FROM imports WHERE kind = ? AND file_sha256 = ? AND status = 'applied'",
                           [kind, sha]).fetchone()[0]
        if same is not None:
            report.already_imported_as = same
            step(1.0, "done")
            return report
        step(0.55, "store")
        con.begin()
        try:
            _apply(con, feed, raw, checked, sha, report)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        step(1.0, "done")
        return report
    finally:
        con.close()


def _apply(con, feed: Feed, raw, checked, sha: str, report: ImportReport) -> None:
    accepted, rejected = checked.accepted, checked.rejected
    accepted = _community_names_to_ids(con, feed, accepted)
    ref = _reference_rejections(con, feed, accepted, raw.mapping)
    bad_ref = ref["reason_zh"].is_not_null()
    if bad_ref.any():
        bad_rows = accepted.filter(bad_ref)
        raw_rows = raw.frame.join(bad_rows.select(ROW), on=ROW, how="semi").sort(ROW)
        rejected = pl.concat([rejected, raw_rows.select(
            pl.col(ROW).cast(pl.Int64),
            ref.filter(bad_ref)["columns"].alias("columns"),
            ref.filter(bad_ref)["reason_zh"].alias("reason_zh"),
            ref.filter(bad_ref)["reason_en"].alias("reason_en"),
            pl.struct(feed.names).struct.json_encode().alias("raw"))])
        accepted = accepted.filter(~bad_ref)
    # The same id twice in one file: the lower row is the later word and wins; the earlier one is
    # kept in quarantine so nothing is lost.
    last = accepted.unique(subset=list(feed.key), keep="last", maintain_order=True)
    dup = accepted.join(last.select(ROW), on=ROW, how="anti")
    if dup.height:
        winners = dup.join(last.select([*feed.key, pl.col(ROW).alias("_winner")]), on=list(feed.key), how="left")
        raw_dup = raw.frame.join(dup.select(ROW), on=ROW, how="semi").sort(ROW)
        rejected = pl.concat([rejected, raw_dup.select(pl.col(ROW).cast(pl.Int64),
            pl.lit(",".join(feed.key)).alias("columns"),
            pl.Series([f"编号与第 {w} 行重复，以第 {w} 行为准" for w in winners.sort(ROW)["_winner"]]).alias("reason_zh"),
            pl.Series([f"same id as row {w}; row {w} is used" for w in winners.sort(ROW)["_winner"]]).alias("reason_en"),
            pl.struct(feed.names).struct.json_encode().alias("raw"))])
    import_id = con.execute("SELECT nextval('import_seq')").fetchone()[0]
    report.import_id = import_id
    cols = feed.names
    con.register("incoming_df", last.to_arrow())
    key_join = " AND ".join(f"c.{k} IS NOT DISTINCT FROM i.{k}" for k in feed.key)
    row_text = "CAST(ROW(" + ", ".join(f"i.{c}" for c in [*cols, "_extra"]) + ") AS VARCHAR)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT i.*, md5({row_text}) AS _hash,
               c._hash AS _old_hash
        FROM incoming_df i LEFT JOIN cur_{feed.name} c ON {key_join}""")
    con.unregister("incoming_df")
    counts = con.execute("""SELECT count(*) FILTER (WHERE _old_hash IS NULL),
                                   count(*) FILTER (WHERE _old_hash IS NOT NULL AND _old_hash <> _hash),
                                   count(*) FILTER (WHERE _old_hash = _hash) FROM incoming""").fetchone()
    report.rows_new, report.rows_replaced, report.rows_unchanged = counts
    con.execute(f"""INSERT INTO {raw_table(feed.name)} ({', '.join(cols)}, _import_id, _row, _hash, _extra)
                    SELECT {', '.join(cols)}, ?, _row, _hash, _extra FROM incoming
                    WHERE _old_hash IS NULL OR _old_hash <> _hash""", [import_id])
    con.execute("DROP TABLE incoming")
    rejected = rejected.sort(ROW)
    if rejected.height:
        q = rejected.with_columns(pl.lit(import_id).alias("import_id"), pl.lit(feed.name).alias("kind"),
                                  pl.lit(report.file_name).alias("file_name"))
        con.register("q_df", q.to_arrow())
        con.execute("""INSERT INTO quarantine SELECT import_id, kind, file_name, _row, columns,
                       reason_zh, reason_en, raw FROM q_df""")
        con.unregister("q_df")
        report.quarantined = [
            {"row": r[ROW], "reason_zh": f"《{report.file_name}》第 {r[ROW]} 行：{r['reason_zh']}",
             "reason_en": f"'{report.file_name}' row {r[ROW]}: {r['reason_en']}"}
            for r in rejected.iter_rows(named=True)]
    con.execute("""INSERT INTO imports VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, 'applied', NULL, NULL)""",
                [import_id, feed.name, report.file_name, sha, report.encoding, report.header_row,
                 report.rows_read, report.rows_new, report.rows_replaced, report.rows_unchanged, rejected.height])


def undo(db_path: str | Path, import_id: int) -> str:
    con = connect(db_path)
    try:
        ensure_schema(con)
        row = con.execute("SELECT status, file_name FROM imports WHERE import_id = ?", [import_id]).fetchone()
        if row is None:
            raise LookupError(f"没有编号为 {import_id} 的导入记录 / no import #{import_id}")
        if row[0] != "applied":
            raise LookupError(f"第 {import_id} 次导入（{row[1]}）已撤销 / import #{import_id} is already undone")
        con.execute("""UPDATE imports SET status = 'undone', undone_at = now()::TIMESTAMP,
                              undone_seq = nextval('import_seq') WHERE import_id = ?""", [import_id])
        return row[1]
    finally:
        con.close()


def set_rules(db_path: str | Path, community_id: str, window_start: str | None, window_end: str | None,
              overdue_hours: float | None) -> None:
    con = connect(db_path)
    try:
        ensure_schema(con)
        con.execute("""INSERT INTO community_rules VALUES (?, ?::TIME, ?::TIME, ?, nextval('import_seq'))
                       ON CONFLICT (community_id) DO UPDATE SET
                         window_start = coalesce(excluded.window_start, window_start),
                         window_end = coalesce(excluded.window_end, window_end),
                         overdue_hours = coalesce(excluded.overdue_hours, overdue_hours),
                         changed_seq = excluded.changed_seq""",
                    [community_id, window_start, window_end, overdue_hours])
    finally:
        con.close()


__all__ = ["FileRefused", "ImportReport", "connect", "ensure_schema", "import_file", "undo", "set_rules"]
