"""`linli lake export DIR` (SPEC §11): the store's current rows as a Hive-partitioned Parquet lake.

Each feed's current rows (cur_<feed>, the columns of pipelines/feeds.py: none of the store's _ internals)
go to DIR/<feed>/community_id=<id>/month=<YYYY-MM>/data.parquet, the month that of the feed's anchor time
(feeds.period_times[0]); a reference feed goes unpartitioned to DIR/<feed>/data.parquet. The kept tables the
models read (a community's rules, the cooperative's split) go the same way as reference tables, with the
columns the models read only. DIR/manifest.json names the feeds, the store's schema version, the row counts,
the export time and a hash per partition: exporting again rewrites only the partitions whose rows changed
(and removes those that have no rows any more), so a lake synchronised to a cluster moves only what an
import changed. Personal data leaves as stored (masked, hashed): nothing more than the store holds.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipelines.feeds import FEEDS
from pipelines.ingest.store import SCHEMA_VERSION, connect
from pipelines.lake.paths import local_path, partition_path

MANIFEST = "manifest.json"
FORMAT = "linli-lake"
DATA_FILE = "data.parquet"
# Kept tables (pipelines/records/kept.py) that the kpi models read, with the columns they read: who changed
# a rule and when stays in the store.
KEPT_READ = {
    "community_rules": ("community_id", "window_start", "window_end", "overdue_hours"),
    # changed_seq: of two adoptions on one day, the later recorded wins (mart_coop_period)
    "coop_split": ("community_id", "effective_from", "members_pct", "coop_pct", "fund_pct", "changed_seq"),
}
PARTITION_COLUMNS = ("community_id", "month")
FEED_IMPORTS = "feed_imports"     # (community_id, feed, last_import): the import history coverage needs


class LakeRefused(ValueError):
    """A folder the export will not write into (the reason in Chinese, then in English)."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(en)


@dataclass
class ExportResult:
    tables: dict[str, int]          # table -> rows
    written: int                    # partitions (files) written
    kept: int                       # partitions unchanged, not rewritten
    removed: int                    # partitions gone from the store, removed from the lake


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lake_tables() -> dict[str, tuple[str, tuple[str, ...], str | None]]:
    """table -> (store table, columns, anchor time column or None for an unpartitioned table)."""
    out = {}
    for name, feed in FEEDS.items():
        anchor = feed.period_times[0] if feed.is_event else None
        out[name] = (f"cur_{name}", tuple(c.name for c in feed.columns), anchor)
    for name, cols in KEPT_READ.items():
        out[name] = (name, cols, None)
    out[FEED_IMPORTS] = (f"lake_{FEED_IMPORTS}", ("community_id", "feed", "last_import"), None)
    return out


def _feed_imports(con) -> None:
    """When each feed was last brought up for each community: the latest applied (not undone) file of the feed
    that brought its rows, as coverage.sql's second rule reads it. A lake has no import history, and without it
    a register with rare events (就业安置) would read its latest weeks as 未导入 on a city's pages."""
    from pipelines.build.sqlgen import feed_import_rows
    con.execute(f"""CREATE OR REPLACE TEMP TABLE lake_{FEED_IMPORTS} AS
                    SELECT b.community_id, b.feed, max(i.imported_at)::TIMESTAMP AS last_import
                    FROM ({feed_import_rows()}) b JOIN imports i ON i.import_id = b.import_id AND i.status = 'applied'
                    GROUP BY b.community_id, b.feed""")


def check_lake_dir(lake: Path, db_path: Path, outputs=None) -> Path:
    """The lake's folder, resolved; refused when it is one of the store's own folders (its snapshots, its
    profiles: pipelines/cli/common.py Outputs), the store's folder or one holding it, or a folder of other
    files that is no lake."""
    target = outputs.check_folder(lake) if outputs is not None else Path(lake).resolve()
    store = Path(db_path).resolve()
    if store.is_relative_to(target):
        raise LakeRefused(f"《{target}》里放着数据库本身，湖只能写到单独的文件夹。",
                          f"'{target}' holds the database itself; the lake goes to a folder of its own.")
    if target.exists() and not target.is_dir():
        raise LakeRefused(f"《{target}》不是文件夹。", f"'{target}' is not a folder.")
    if target.exists() and any(target.iterdir()) and not (target / MANIFEST).exists():
        raise LakeRefused(f"《{target}》里已有别的文件，又不是 Linli 导出的湖（没有 {MANIFEST}）。请换一个空文件夹。",
                          f"'{target}' holds other files and is no Linli lake (no {MANIFEST}); choose an empty folder.")
    return target


def _mkdir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def read_manifest(lake: str | Path) -> dict | None:
    """The manifest of a lake on this machine (a path or a file:// URI)."""
    try:
        data = json.loads((local_path(lake) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data if data.get("format") == FORMAT else None


def export_lake(db_path: str | Path, lake: str | Path, outputs=None) -> ExportResult:
    lake = check_lake_dir(Path(lake), Path(db_path), outputs)
    old = read_manifest(lake) or {}
    old_parts = {t: v.get("partitions", {}) for t, v in old.get("tables", {}).items()}
    _mkdir(lake)
    con = connect(db_path, read_only=True)
    manifest_tables: dict[str, dict] = {}
    written = kept = removed = 0
    try:
        if "imports" in {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}:
            _feed_imports(con)
        # the store's tables and the temp ones made above (a temp table's schema is main too)
        have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")
                .fetchall()}
        for name, (source, cols, anchor) in lake_tables().items():
            if source not in have:
                continue     # a store that never set a rule: the models fall back on the defaults
            # a time of day as fixed-width text (09:00:00.000000): Spark reads no Parquet TIME, and text of
            # one width orders as the times do; the manifest keeps the type, DuckDB casts it back
            types = dict(con.execute(f"SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = "
                                     f"{_lit(source)} AND schema_name = 'main'").fetchall())
            select_cols = ", ".join(
                f"strftime(DATE '2000-01-01' + {_q(c)}, '%H:%M:%S.%f') AS {_q(c)}" if types.get(c) == "TIME"
                else _q(c) for c in cols)
            if anchor:
                month = f"coalesce(strftime({_q(anchor)}, '%Y-%m'), 'none')"
                body = (f"SELECT {select_cols}, {month} AS month FROM {_q(source)}")
                part_cols = ("community_id", "month")
            else:
                body = f"SELECT {select_cols} FROM {_q(source)}"
                part_cols = ()
            con.execute(f"CREATE OR REPLACE TEMP TABLE lake_rows AS {body}")
            order = ", ".join(_q(c) for c in cols)
            # a hash of each partition's rows in a fixed order: equal hash, equal file, nothing to rewrite
            row_text = "concat_ws('\x1f', " + ", ".join(f"coalesce({_q(c)}::VARCHAR, '\x1e')" for c in cols) + ")"
            group = ", ".join(part_cols) if part_cols else "true"
            parts = con.execute(
                f"SELECT {', '.join(part_cols) + ', ' if part_cols else ''}count(*), "
                f"md5(string_agg({row_text}, '\x1d' ORDER BY {order})) FROM lake_rows GROUP BY {group}").fetchall()
            table_dir = lake / name
            _mkdir(table_dir)
            new_parts: dict[str, dict] = {}
            total = 0
            for row in parts:
                values, rows, digest = row[:len(part_cols)], row[-2], row[-1]
                # a community id with '/', '=' or '%' is one folder, %XX-escaped as Hive writes it (paths.py)
                rel = partition_path(part_cols, values) or "."
                new_parts[rel] = {"rows": rows, "hash": digest}
                total += rows
                target = table_dir / rel / DATA_FILE
                if old_parts.get(name, {}).get(rel, {}).get("hash") == digest and target.exists():
                    kept += 1
                    continue
                folder = table_dir / rel
                for d in [table_dir / partition_path(part_cols[:i + 1], values)
                          for i in range(len(part_cols))] or [table_dir]:
                    _mkdir(d)
                where = " AND ".join(f"{c} = {_lit(str(v))}" for c, v in zip(part_cols, values)) or "true"
                tmp = folder / (DATA_FILE + ".tmp")
                # the partition's values are in its path, not repeated in the file (Hive's layout)
                file_cols = ", ".join(_q(c) for c in cols if c not in part_cols)
                con.execute(f"COPY (SELECT {file_cols} FROM lake_rows WHERE {where} ORDER BY {order}) "
                            f"TO {_lit(str(tmp))} (FORMAT parquet)")
                os.chmod(tmp, 0o600)
                os.replace(tmp, target)
                written += 1
            if not parts and not part_cols:
                # an empty reference table still has its columns: a reader finds the table, with no rows
                tmp = table_dir / (DATA_FILE + ".tmp")
                con.execute(f"COPY (SELECT {order} FROM lake_rows) TO {_lit(str(tmp))} (FORMAT parquet)")
                os.chmod(tmp, 0o600)
                os.replace(tmp, table_dir / DATA_FILE)
                new_parts["."] = {"rows": 0, "hash": None}
            for rel in set(old_parts.get(name, {})) - set(new_parts):
                gone = table_dir / rel
                if gone.is_dir() and gone.resolve().is_relative_to(table_dir.resolve()) and rel != ".":
                    shutil.rmtree(gone)
                    removed += 1
                    parent = gone.parent
                    if parent != table_dir and not any(parent.iterdir()):
                        parent.rmdir()
            manifest_tables[name] = {
                "source": source, "columns": list(cols),
                "types": {c: types[c] for c in cols},
                "partitioned_by": list(part_cols), "anchor": anchor,
                "kind": "event" if anchor else ("reference" if name in FEEDS else "kept"),
                "rows": total, "partitions": new_parts}
            con.execute("DROP TABLE lake_rows")
    finally:
        con.close()
    manifest = {"format": FORMAT, "schema_version": SCHEMA_VERSION,
                "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "feeds": [n for n in manifest_tables if n in FEEDS], "tables": manifest_tables}
    tmp = lake / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, lake / MANIFEST)
    return ExportResult({n: v["rows"] for n, v in manifest_tables.items()}, written, kept, removed)


def duckdb_read_sql(lake: str | Path, table: str, manifest: dict | None = None) -> str:
    """The SQL that reads one lake table back in DuckDB, with the store's columns in their order."""
    lake = local_path(lake)
    manifest = manifest or read_manifest(lake)
    entry = manifest["tables"][table]
    cols = ", ".join(f"{_q(c)}::{entry['types'][c]} AS {_q(c)}" for c in entry["columns"])
    if not entry["rows"] and entry["partitioned_by"]:     # no partition, no file: the columns alone
        return "SELECT " + ", ".join(f"NULL::{entry['types'][c]} AS {_q(c)}" for c in entry["columns"]) + " WHERE false"
    if entry["partitioned_by"]:
        glob = str(Path(lake) / table / "*" / "*" / DATA_FILE)
        return f"SELECT {cols} FROM read_parquet({_lit(glob)}, hive_partitioning = true, hive_types_autocast = false)"
    return f"SELECT {cols} FROM read_parquet({_lit(str(Path(lake) / table / DATA_FILE))})"
