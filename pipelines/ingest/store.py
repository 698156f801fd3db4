"""The store: every version of every imported row, the import history, quarantine, undo.

Stored rows are never deleted. Each import appends the rows that are new or changed
(raw_<feed>), tagged with its import id, and notes the rows it brought unchanged by key
alone (seen_<feed>): a weekly cumulative export then costs a key per old row, not a copy.
The current version of a key is the one from the latest import that has not been undone
(the rule of sql/store/current_version.sql); it is kept in cur_<feed>, a table that an
import and an undo bring up to date for the keys they touch, and every key whose current
row changed is logged with the import's or undo's number (cur_changes_<feed>), so a build
refreshes those keys alone. Undo therefore restores exactly what the import replaced. One
import is one transaction, so a crash or kill at any moment leaves the store as it was.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.database import (IMPORT_COMMUNITIES, LOCK_WAIT_SECONDS, connect,  # noqa: F401  (LOCK_WAIT_SECONDS: kept importable from here)
                                transaction)
from pipelines.errors import FileRefused, UserError
from pipelines.feeds import FEEDS, ID, Feed, raw_table
from pipelines.ingest.chunked import CsvChunks, ReadWhole, open_table
from pipelines.ingest.identity import Protection, protect, relink
from pipelines.ingest.readers import ROW
from pipelines.ingest.staging import DUCKDB_MEMORY, STAGED, Staging, duplicate_rejections, masked_in_order
from pipelines.ingest.validate import check, import_moment, row_as_given
from pipelines.personal import personal_safe_name
from pipelines.records import audit
from pipelines.sqlrows import first, scalar


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    # a relation through Arrow: DuckDB 2 dropped .pl() on a connection's result (and warns that
    # Arrow from a DB-API result copies the rows)
    return pl.from_arrow(con.sql(sql, params=params or None).to_arrow_table())


# 1: rows keyed by their id alone (before Linli kept community-scoped keys, row keys in quarantine,
#    person links and the key's fingerprint). 2: every row of every import stored, current rows a view
#    ranking them all. 3: now (current rows kept in a table, unchanged rows noted by key).
SCHEMA_VERSION = 3


def seen_table(kind: str) -> str:
    """The rows an import brought unchanged: key, import, row, and the stored row holding their values."""
    return f"seen_{kind}"


def changes_table(kind: str) -> str:
    """The keys whose current row an import or undo changed, with its number and the earliest event time the
    replaced row held (old_from): what the next build recomputes from, the old row being gone by then."""
    return f"cur_changes_{kind}"


def old_from_sql(kind: str, alias: str) -> str:
    """The earliest of the times that place a row of an event feed in a period or end its open state (the
    feed's period_times and open_until), for the row `alias`; NULL for reference data, whose change
    recomputes its community from the beginning anyway."""
    feed = FEEDS[kind]
    times = list(dict.fromkeys(feed.period_times + ((feed.open_until,) if feed.open_until else ())))
    if not feed.is_event or not times:
        return "NULL::TIMESTAMP"
    return "least(" + ", ".join(f"{alias}.{t}::TIMESTAMP" for t in times) + ")"


def versions_view(kind: str) -> str:
    """Every version of every key, stored or seen, with the import that brought it."""
    return f"versions_{kind}"


def _versions_communities_sql() -> str:
    """(import_id, kind, community_id) of every stored or seen version: the table's rows, for a store written
    before the import noted them."""
    return " UNION ALL ".join(f"SELECT DISTINCT _import_id::INTEGER AS import_id, '{kind}'::VARCHAR AS kind, "
                              f"community_id::VARCHAR AS community_id FROM {versions_view(kind)}" for kind in FEEDS)


def note_communities(con: duckdb.DuckDBPyConnection, kind: str, import_id: int, rows: str = "incoming") -> None:
    """The communities of an import's rows (`rows`: the relation holding them, stored or seen unchanged alike):
    a file that only repeated rows still brought its communities up to it."""
    con.execute(f"INSERT INTO {IMPORT_COMMUNITIES} SELECT DISTINCT ?, ?, community_id FROM {rows}", [import_id, kind])


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    if "linli_meta" in tables:
        row = first(con.execute("SELECT value FROM linli_meta WHERE name = 'schema_version'"))
        return int(row[0]) if row else SCHEMA_VERSION
    return 1 if "imports" in tables else 0


def row_key_sql(kind: str, prefix: str = "") -> str:
    """A row's key (community plus its ids, SPEC §3) as one text: quarantine rows and stored rows meet on it."""
    return "concat_ws(chr(31), " + ", ".join(f"{prefix}{k}" for k in FEEDS[kind].key) + ")"


@functools.cache
def _schema_digest() -> str:
    """What the schema ensure_schema leaves depends on: this module (its statements), the feeds' columns
    and keys, and the current-version rule. A store stamped with it, holding every object below, is
    already as ensure_schema would leave it."""
    here = Path(__file__)
    parts = [here, here.parents[1] / "feeds.py", CURRENT_VERSION_SQL]
    return hashlib.sha256(b"".join(p.read_bytes() for p in parts) + str(SCHEMA_VERSION).encode()).hexdigest()


def _schema_objects() -> tuple[set[str], set[str]]:
    tables = {"imports", "quarantine", "community_rules", "coop_split", "linli_meta", "person_links", IMPORT_COMMUNITIES}
    views = {"raw_keys"}
    for kind in FEEDS:
        tables |= {raw_table(kind), seen_table(kind), changes_table(kind), f"cur_{kind}"}
        views.add(versions_view(kind))
    return tables, views


def _schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Two catalog reads instead of ensure_schema's seventy statements, for the store every build and
    import opens: stamped by this code and nothing dropped since (the demo's fresh start drops tables)."""
    tables, views = _schema_objects()
    here = "database_name = current_database() AND schema_name = 'main' AND NOT temporary"
    have = scalar(con.execute(
        f"SELECT (SELECT count(*) FROM duckdb_tables() WHERE {here} AND list_contains(?, table_name)) "
        f"+ (SELECT count(*) FROM duckdb_views() WHERE {here} AND list_contains(?, view_name)) "
        f"+ (SELECT count(*) FROM duckdb_sequences() WHERE {here} AND sequence_name = 'import_seq')",
        [sorted(tables), sorted(views)]))
    if have != len(tables) + len(views) + 1:
        return False
    stamp = first(con.execute("SELECT value FROM linli_meta WHERE name = 'schema_digest'"))
    return stamp is not None and stamp[0] == _schema_digest()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    if _schema_is_current(con):
        return
    version = _schema_version(con)
    if version > SCHEMA_VERSION:
        raise FileRefused(_db_name(con), f"这个数据库由更新版本的 Linli 创建（结构版本 {version}，本程序支持到 {SCHEMA_VERSION}）。"
                                         "请升级 Linli 后再使用它。",
                          f"this database was written by a newer Linli (schema version {version}; this one knows up to "
                          f"{SCHEMA_VERSION}). Upgrade Linli to use it.")
    if not _has_sequence(con, "import_seq"):
        # created anew (a new store, or after the demo started the imported data afresh): above every
        # number the store still remembers, so no import id names two files
        con.execute(f"CREATE SEQUENCE import_seq START {_highest_import_seq(con) + 1}")
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
    # the cooperative's split, one row per adoption (pipelines/records/coop_split.py): a kept record the build reads
    con.execute("""
        CREATE TABLE IF NOT EXISTS coop_split (
            community_id VARCHAR NOT NULL, effective_from DATE NOT NULL, members_pct DECIMAL(5, 2) NOT NULL,
            coop_pct DECIMAL(5, 2) NOT NULL, fund_pct DECIMAL(5, 2) NOT NULL, changed_seq BIGINT NOT NULL,
            changed_by VARCHAR, changed_at TIMESTAMP NOT NULL)""")
    for kind, feed in FEEDS.items():
        cols = ", ".join(f"{c.name} {c.sql_type}" for c in feed.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {raw_table(kind)} "
                    f"({cols}, _import_id INTEGER NOT NULL, _row INTEGER, _hash VARCHAR, _extra VARCHAR)")
        key_cols = ", ".join(f"{k} {feed.column(k).sql_type}" for k in feed.key)
        con.execute(f"CREATE TABLE IF NOT EXISTS {seen_table(kind)} "
                    f"({key_cols}, _import_id INTEGER NOT NULL, _row INTEGER, _src_import INTEGER NOT NULL)")
        con.execute(f"CREATE TABLE IF NOT EXISTS {changes_table(kind)} ({key_cols}, seq BIGINT NOT NULL)")
        # a log written before old_from has it NULL: the build after the upgrade is a full one (its SQL changed)
        con.execute(f"ALTER TABLE {changes_table(kind)} ADD COLUMN IF NOT EXISTS old_from TIMESTAMP")
        # columns a feed gained later (parcels.building_id, _extra, _person): a store written before has none
        current_is_table = _is_table(con, f"cur_{kind}")
        for table in [raw_table(kind)] + ([f"cur_{kind}"] if current_is_table else []):
            have = _columns(con, table)
            for name, sql_type in [*((c.name, c.sql_type) for c in feed.columns), ("_extra", "VARCHAR"),
                                   ("_person", "VARCHAR")]:
                if name not in have:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}")
        if not current_is_table:
            # a new store, or one whose current rows were a view ranking every version (schema 2): the
            # table holds the same rows, by the same rule, once
            con.execute(f"DROP VIEW IF EXISTS cur_{kind}")
            con.execute(f"CREATE TABLE cur_{kind} AS {current_rows_sql(kind)}")
        keys = ", ".join(feed.key)
        con.execute(f"CREATE OR REPLACE VIEW {versions_view(kind)} AS "
                    f"SELECT {keys}, _import_id FROM {raw_table(kind)} "
                    f"UNION ALL SELECT {keys}, _import_id FROM {seen_table(kind)}")
    if not _is_table(con, IMPORT_COMMUNITIES):
        # one statement, so a kill leaves the table whole or absent (and then filled at the next open)
        con.execute(f"CREATE TABLE {IMPORT_COMMUNITIES} AS {_versions_communities_sql()}")
    # Every import, undo and rule change takes a number from one sequence, so a build can ask
    # "what changed since the number I last saw" (see build.py).
    con.execute("ALTER TABLE imports ADD COLUMN IF NOT EXISTS undone_seq INTEGER")
    con.execute("ALTER TABLE community_rules ADD COLUMN IF NOT EXISTS changed_seq INTEGER")
    con.execute("CREATE TABLE IF NOT EXISTS linli_meta (name VARCHAR PRIMARY KEY, value VARCHAR)")
    # Which person id each identifier (ID card, phone) belongs to: keyed hashes only, never the identifier.
    con.execute("""CREATE TABLE IF NOT EXISTS person_links (
                       ident_hash VARCHAR PRIMARY KEY, person_id VARCHAR NOT NULL, import_id INTEGER NOT NULL)""")
    con.execute("ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS row_key VARCHAR")
    con.execute("ALTER TABLE person_links ADD COLUMN IF NOT EXISTS ident_kind VARCHAR")
    if version == 1:
        _migrate_1_to_2(con)
    # Every stored or seen row's key, across feeds: quarantine_open asks "did a later import supply this row?".
    con.execute("CREATE OR REPLACE VIEW raw_keys AS " + " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, {row_key_sql(kind)} AS row_key, _import_id FROM {versions_view(kind)}"
        for kind in FEEDS))
    if version < SCHEMA_VERSION:
        con.execute("INSERT OR REPLACE INTO linli_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    con.execute("INSERT OR REPLACE INTO linli_meta VALUES ('schema_digest', ?)", [_schema_digest()])


def _has_sequence(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(con.execute("SELECT count(*) FROM duckdb_sequences() WHERE sequence_name = ? AND schema_name = 'main' "
                                   "AND database_name = current_database()", [name])))


def _highest_import_seq(con: duckdb.DuckDBPyConnection) -> int:
    """The highest number import_seq gave that the store remembers anywhere: an import's id or its undo,
    a rule change, or an import or undo the audit trail names (it outlives the imports table)."""
    found = []
    for table, column, expr in [("imports", "import_id", "max(import_id)"), ("imports", "undone_seq", "max(undone_seq)"),
                                ("community_rules", "changed_seq", "max(changed_seq)"),
                                ("coop_split", "changed_seq", "max(changed_seq)"),
                                (audit.TABLE, "detail", ("max(TRY_CAST(json_extract_string(TRY_CAST(detail AS JSON), "
                                                         "'$.import_id') AS BIGINT))"))]:
        if column in _columns(con, table):
            found.append(f"SELECT {expr} AS n FROM {table}")
    if not found:
        return 0
    return int(scalar(con.execute(f"SELECT coalesce(max(n), 0) FROM ({' UNION ALL '.join(found)})")))


def _is_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
                                   "AND database_name = current_database() AND table_name = ?", [name])))


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """A table's columns in the store itself (none when it has no such table)."""
    return {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' "
                                      "AND database_name = current_database() AND table_name = ?", [table]).fetchall()}


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    """The next number of import_seq, never one the store already used: a store whose sequence restarted
    before ids were guarded (a demo run) has its sequence moved past them first."""
    nxt = scalar(con.execute("SELECT nextval('import_seq')"))
    floor = _highest_import_seq(con) + 1
    if nxt >= floor:
        return nxt
    con.execute(f"CREATE OR REPLACE SEQUENCE import_seq START {floor + 1}")
    return floor


def _migrate_1_to_2(con: duckdb.DuckDBPyConnection) -> None:
    """Quarantined rows get their community-scoped key, read from the row as it was given. The stored rows
    need nothing: every version was kept, so rows that a global id once hid are current again."""
    for kind, feed in FEEDS.items():
        parts = [f"json_extract_string(raw, '$.{k}')" for k in feed.key]
        con.execute(f"UPDATE quarantine SET row_key = CASE WHEN {' OR '.join(p + ' IS NULL' for p in parts)} THEN NULL "
                    f"ELSE concat_ws(chr(31), {', '.join(parts)}) END WHERE kind = ? AND row_key IS NULL", [kind])


def _db_name(con: duckdb.DuckDBPyConnection) -> str:
    row = first(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"))
    return str(row[0]) if row and row[0] else "database"


CURRENT_VERSION_SQL = Path(__file__).resolve().parents[2] / "sql" / "store" / "current_version.sql"


def key_match(kind: str, a: str, b: str) -> str:
    """The join condition of two aliases' rows holding the same key of a feed (a missing part matches itself)."""
    return " AND ".join(f"{a}.{k} IS NOT DISTINCT FROM {b}.{k}" for k in FEEDS[kind].key)


def current_rows_sql(kind: str, versions_where: str = "true") -> str:
    """The current version of each key of a feed: the rule of sql/store/current_version.sql with the feed's names.

    `versions_where` picks the versions to choose from (the keys an undo touched, or every version but one
    import's); it appears twice in the result, so its parameters are bound twice.
    """
    key = FEEDS[kind].key
    names = {"raw_rows": raw_table(kind), "seen_rows": seen_table(kind), "feed_key": ", ".join(key),
             "versions_where": versions_where,
             "key_match": key_match(kind, "r", "w")}
    template = CURRENT_VERSION_SQL.read_text(encoding="utf-8")
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: names[m.group(1)], template)


def recompute_current(con, kind: str, versions_where: str, params: list, seq: int) -> int:
    """Run the current-version rule over the keys with a version (or current row) `versions_where` picks,
    replace the current rows that differ and log those keys under `seq`. Returns how many keys' current rows
    changed. `params` are bound to each of the two places `versions_where` goes."""
    key = ", ".join(FEEDS[kind].key)
    # the current table's own keys too: relinking rewrites a person id that is part of a key (training), so a
    # key can vanish from every version while its old current row is still there
    con.execute(f"CREATE OR REPLACE TEMP TABLE touched_keys AS SELECT {key} FROM {versions_view(kind)} "
                f"WHERE {versions_where} UNION SELECT {key} FROM cur_{kind} WHERE {versions_where}", params * 2)
    con.execute(f"CREATE OR REPLACE TEMP TABLE recomputed AS "
                f"{current_rows_sql(kind, f'({key}) IN (SELECT ({key}) FROM touched_keys)')}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE moved AS
                    SELECT t.*, {old_from_sql(kind, 'c')} AS _old_from FROM touched_keys t
                    LEFT JOIN cur_{kind} c ON {key_match(kind, 'c', 't')}
                    LEFT JOIN recomputed n ON {key_match(kind, 'n', 't')}
                    WHERE c._import_id IS DISTINCT FROM n._import_id OR c._row IS DISTINCT FROM n._row
                       OR c._hash IS DISTINCT FROM n._hash""")
    moved = scalar(con.execute("SELECT count(*) FROM moved"))
    if moved:
        con.execute(f"DELETE FROM cur_{kind} c USING moved t WHERE {key_match(kind, 'c', 't')}")
        con.execute(f"INSERT INTO cur_{kind} BY NAME SELECT n.* FROM recomputed n "
                    f"SEMI JOIN moved t ON {key_match(kind, 'n', 't')}")
        con.execute(f"INSERT INTO {changes_table(kind)} SELECT {key}, ?, _old_from FROM moved", [seq])
    for temp in ("touched_keys", "recomputed", "moved"):
        con.execute(f"DROP TABLE temp.main.{temp}")
    return moved


def forget_changes(con, upto_seq: int) -> None:
    """After a build has taken them in: the logged changes up to its number are done with."""
    for kind in FEEDS:
        con.execute(f"DELETE FROM {changes_table(kind)} WHERE seq <= ?", [upto_seq])


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
    kept_columns: list[str] = field(default_factory=list)       # stored: Linli's columns and unknown ones
    personal_columns: list[str] = field(default_factory=list)   # personal by header
    dropped_columns: list[str] = field(default_factory=list)    # not stored at all
    masked_columns: dict[str, int] = field(default_factory=dict)   # header -> cells with phone/ID numbers masked
    id_sources: list[str] = field(default_factory=list)         # the person id is a keyed hash of these
    hashed_columns: list[str] = field(default_factory=list)     # id columns whose phone/ID values became hashes
    profile: str | None = None                                  # the import profile applied, if any
    skipped_by_profile: list = field(default_factory=list)      # profiles.Skipped: rows its filter left out
    profiles_skipped: list = field(default_factory=list)        # (zh, en): profile files that could not be read

    def column_lines(self, lang: str = "zh") -> list[str]:
        """What became of every column (SPEC §3: the report names every column kept, dropped or masked)."""
        zh = lang == "zh"
        join = "、".join if zh else ", ".join
        lines: list[str] = []
        if self.already_imported_as is not None:
            return lines
        if self.profile:
            lines.append(("使用的导入档案：" if zh else "Import profile used: ") + self.profile)
        # rows a profile left out are no error, yet the counts are about the whole file: say so
        lines += [s.message(lang) for s in self.skipped_by_profile]
        lines += [zh_en[0 if zh else 1] for zh_en in self.profiles_skipped]
        if self.kept_columns:
            lines.append(("保存的列：" if zh else "Columns kept: ") + join(self.kept_columns))
        if self.dropped_columns:
            lines.append(("含个人信息、未保存的列：" if zh else "Columns with personal data, not stored: ")
                         + join(self.dropped_columns))
        if self.id_sources:
            lines.append(("用于生成不可逆居民编号（本身未保存）的列：" if zh else
                          "Columns turned into irreversible person ids (not stored themselves): ") + join(self.id_sources))
        if self.masked_columns:
            lines.append(("已遮盖其中手机号/身份证号的列：" if zh else "Columns with phone/ID numbers masked: ")
                         + join(f"{h}（{n} 格）" if zh else f"{h} ({n} cells)" for h, n in self.masked_columns.items()))
        if self.hashed_columns:
            lines.append(("编号中的手机号/身份证号已换成不可逆编号的列：" if zh else
                          "Id columns whose phone/ID numbers became irreversible ids: ") + join(self.hashed_columns))
        return lines

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
    mapping = _community_name_map(con)
    if not mapping:
        return rows
    return rows.with_columns(pl.col("community_id").replace(mapping))


def _community_name_map(con) -> dict[str, str]:
    known = frame(con, "SELECT community_id, name FROM cur_communities")
    if known.height == 0:
        return {}
    names = known.filter(pl.col("name").is_not_null() & ~pl.col("name").is_in(known["community_id"].to_list()))
    unique = names.group_by("name").agg(pl.col("community_id").first(), pl.len().alias("n")).filter(pl.col("n") == 1)
    return dict(zip(unique["name"], unique["community_id"]))


def _quarantine_key(con, feed: Feed) -> pl.Expr:
    """The key a quarantined row will have once fixed (community names read as ids, as for accepted rows)."""
    parts = [pl.col("raw").str.json_path_match(f"$.{k}") for k in feed.key]
    if "community_id" in feed.key and feed.name != "communities":
        names = _community_name_map(con)
        i = feed.key.index("community_id")
        # a row missing only its community is fixed by a later row with its ids in any community
        parts[i] = (parts[i].replace(names) if names else parts[i]).fill_null("")
    return pl.concat_str(parts, separator="\x1f")


def _reference_rejections(con, feed: Feed, rows: pl.DataFrame, raw_mapping: dict[str, str]) -> pl.DataFrame:
    """Reason per row where a referenced id is unknown (only for references already imported); NULL elsewhere.
    Column expressions throughout: a million rows with every reference known build no message at all."""
    reasons = pl.lit(None, dtype=pl.Utf8)
    reasons_en = pl.lit(None, dtype=pl.Utf8)
    columns = pl.lit(None, dtype=pl.Utf8)
    given = rows.select(sorted({c for col, (kind, cols) in feed.references.items() if kind != feed.name
                                for c in (col, *cols)}) or [ROW])
    for column, (ref_kind, ref_cols) in feed.references.items():
        if ref_kind == feed.name:
            continue
        ref_key = FEEDS[ref_kind].key
        known = frame(con, f"SELECT DISTINCT {', '.join(ref_key)} FROM cur_{ref_kind}")
        if known.height == 0:
            continue
        known = known.rename(dict(zip(ref_key, ref_cols))).with_columns(pl.lit(True).alias(f"_known_{column}"))
        given = given.join(known, on=list(ref_cols), how="left", nulls_equal=False, maintain_order="left")
        missing = pl.col(column).is_not_null() & pl.col(f"_known_{column}").is_null()
        header = raw_mapping.get(column, FEEDS[feed.name].column(column).label_zh)
        label = FEEDS[ref_kind].label_zh
        value = pl.col(column).cast(pl.Utf8)
        zh = pl.concat_str([pl.lit(f"“{header}”列：编号“"), value, pl.lit(f"”不在已导入的{label}名单中，请先导入或更正")])
        en = pl.concat_str([pl.lit(f"column '{header}': '"), value,
                            pl.lit(f"' is not in the imported {ref_kind} list; import it or correct the id")])
        reasons = pl.when(missing).then(pl.concat_str([reasons, zh], separator="；", ignore_nulls=True)).otherwise(reasons)
        reasons_en = pl.when(missing).then(pl.concat_str([reasons_en, en], separator="; ", ignore_nulls=True)
                                           ).otherwise(reasons_en)
        columns = pl.when(missing).then(pl.concat_str([columns, pl.lit(column)], separator=",", ignore_nulls=True)
                                        ).otherwise(columns)
    return given.select(reasons.alias("reason_zh"), reasons_en.alias("reason_en"), columns.alias("columns"))


def import_file(db_path: str | Path, kind: str, path: str | Path, display_name: str | None = None,
                progress=None, sheet: str | None = None, profile=None, user: str | None = None,
                allowed_communities=None) -> ImportReport:
    """Validate and import one file as one transaction. Raises FileRefused (nothing written).

    `allowed_communities`: the communities the importing account may write (a director: his own);
    None: no limit (the command line, an admin). A file with any other community's row is refused."""
    step = progress or (lambda fraction, text: None)
    path = Path(path)
    name = personal_safe_name(display_name or path.name)
    step(0.05, "read")
    # a profile by name, a Profile, or else the first the importer's own, shipped or common ones whose
    # headers the file has (never another community's)
    from pipelines.ingest.profiles import candidates, find
    chosen = find(db_path, profile, allowed_communities) if isinstance(profile, str) else profile
    # a large CSV is read, checked and staged a chunk at a time (chunked.py), so memory does not grow with it
    raw = open_table(path, kind, sheet=sheet, display_name=name, profile=chosen,
                     candidates=() if chosen else candidates(db_path, kind, allowed_communities))
    if isinstance(raw, CsvChunks):
        try:
            return import_chunks(db_path, raw, progress=progress, user=user, allowed_communities=allowed_communities)
        except ReadWhole:
            raw = raw.whole()
    return import_table(db_path, raw, progress=progress, user=user, allowed_communities=allowed_communities)


def import_table(db_path: str | Path, raw, progress=None, user: str | None = None,
                 allowed_communities=None) -> ImportReport:
    """Import a table already read (readers.RawTable) as one transaction: the second half of import_file,
    for callers that hold the rows in memory (the demo writes its files and imports them without reading
    them back). Raises FileRefused (nothing written)."""
    step = progress or (lambda fraction, text: None)
    kind = raw.kind
    feed = FEEDS[kind]
    con = connect(db_path)
    try:
        ensure_schema(con)
        if allowed_communities is not None:
            _refuse_foreign_rows(con, raw, allowed_communities)
        same = imported_as(con, kind, raw.sha256)
        report = new_report(db_path, raw, raw.frame.height)
        if same is not None:
            report.already_imported_as = same
            step(1.0, "done")
            return report
        step(0.25, "check")
        protection = protect(con, raw)
        report.hashed_columns = protection.hashed_columns
        checked = check(raw)
        _refuse_scope_changes(con, kind, checked.accepted, allowed_communities, raw.file_name)
        step(0.55, "store")
        with transaction(con):   # the whole import or none of it, even when the process is killed
            _apply(con, feed, raw, checked, raw.sha256, report)
            _remember_people(con, protection, report.import_id)
            audit.record_import(con, "import", kind, report.import_id, user=user, file=report.file_name,
                                rows_read=report.rows_read, rows_new=report.rows_new,
                                rows_replaced=report.rows_replaced, rows_quarantined=len(report.quarantined))
        step(1.0, "done")
        return report
    finally:
        con.close()


def import_chunks(db_path, source: CsvChunks, progress=None, user: str | None = None,
                  allowed_communities=None) -> ImportReport:
    """import_table for a file read in chunks (chunked.py, staging.py): the same store, report and quarantine.
    Errors come in the order import_table gives them: reading (every chunk is read first, even when the file
    was imported before), rows of another community, the same file imported before, the person key. Raises
    FileRefused (nothing written), or ReadWhole where the chunks would read otherwise than the whole file."""
    step = progress or (lambda fraction, text: None)
    feed = FEEDS[source.kind]
    con = connect(db_path)
    try:
        with _import_memory(con, db_path):
            return _import_staged(con, db_path, source, step, feed, user, allowed_communities)
    finally:
        con.close()


# A chunked import's DuckDB memory cap, per store: the setting is the database instance's, which every connection
# of this process to the file shares (the dashboard's, another upload's import), so the first import in sets it and
# the last one out puts back what was there before the first (each putting back what it found would leave the cap
# on for good when two overlap and the first ends first).
_memory_guard = threading.Lock()
_memory_caps: dict[str, list] = {}     # the store's file -> [imports running, the limit before the first]


@contextlib.contextmanager
def _import_memory(con, db_path):
    key = str(Path(db_path).resolve())
    with _memory_guard:
        cap = _memory_caps.setdefault(key, [0, None])
        if cap[0] == 0:
            cap[1] = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        cap[0] += 1
    try:
        yield
    finally:
        with _memory_guard:
            cap[0] -= 1
            if cap[0] == 0:
                del _memory_caps[key]
                # DuckDB shows the limit rounded ("2.7 GiB"): set again as shown, it would shrink a little at every
                # import; the default (what nothing in Linli changes) comes back exact by RESET
                con.execute("RESET memory_limit")
                if con.execute("SELECT current_setting('memory_limit')").fetchone()[0] != cap[1]:
                    con.execute(f"SET memory_limit = '{cap[1]}'")


def _import_staged(con, db_path, source: CsvChunks, step, feed: Feed, user, allowed_communities) -> ImportReport:
    """import_chunks on its open connection, DuckDB's memory capped."""
    ensure_schema(con)
    same = imported_as(con, source.kind, source.sha256)
    staging = Staging(con, feed) if same is None else None
    now = import_moment()
    head, foreign, masked, hashed = None, [], {}, set()
    protection, key_error = Protection(), None
    step(0.25, "check")
    for raw in source.tables():
        # the first chunk's columns and their fates (not its rows) make the report
        head = head or dataclasses.replace(raw, frame=pl.DataFrame(), identifiers=None)
        for h, n in raw.masked.items():
            masked[h] = masked.get(h, 0) + n
        if allowed_communities is not None:
            foreign.append(foreign_rows(con, raw, allowed_communities))
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
        staging.add(raw, *accept(con, feed, raw, check(raw, now)))
        del raw
    if not source.dropped_as_whole():
        raise ReadWhole
    if allowed_communities is not None:
        refuse_foreign(source.file_name, pl.concat(foreign), allowed_communities)
    report = new_report(db_path, head, source.rows)
    report.masked_columns = masked_in_order(head, masked)
    if same is not None:
        report.already_imported_as = same
        step(1.0, "done")
        return report
    if key_error is not None:
        raise key_error
    id_headers = [head.mapping.get(c.name, c.name) for c in feed.columns if c.kind == ID]
    report.hashed_columns = [h for h in id_headers if h in hashed]
    protection.links = staging.give_people()
    earlier, repeated = staging.duplicates(source, key_match(feed.name, "s", "r"))
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
        store_rows(con, feed, incoming, rejected, source.sha256, report, release)
        _remember_people(con, protection, report.import_id)
        audit.record_import(con, "import", source.kind, report.import_id, user=user, file=report.file_name,
                            rows_read=report.rows_read, rows_new=report.rows_new,
                            rows_replaced=report.rows_replaced, rows_quarantined=len(report.quarantined))
    step(1.0, "done")
    return report


def imported_as(con, kind: str, sha: str) -> int | None:
    """The applied import of the same file (by its bytes' sha256), if any: importing it again changes nothing."""
    return scalar(con.execute("SELECT min(import_id) FROM imports WHERE kind = ? AND file_sha256 = ? AND status = 'applied'",
                              [kind, sha]))


def new_report(db_path, raw, rows_read: int) -> ImportReport:
    """The report of importing `raw` (readers.RawTable: its columns' fates), before any row is stored."""
    from pipelines.ingest.profiles import skipped
    return ImportReport(raw.file_name, raw.kind, rows_read=rows_read, encoding=raw.encoding,
                        header_row=raw.header_row, kept_columns=list(raw.mapping.values()) + raw.ignored,
                        personal_columns=raw.personal, id_sources=raw.id_sources,
                        dropped_columns=[h for h in raw.personal if h not in raw.id_sources] + raw.dropped_by_value,
                        masked_columns=dict(raw.masked), profile=raw.profile,
                        skipped_by_profile=list(raw.skipped_by_profile),
                        profiles_skipped=[(e.zh, e.en) for e in skipped(db_path)])


def _refuse_foreign_rows(con, raw, allowed) -> None:
    refuse_foreign(raw.file_name, foreign_rows(con, raw, allowed), allowed)


def foreign_rows(con, raw, allowed) -> pl.DataFrame:
    """The rows (_row, community_id) of another community than `allowed`. Names are read as ids first,
    as the import itself will."""
    allowed = {str(c) for c in allowed}
    given = raw.frame.select(ROW, pl.col("community_id").cast(pl.Utf8))
    names = _community_name_map(con) if raw.kind != "communities" else {}
    if names:
        given = given.with_columns(pl.col("community_id").replace(names))
    # a row without a community is quarantined by the checks as incomplete: it is no one's data
    return given.filter(pl.col("community_id").is_not_null() & (pl.col("community_id") != "")
                        & ~pl.col("community_id").is_in(sorted(allowed)))


def refuse_foreign(file_name: str, foreign: pl.DataFrame, allowed) -> None:
    """The whole file is refused rather than its foreign rows quarantined: a quarantined row is stored
    (and listed to that community's director), and an import touching two communities could no longer
    be undone by either director."""
    allowed = {str(c) for c in allowed}
    if foreign.height == 0:
        return
    ids = sorted(set(foreign["community_id"]))
    rows = sorted(int(r) for r in foreign[ROW])
    shown = rows[:10]
    more_zh = f" 等 {len(rows)} 行" if len(rows) > len(shown) else ""
    more_en = f" and {len(rows) - len(shown)} more" if len(rows) > len(shown) else ""
    own = "、".join(sorted(allowed)) or "无"
    raise FileRefused(file_name,
                      f"第 {'、'.join(map(str, shown))} 行{more_zh}属于其他社区（{'、'.join(ids)}），"
                      f"这个账号只能导入本社区（{own}）的数据。文件没有导入任何一行；"
                      "请删去这些行后重新上传，或请管理员导入。",
                      f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, shown))}{more_en} "
                      f"belong{'' if len(rows) > 1 else 's'} to other "
                      f"communities ({', '.join(ids)}); this account may only import its own community's data "
                      f"({', '.join(sorted(allowed)) or 'none'}). Nothing of the file was imported: remove those "
                      "rows and upload it again, or ask an admin to import it.")


# ---- the communities list decides scope: only an admin changes it (issue 15 item 10) ----------------
# A community's street puts it under that street's officials and its name is how registers name it, so
# an account limited to its own community (a director) may import the list only as it stands: its other
# columns (households, location) may change, never a community's name or street, nor a new community.
SCOPE_COLUMNS = ("name", "street")


def _scope_rows(con, versions_where: str | None = None, params: list | None = None) -> dict[str, tuple]:
    """community id -> (name, street) as current (or as current would be over the versions `versions_where` picks)."""
    source = f"({current_rows_sql('communities', versions_where)})" if versions_where else "cur_communities"
    sql = f"SELECT community_id, {', '.join(SCOPE_COLUMNS)} FROM {source}"
    return {r[0]: tuple(r[1:]) for r in con.execute(sql, params or []).fetchall()}


def _scope_changes(before: dict[str, tuple], after: dict[str, tuple], ids) -> tuple[list[str], list[str]]:
    """What would change, said in both languages: a new community, or a name or street of one."""
    zh, en = [], []
    for cid in sorted(set(ids)):
        if cid not in before:
            zh.append(f"新建社区 {cid}")
            en.append(f"a new community {cid}")
            continue
        if cid not in after:
            zh.append(f"删去社区 {cid}")
            en.append(f"community {cid} would be gone")
            continue
        for column, word_zh, old, new in zip(SCOPE_COLUMNS, ("名称", "所属街道"), before[cid], after[cid]):
            if old != new:
                zh.append(f"社区 {cid} 的{word_zh}“{old or ''}”→“{new or ''}”")
                en.append(f"community {cid}'s {column} '{old or ''}' -> '{new or ''}'")
    return zh, en


def _refuse_scope_changes(con, kind: str, accepted: pl.DataFrame, allowed, file_name: str) -> None:
    """An import of the communities list by a limited account (`allowed` not None) that would add a
    community or change a name or street: refused whole (FileRefused), nothing stored."""
    if kind != "communities" or allowed is None or accepted.height == 0:
        return
    before = _scope_rows(con)
    given = accepted.select("community_id", *SCOPE_COLUMNS, ROW)
    after = dict(before)
    after.update({r[0]: tuple(r[1:-1]) for r in given.iter_rows()})   # the lowest row wins, as stored
    moved = [r[0] for r in given.iter_rows() if before.get(r[0]) != after[r[0]] or r[0] not in before]
    if not moved:
        return
    zh, en = _scope_changes(before, after, moved)
    rows = sorted(int(r[-1]) for r in given.iter_rows() if r[0] in moved)
    raise FileRefused(file_name,
                      f"第 {'、'.join(map(str, rows[:10]))} 行会改动社区名单中决定查看范围的内容（{'；'.join(zh)}）。"
                      "社区的编号、名称和所属街道只能由管理员修改。文件没有导入任何一行；请让这些列保持名单中的原样后"
                      "重新上传，或请管理员修改。",
                      f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:10]))} would change what decides "
                      f"access in the communities list ({'; '.join(en)}). A community's id, name and street are "
                      "changed by an admin only. Nothing of the file was imported: keep those columns as the list "
                      "has them and upload it again, or ask an admin to change them.")


def _refuse_scope_undo(con, kind: str, import_id: int, allowed) -> None:
    """Undoing a communities import by a limited account that would bring back another name or street (or
    drop a community): refused, as importing that change would be."""
    if kind != "communities" or allowed is None:
        return
    before = _scope_rows(con)
    after = _scope_rows(con, "_import_id <> ?", [import_id, import_id])
    moved = [c for c in before.keys() | after.keys() if before.get(c) != after.get(c)]
    if not moved:
        return
    zh, en = _scope_changes(before, after, moved)
    raise UserError(f"撤销第 {import_id} 次导入会改动社区名单中决定查看范围的内容（{'；'.join(zh)}）。"
                    "社区的编号、名称和所属街道只能由管理员修改，请管理员撤销。",
                    f"undoing import #{import_id} would change what decides access in the communities list "
                    f"({'; '.join(en)}). A community's id, name and street are changed by an admin only: "
                    "ask an admin to undo it.")


def _remember_people(con, protection, import_id: int) -> None:
    if protection.fingerprint:
        con.execute("INSERT OR REPLACE INTO linli_meta VALUES ('key_fingerprint', ?)", [protection.fingerprint])
    if protection.links:
        links = pl.DataFrame({"ident_hash": list(protection.links),
                              "person_id": [pid for pid, _ in protection.links.values()],
                              "ident_kind": [kind for _, kind in protection.links.values()]})
        con.register("links_df", links.to_arrow())
        con.execute("""INSERT INTO person_links (ident_hash, person_id, import_id, ident_kind)
                       SELECT ident_hash, person_id, ?, ident_kind FROM links_df
                       ON CONFLICT (ident_hash) DO UPDATE SET person_id = excluded.person_id,
                           import_id = excluded.import_id, ident_kind = excluded.ident_kind""", [import_id])
        con.unregister("links_df")


def _apply(con, feed: Feed, raw, checked, sha: str, report: ImportReport) -> None:
    accepted, rejected = accept(con, feed, raw, checked)
    # The same id twice in one file: the lower row is the later word and wins; the earlier one is
    # kept in quarantine so nothing is lost.
    last = accepted.unique(subset=list(feed.key), keep="last", maintain_order=True)
    dup = accepted.join(last.select(ROW), on=ROW, how="anti")
    if dup.height:
        winners = dup.join(last.select([*feed.key, pl.col(ROW).alias("_winner")]), on=list(feed.key), how="left")
        raw_dup = raw.frame.join(dup.select(ROW), on=ROW, how="semi").sort(ROW)
        rejected = pl.concat([rejected, duplicate_rejections(
            feed, raw_dup.select(pl.col(ROW).cast(pl.Int64), row_as_given(feed)), winners.sort(ROW)["_winner"])])
    con.register("incoming_df", last.to_arrow())
    store_rows(con, feed, "incoming_df", rejected, sha, report, lambda: con.unregister("incoming_df"))


def accept(con, feed: Feed, raw, checked) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows the checks accepted with community names read as ids, less those naming an unknown reference,
    which join the rejected rows: (accepted, rejected)."""
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
            row_as_given(feed))])
        accepted = accepted.filter(~bad_ref)
    return accepted, rejected


def store_rows(con, feed: Feed, incoming: str, rejected: pl.DataFrame, sha: str, report: ImportReport,
               release=None) -> None:
    """Store a file's accepted rows (`incoming`: a relation, one row per key) and quarantine its rejected
    ones as one import; `release` is called once the rows are read (their source may go)."""
    import_id = _next_import_id(con)
    report.import_id = import_id
    cols = feed.names
    key_join = key_match(feed.name, "c", "i")
    row_text = "CAST(ROW(" + ", ".join(f"i.{c}" for c in [*cols, "_extra"]) + ") AS VARCHAR)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT i.*, md5({row_text}) AS _hash,
               c._hash AS _old_hash, c._import_id AS _cur_import, {old_from_sql(feed.name, 'c')} AS _old_from
        FROM {incoming} i LEFT JOIN cur_{feed.name} c ON {key_join}""")
    if release is not None:
        release()
    note_communities(con, feed.name, import_id)
    counts = first(con.execute("""SELECT count(*) FILTER (WHERE _old_hash IS NULL),
                                   count(*) FILTER (WHERE _old_hash IS NOT NULL AND _old_hash <> _hash),
                                   count(*) FILTER (WHERE _old_hash = _hash) FROM incoming"""))
    report.rows_new, report.rows_replaced, report.rows_unchanged = counts
    changed = "_old_hash IS DISTINCT FROM _hash"
    keys = ", ".join(feed.key)
    # A row brought unchanged is noted by key: undoing an earlier import that brought it first must leave it
    # current (undo is "as if that import never happened"). Feeds with person ids store it whole, as before:
    # after an undo, person ids are worked out again by replaying every applied import's stored rows.
    stored = "true" if feed.person_column else changed
    con.execute(f"""INSERT INTO {raw_table(feed.name)} ({', '.join(cols)}, _import_id, _row, _hash, _extra, _person)
                    SELECT {', '.join(cols)}, ?, _row, _hash, _extra, _person FROM incoming WHERE {stored}""",
                [import_id])
    if not feed.person_column:
        con.execute(f"""INSERT INTO {seen_table(feed.name)} ({keys}, _import_id, _row, _src_import)
                        SELECT {keys}, ?, _row, _cur_import FROM incoming WHERE NOT ({changed})""", [import_id])
    if report.rows_replaced:
        con.execute(f"""DELETE FROM cur_{feed.name} c USING incoming i
                        WHERE {key_join} AND i._old_hash IS NOT NULL AND i._old_hash <> i._hash""")
    con.execute(f"""INSERT INTO cur_{feed.name} ({', '.join(cols)}, _import_id, _row, _hash, _extra, _person)
                    SELECT {', '.join(cols)}, ?, _row, _hash, _extra, _person FROM incoming WHERE {changed}""",
                [import_id])
    con.execute(f"INSERT INTO {changes_table(feed.name)} SELECT {keys}, ?, _old_from FROM incoming WHERE {changed}",
                [import_id])
    con.execute("DROP TABLE incoming")
    rejected = rejected.sort(ROW)
    if rejected.height:
        q = rejected.with_columns(pl.lit(import_id).alias("import_id"), pl.lit(feed.name).alias("kind"),
                                  pl.lit(report.file_name).alias("file_name"),
                                  _quarantine_key(con, feed).alias("row_key"))
        con.register("q_df", q.to_arrow())
        con.execute("""INSERT INTO quarantine (import_id, kind, file_name, row_number, columns, reason_zh, reason_en,
                                               raw, row_key)
                       SELECT import_id, kind, file_name, _row, columns, reason_zh, reason_en, raw, row_key FROM q_df""")
        con.unregister("q_df")
        report.quarantined = [
            {"row": r[ROW], "reason_zh": f"《{report.file_name}》第 {r[ROW]} 行：{r['reason_zh']}",
             "reason_en": f"'{report.file_name}' row {r[ROW]}: {r['reason_en']}"}
            for r in rejected.iter_rows(named=True)]
    con.execute("""INSERT INTO imports VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, 'applied', NULL, NULL)""",
                [import_id, feed.name, report.file_name, sha, report.encoding, report.header_row,
                 report.rows_read, report.rows_new, report.rows_replaced, report.rows_unchanged, rejected.height])


def undo(db_path: str | Path, import_id: int, user: str | None = None, allowed_communities=None) -> str:
    """`allowed_communities` as for import_file: only an import whose rows were all theirs may be undone."""
    con = connect(db_path)
    try:
        ensure_schema(con)
        row = first(con.execute("SELECT status, file_name, kind FROM imports WHERE import_id = ?", [import_id]))
        if row is None:
            raise UserError(f"没有编号为 {import_id} 的导入记录。运行 `linli imports` 查看导入记录。",
                            f"there is no import #{import_id}. Run `linli imports` to list them.")
        # scope first: a foreign import's file name is not told
        if allowed_communities is not None:
            touched = audit.import_communities(con, row[2], import_id)
            if not touched or not set(touched) <= {str(c) for c in allowed_communities}:
                raise UserError(f"第 {import_id} 次导入不只含本社区的数据，这个账号不能撤销它。请管理员撤销。",
                                f"import #{import_id} holds more than this account's community; "
                                "this account may not undo it. Ask an admin to undo it.")
        _refuse_scope_undo(con, row[2], import_id, allowed_communities)
        if row[0] != "applied":
            raise UserError(f"第 {import_id} 次导入（{row[1]}）已经撤销过了。", f"import #{import_id} ({row[1]}) is already undone.")
        with transaction(con):
            con.execute("""UPDATE imports SET status = 'undone', undone_at = now()::TIMESTAMP,
                                  undone_seq = nextval('import_seq') WHERE import_id = ?""", [import_id])
            seq = scalar(con.execute("SELECT undone_seq FROM imports WHERE import_id = ?", [import_id]))
            recompute_current(con, row[2], "_import_id = ?", [import_id], seq)
            # person ids of later imports may have leant on links this import made
            if relink(con):
                for kind, feed in FEEDS.items():    # rewritten in place: their current copies follow
                    if feed.person_column:
                        recompute_current(con, kind, "true", [], seq)
                con.execute("DROP TABLE IF EXISTS build_state")    # those rows are no undone import's: build in full
            audit.record_import(con, "undo", row[2], import_id, user=user, file=row[1])
        return row[1]
    finally:
        con.close()


def set_rules(db_path: str | Path, community_id: str, window_start: str | None, window_end: str | None,
              overdue_hours: float | None, effective_from: dt.date | None = None, user: str | None = None) -> None:
    """`effective_from`: the day the community adopted the rules, kept in their history (pipelines/records/rules.py)."""
    from pipelines.records import rules
    con = connect(db_path)
    try:
        ensure_schema(con)
        with transaction(con):
            con.execute("""INSERT INTO community_rules VALUES (?, ?::TIME, ?::TIME, ?, nextval('import_seq'))
                           ON CONFLICT (community_id) DO UPDATE SET
                             window_start = coalesce(excluded.window_start, window_start),
                             window_end = coalesce(excluded.window_end, window_end),
                             overdue_hours = coalesce(excluded.overdue_hours, overdue_hours),
                             changed_seq = excluded.changed_seq""",
                        [community_id, window_start, window_end, overdue_hours])
            rules.record_change(con, community_id, effective_from)
            audit.record(con, "rules", user=user, community_id=community_id, window_start=window_start,
                         window_end=window_end, overdue_hours=overdue_hours, effective_from=effective_from)
    finally:
        con.close()


# --- what an import changed in periods already complete (issue 16 item 9) -----------------------------
# Importing a new week can move an earlier, complete week's numbers (a parcel's waiting time runs to the
# feed's newest event, so parcels still not picked up become overdue): the import report says so, period
# by period, rather than letting a number nobody expected to move change without a word.

KpiKey = tuple[str, str, dt.date, str]          # community, grain, period start, metric


@dataclass(frozen=True)
class KpiChange:
    community_id: str
    grain: str
    period_start: dt.date
    metric: str
    before: float | None
    after: float | None


def complete_kpi(db_path: str | Path, communities=None) -> dict[KpiKey, float | None]:
    """Every kpi value of a period its community's data already runs past (complete, SPEC §6), as the
    store holds it now; {} before the first build. `communities`: only these (None: all)."""
    from pipelines.database import has_table
    db_path = Path(db_path)
    if not db_path.exists():
        return {}
    con = connect(db_path, read_only=True)
    try:
        if not (has_table(con, "kpi") and has_table(con, "period_spine")):
            return {}
        rows = con.execute("""
            WITH ends AS (SELECT community_id, max(data_end) AS data_end FROM period_spine GROUP BY 1),
                 complete AS (SELECT DISTINCT s.community_id, s.grain, s.period_start FROM period_spine s
                              JOIN ends e USING (community_id) WHERE e.data_end >= s.period_next)
            SELECT k.community_id, k.grain, k.period_start, k.metric, k.value
            FROM kpi k JOIN complete c USING (community_id, grain, period_start)
            WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], k.community_id)""",
                           [None if communities is None else list(communities)] * 2).fetchall()
    finally:
        con.close()
    return {(c, g, p, m): v for c, g, p, m, v in rows}


def _same(a: float | None, b: float | None) -> bool:
    missing = (a is None or math.isnan(a), b is None or math.isnan(b))
    if missing[0] or missing[1]:
        return missing[0] and missing[1]
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def kpi_changes(before: dict[KpiKey, float | None], after: dict[KpiKey, float | None]) -> list[KpiChange]:
    """The numbers of periods complete `before` that are different `after`, by community, grain (weeks
    first), period and metric. A value gone after the rebuild counts as changed to None."""
    grains = {"week": 0, "month": 1}
    changed = [KpiChange(*key, was, after.get(key)) for key, was in before.items() if not _same(was, after.get(key))]
    return sorted(changed, key=lambda c: (c.community_id, grains.get(c.grain, 9), c.period_start, c.metric))


__all__ = ["FileRefused", "ImportReport", "KpiChange", "complete_kpi", "connect", "ensure_schema", "import_file",
           "kpi_changes", "set_rules", "undo"]
