"""`linli serve --kpi-from DIR` (issue 18 item 4): the overview and the street comparison read a `kpi` built
elsewhere (`linli build --engine spark --lake DIR`, or another machine's DuckDB) without a local rebuild.

The lake's kpi (DIR/kpi/grain=<g>/…parquet, SPEC §5 columns) and its reference rows are published here as a
small read-only DuckDB file with the tables those two pages read, named as in a build snapshot, so the one
snapshot reader serves both and a viewer's scope (SPEC §9) is applied to the lake's rows by the same code:

- kpi: the lake's rows, as they are (the models are not run again); a kpi Spark is still writing (kpi/_temporary)
  is not read;
- stg_communities, stg_buildings, stg_points: the staging models of sql/ over the lake's reference tables;
- mart_street_measures: its model of sql/ over that kpi;
- mart_feed_freshness, period_spine, coverage: how far each feed runs, from the latest event time the lake's
  feed files hold (the registry's period_times), and when each feed was last brought up for each community (the
  lake's feed_imports): coverage.sql's two rules, so a period reads 未导入 in the city exactly when it does in
  the store that was exported;
- community_rules_effective: the rules the lake carries (a community without one reads the defaults);
- build_info: when the kpi files were written;
- the per-point and per-building marts the alerts name places from, and `imports`: empty (the lake has no
  such detail), so an alert states the number without naming the point.

It is published as a build snapshot is: written beside, renamed into place, the newest one named by CURRENT.
A kpi being rewritten (Spark's overwrite removes the old files first) keeps the last good one in service.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.build.models import load_models, macros_sql
from pipelines.build.sqlgen import event_feeds, feed_time_bounds, render
from pipelines.lake.export import FEED_IMPORTS, MANIFEST, duckdb_read_sql, read_manifest

KPI_DIR = "kpi"
KPI_COLUMNS = ("community_id VARCHAR", "grain VARCHAR", "period_start DATE", "metric VARCHAR", "value DOUBLE")
STAGING = ("stg_communities", "stg_buildings", "stg_points")
# Detail the lake does not carry: empty tables with the build's columns, so the alerts' queries find no rows.
EMPTY = {
    "mart_point_peak": "community_id VARCHAR, grain VARCHAR, period_start DATE, point_id VARCHAR, capacity BIGINT, "
                       "peak_in_stock HUGEINT, peak_ratio DOUBLE, peak_hour TIMESTAMP, mean_in_stock DOUBLE",
    "mart_noise_buildings": "community_id VARCHAR, grain VARCHAR, period_start DATE, building_id VARCHAR, "
                            "complaints BIGINT, outside_hours BIGINT",
    "mart_overdue_parcels": "community_id VARCHAR, point_id VARCHAR, parcel_id VARCHAR, building_id VARCHAR, "
                            "carrier VARCHAR, arrived_at TIMESTAMP, picked_up_at TIMESTAMP, waited_hours DOUBLE, "
                            "still_waiting BOOLEAN",
    "imports": "import_id INTEGER, kind VARCHAR, file_name VARCHAR, imported_at TIMESTAMP, rows_read INTEGER, "
               "rows_new INTEGER, rows_replaced INTEGER, rows_quarantined INTEGER, status VARCHAR",
}
REFERENCE_DEFAULTS = {   # a lake exported before a register was imported: the staging model's input, empty
    "communities": "community_id VARCHAR, name VARCHAR, street VARCHAR, households BIGINT, lat DOUBLE, lon DOUBLE",
    "buildings": "building_id VARCHAR, community_id VARCHAR, name VARCHAR, households BIGINT, lat DOUBLE, lon DOUBLE",
    "points": "point_id VARCHAR, community_id VARCHAR, name VARCHAR, kind VARCHAR, capacity BIGINT, lat DOUBLE, "
              "lon DOUBLE",
}
CURRENT = "CURRENT"
KEEP = 2
_LOCK = threading.Lock()


class CityLakeError(ValueError):
    """A folder `--kpi-from` cannot serve (the reason and the fix, in Chinese, then in English)."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(en)


@dataclass(frozen=True)
class CityInfo:
    lake: Path
    built_at: dt.datetime          # when the kpi files were written (local time, as a build's built_at)
    exported_at: dt.datetime | None
    communities: int
    kpi_rows: int


def kpi_files(lake: Path) -> list[Path]:
    return sorted((Path(lake) / KPI_DIR).glob("grain=*/*.parquet"))


def check_lake(lake: str | Path) -> Path:
    """The lake's folder, resolved, or CityLakeError saying what is missing, where, and how to make it."""
    path = Path(lake).expanduser().resolve()
    fix_zh = f"先在存放明细数据的机器上运行 linli lake export {path}，再运行 linli build --engine spark --lake {path}"
    fix_en = f"run linli lake export {path}, then linli build --engine spark --lake {path}"
    if not path.is_dir():
        raise CityLakeError(f"--kpi-from：找不到文件夹《{path}》。请给出城市数据湖的文件夹（{fix_zh}）。",
                            f"--kpi-from: no folder '{path}'. Give the city lake's folder ({fix_en}).")
    if read_manifest(path) is None:
        raise CityLakeError(f"--kpi-from：《{path}》不是 Linli 数据湖：其中没有 {MANIFEST}。{fix_zh}。",
                            f"--kpi-from: '{path}' is no Linli lake: it has no {MANIFEST}. First {fix_en}.")
    if (path / KPI_DIR / "_temporary").exists():
        raise CityLakeError(f"--kpi-from：数据湖《{path}》的指标正在写入（{path / KPI_DIR / '_temporary'} 还在）。"
                            "请等 Spark 写完（出现 _SUCCESS）再启动。",
                            f"--kpi-from: the kpi of the lake '{path}' is being written ({path / KPI_DIR / '_temporary'} "
                            "is there). Start once Spark has finished (_SUCCESS).")
    if not kpi_files(path):
        raise CityLakeError(f"--kpi-from：数据湖《{path}》里还没有指标（{path / KPI_DIR} 下没有 grain=week、grain=month 的 "
                            f"Parquet 文件）。请先运行 linli build --engine spark --lake {path}。",
                            f"--kpi-from: the lake '{path}' holds no kpi yet (no grain=week / grain=month Parquet files "
                            f"under {path / KPI_DIR}). First run linli build --engine spark --lake {path}.")
    return path


def city_dir(db_path: str | Path) -> Path:
    """Where the city snapshots of a store's dashboard go: beside the store, as its build snapshots do."""
    p = Path(db_path)
    return p.with_name(p.stem + ".city")


@functools.cache
def _code() -> str:
    """This module and the models it runs: a snapshot made by other code is made again."""
    models = {m.name: m.sql for m in load_models()}
    used = [models[n] for n in (*STAGING, "mart_street_measures")]
    return hashlib.sha256("".join([Path(__file__).read_text(encoding="utf-8"), macros_sql(), *used]).encode()).hexdigest()


def signature(lake: Path) -> str:
    """What the snapshot was made from: the manifest and every kpi file (name, size, time written), and the code."""
    parts = [_code()]
    for f in [Path(lake) / MANIFEST, *kpi_files(lake)]:
        st = f.stat()
        parts.append(f"{f.relative_to(lake)}\x1f{st.st_size}\x1f{st.st_mtime_ns}")
    return hashlib.sha256("\x1e".join([str(lake), *parts]).encode()).hexdigest()[:20]


def current(db_path: str | Path) -> Path | None:
    try:
        name = (city_dir(db_path) / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    path = city_dir(db_path) / name
    return path if path.exists() else None


def city_snapshot(lake: str | Path, db_path: str | Path) -> Path:
    """The published city snapshot for the lake's kpi as it is now, made when the kpi or the manifest changed.
    While the lake cannot be read (a kpi being rewritten), the last good snapshot; CityLakeError when none.
    Every rerun of a city page asks: an unchanged lake costs a stat of the manifest and of each kpi file."""
    lake = Path(lake).resolve()
    folder = city_dir(db_path)
    try:
        target = folder / f"city-{signature(lake)}.duckdb"
    except OSError:       # no manifest (any more): said by check_lake below
        target = None
    if target is not None and target.exists():
        return target
    last = current(db_path)
    if last is not None and not _LOCK.acquire(blocking=False):
        return last        # another viewer's rerun is making the new one: this one reads the last meanwhile
    if last is None:
        _LOCK.acquire()
    try:
        if target is not None and target.exists():
            return target
        tmp = folder / f".city.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            check_lake(lake)
            if target is None:
                raise CityLakeError("数据湖正在改写。", "The lake is being rewritten.")
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write(lake, tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except (CityLakeError, duckdb.Error, OSError):
            tmp.unlink(missing_ok=True)
            last = current(db_path)
            if last is not None:
                return last
            raise
        pointer = folder / (CURRENT + ".tmp")
        pointer.write_text(target.name)
        os.replace(pointer, folder / CURRENT)
        _prune(folder, target)
    finally:
        _LOCK.release()
    return target


def _prune(folder: Path, keep: Path) -> None:
    """The newest KEEP snapshots stay: a reader may still hold the one before (its open file is kept anyway)."""
    olds = sorted((p for p in folder.glob("city-*.duckdb") if p != keep), key=lambda p: p.stat().st_mtime,
                  reverse=True)
    for p in olds[KEEP - 1:]:
        p.unlink(missing_ok=True)
    for p in folder.glob(".city.*.tmp"):     # left by a process stopped while it wrote one
        if p.stat().st_mtime < dt.datetime.now().timestamp() - 3600:
            p.unlink(missing_ok=True)


def built_at(lake: Path) -> dt.datetime:
    """When the kpi was written: Spark's _SUCCESS marker when there is one, else the newest kpi file."""
    marker = Path(lake) / KPI_DIR / "_SUCCESS"
    times = [marker.stat().st_mtime] if marker.exists() else [f.stat().st_mtime for f in kpi_files(lake)]
    return dt.datetime.fromtimestamp(max(times))


def _write(lake: Path, path: Path) -> None:
    manifest = read_manifest(lake)
    models = {m.name: m for m in load_models()}
    con = duckdb.connect(str(path))
    try:
        con.execute(macros_sql(temp=True))
        glob = str(lake / KPI_DIR / "grain=*" / "*.parquet")
        cols = ", ".join(f"{c.split()[0]}::{c.split()[1]} AS {c.split()[0]}" for c in KPI_COLUMNS)
        con.execute(f"CREATE TABLE kpi AS SELECT {cols} FROM read_parquet($1, hive_partitioning = true, "
                    "hive_types_autocast = false)", [glob])
        for name, columns in REFERENCE_DEFAULTS.items():
            if name in manifest["tables"]:
                con.execute(f"CREATE TEMP VIEW cur_{name} AS {duckdb_read_sql(lake, name, manifest)}")
            else:
                con.execute(f"CREATE TEMP TABLE cur_{name} ({columns})")
        for name in STAGING:
            con.execute(f"CREATE TABLE {name} AS {models[name].sql}")
        con.execute(f"CREATE TABLE mart_street_measures AS {models['mart_street_measures'].sql}")
        _freshness(con, lake, manifest)
        con.execute("""CREATE TABLE period_spine AS
                       SELECT k.community_id, k.grain, k.period_start,
                              period_next(k.grain, k.period_start)::TIMESTAMP AS period_next, e.data_end
                       FROM (SELECT DISTINCT community_id, grain, period_start FROM kpi) k
                       LEFT JOIN (SELECT community_id, max(latest_event) AS data_end FROM mart_feed_freshness
                                  GROUP BY 1) e USING (community_id)""")
        # coverage.sql's two rules: the data reaches the period's last day, or a file of the feed bringing the
        # community's rows was imported after the period ended (the lake's feed_imports; an older lake has none)
        imported = duckdb_read_sql(lake, FEED_IMPORTS, manifest) if FEED_IMPORTS in manifest["tables"] else \
            "SELECT NULL::VARCHAR AS community_id, NULL::VARCHAR AS feed, NULL::TIMESTAMP AS last_import WHERE false"
        con.execute(f"""CREATE TABLE coverage AS
                        SELECT s.community_id, f.feed, s.grain, s.period_start, s.period_next,
                               (l.latest_event IS NOT NULL OR m.last_import IS NOT NULL) AS in_use,
                               l.latest_event AS data_end, m.last_import,
                               coalesce(l.latest_event >= s.period_next - INTERVAL 1 DAY, false)
                                   OR coalesce(m.last_import >= s.period_next::TIMESTAMP, false) AS complete
                        FROM period_spine s CROSS JOIN (VALUES {event_feeds()}) f(feed)
                        LEFT JOIN mart_feed_freshness l ON l.community_id = s.community_id AND l.feed = f.feed
                        LEFT JOIN ({imported}) m ON m.community_id = s.community_id AND m.feed = f.feed""")
        # a rule the community never set is the default, filled in by the same placeholders as the model's
        rules = duckdb_read_sql(lake, "community_rules", manifest) if "community_rules" in manifest["tables"] else \
            "SELECT NULL::VARCHAR AS community_id, NULL::TIME AS window_start, NULL::TIME AS window_end, " \
            "NULL::DOUBLE AS overdue_hours WHERE false"
        con.execute(render(f"""CREATE TABLE community_rules_effective AS
            SELECT community_id, coalesce(window_start, {{{{ rules.window_start }}}}) AS window_start,
                   coalesce(window_end, {{{{ rules.window_end }}}}) AS window_end,
                   coalesce(overdue_hours, {{{{ rules.overdue_hours }}}})::DOUBLE AS overdue_hours
            FROM ({rules})""", "city rules"))
        for name, columns in EMPTY.items():
            con.execute(f"CREATE TABLE {name} ({columns})")
        exported = manifest.get("exported_at")
        con.execute("CREATE TABLE build_info (built_at TIMESTAMP, lake VARCHAR, exported_at VARCHAR)")
        con.execute("INSERT INTO build_info VALUES (?, ?, ?)", [built_at(lake), str(lake), exported])
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _freshness(con, lake: Path, manifest: dict) -> None:
    """(community_id, feed, latest_event, rows) per event feed the lake holds, by the bounds int_feed_times
    takes from the registry's period_times (the latest of them, an empty one ignored)."""
    body = feed_time_bounds(lambda kind: f"({duckdb_read_sql(lake, kind, manifest)})"
                            if kind in manifest["tables"] else None) or (
        "SELECT NULL::VARCHAR AS community_id, NULL::VARCHAR AS feed, NULL::TIMESTAMP AS latest_event, "
        "0::BIGINT AS rows WHERE false")
    con.execute(f"CREATE TABLE mart_feed_freshness AS SELECT community_id, feed, latest_event::TIMESTAMP AS "
                f"latest_event, rows FROM ({body})")


def info(snapshot: str | Path) -> CityInfo:
    """What a city snapshot holds, for the command line's line at start."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        built, lake, exported = con.execute("SELECT built_at, lake, exported_at FROM build_info").fetchone()
        communities, rows = con.execute("SELECT count(DISTINCT community_id), count(*) FROM kpi").fetchone()
    finally:
        con.close()
    return CityInfo(Path(lake), built, dt.datetime.fromisoformat(exported) if exported else None, communities, rows)
