"""A lake k times as large as one exported, written straight into the lake's layout (bench/spark.py's 4 × and 16 ×).

The base is a real export (`linli lake export` of the demo street: the store's own columns, types, masking and
hashing). Copy j of each base community gets a new community id: every event partition of that community is
copied file for file into the new id's folder (the id lives in the folder name, Hive's layout, not in the file),
and each reference or kept table (one small file each) is rewritten with one block of rows per copy, its
community_id (and a community's name) replaced. Every key of every feed begins with community_id, so the copies
are distinct rows to both engines, and nothing joins across communities. Memory stays that of one small table:
the events are copied as bytes, one file at a time. The manifest is the base's, with the partitions and row
counts of the copies; `grown_from` says where the rows came from. The copies repeat the base's rows under other
ids: a curve of engine time against rows, not a sample of 192 different communities.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import duckdb

from pipelines.lake.export import DATA_FILE, MANIFEST, _lit, _q, read_manifest
from pipelines.lake.paths import partition_path, unescape_value


def base_communities(manifest: dict, lake: Path) -> list[str]:
    con = duckdb.connect()
    try:
        return [r[0] for r in con.execute(
            f"SELECT DISTINCT community_id::VARCHAR FROM read_parquet({_lit(str(lake / 'communities' / DATA_FILE))}) "
            "ORDER BY 1").fetchall()]
    finally:
        con.close()


def new_ids(base: list[str], copies: int, id_of=None) -> list[dict[str, str]]:
    """Per copy, base id -> its id: copy 0 keeps the base's ids; then `id_of(n)` names the n-th community
    (the demo's A … Z, AA, …: bench/spark.py passes pipelines.demo.generate.community_id, so 16 × the
    12-community street is named as a 192-community demo would be), else '-2', '-3', … is appended."""
    def name(j: int, i: int, cid: str) -> str:
        return cid if j == 0 else id_of(j * len(base) + i) if id_of else f"{cid}-{j + 1}"
    out = [{cid: name(j, i, cid) for i, cid in enumerate(base)} for j in range(copies)]
    if len({v for m in out for v in m.values()}) != len(base) * copies:
        raise ValueError("the grown lake would name two communities alike")
    return out


def grow_lake(base: str | Path, target: str | Path, copies: int, link: bool = False, id_of=None) -> dict:
    """`copies` × the base lake at `target` (a new folder). `link`: hard links instead of copies of the event
    files (no disk, but the page cache then holds one file for all copies: the reads are cheaper than a real
    lake's). Returns the new manifest."""
    started = time.perf_counter()
    base, target = Path(base).resolve(), Path(target).resolve()
    manifest = read_manifest(base)
    if manifest is None:
        raise ValueError(f"{base}: no manifest.json of a Linli lake")
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"{target}: not empty")
    ids = new_ids(base_communities(manifest, base), copies, id_of)
    grown = copy.deepcopy(manifest)
    con = duckdb.connect()
    try:
        for name, entry in manifest["tables"].items():
            out = grown["tables"][name]
            (target / name).mkdir(parents=True, exist_ok=True)
            if entry["partitioned_by"]:
                out["partitions"] = {}
                for rel, part in entry["partitions"].items():
                    values = [unescape_value(p.split("=", 1)[1]) for p in rel.split("/")]
                    cid, rest = values[0], values[1:]
                    for mapping in ids:
                        new_rel = partition_path(entry["partitioned_by"], [mapping[cid], *rest])
                        (target / name / new_rel).mkdir(parents=True, exist_ok=True)
                        src, dst = base / name / rel / DATA_FILE, target / name / new_rel / DATA_FILE
                        os.link(src, dst) if link else shutil.copyfile(src, dst)
                        out["partitions"][new_rel] = dict(part)
                out["rows"] = entry["rows"] * copies
                continue
            src = base / name / DATA_FILE
            cols = entry["columns"]
            if "community_id" not in cols:
                shutil.copyfile(src, target / name / DATA_FILE)
                continue
            con.execute(f"CREATE OR REPLACE TEMP TABLE base_rows AS SELECT * FROM read_parquet({_lit(str(src))})")
            blocks = []
            for mapping in ids:
                pairs = ", ".join(f"({_lit(a)}, {_lit(b)})" for a, b in mapping.items())
                select = []
                for c in cols:
                    if c == "community_id":
                        select.append(f"m.new_id AS {_q(c)}")
                    elif name == "communities" and c == "name":       # 'A社区' of copy 2 is 'M社区'
                        select.append(f"replace(r.{_q(c)}, r.community_id, m.new_id) AS {_q(c)}")
                    else:
                        select.append(f"r.{_q(c)}")
                blocks.append(f"SELECT {', '.join(select)} FROM base_rows r "
                              f"JOIN (VALUES {pairs}) m(old_id, new_id) ON r.community_id = m.old_id")
            tmp = target / name / (DATA_FILE + ".tmp")
            con.execute(f"COPY ({' UNION ALL '.join(blocks)}) TO {_lit(str(tmp))} (FORMAT parquet)")
            rows = con.execute(f"SELECT count(*) FROM read_parquet({_lit(str(tmp))})").fetchone()[0]
            os.replace(tmp, target / name / DATA_FILE)
            out["rows"] = rows
            out["partitions"] = {".": {"rows": rows, "hash": None}}      # not the export's hash: never re-exported into
    finally:
        con.close()
    grown["exported_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    grown["grown_from"] = {"lake": str(base), "copies": copies, "link": link,
                           "seconds": round(time.perf_counter() - started, 1)}
    (target / MANIFEST).write_text(json.dumps(grown, ensure_ascii=False, indent=1), encoding="utf-8")
    return grown

