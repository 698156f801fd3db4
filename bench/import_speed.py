"""Import speed and memory of real-shaped registers, against polars reading the same bytes in the same run.

A GBK orders CSV (default 1,000,000 rows, with a 备注 column where one row in fifty holds a phone
number, and a 团长姓名 column that must be dropped), a UTF-8 parcels CSV of as many rows (canonical
Chinese headers, references to points and buildings), and a 100,000-row .xlsx of parcels (at the first
size only). Each file is imported RUNS times, each time into a fresh store that already holds the
communities, points and buildings (so the reference checks run, as in a real store), each time by
store.import_file in a child process, whose peak RSS (VmHWM) is the import's. For each: the baseline
(polars parsing the file with every column as text, the least any importer does), the whole import as
rows/s (median of the runs), its CPU seconds (user + system: what a loaded machine does not inflate) and
its peak RSS. A CSV over one chunk (pipelines/ingest/chunked.py) is imported a chunk at a time, so the
peak should not grow with ROWS; a file over the 200 MB limit is imported with LINLI_MAX_FILE_MB raised.

    python bench/import_speed.py [ROWS[,ROWS…]] [RUNS]      # e.g. 1000000,3000000 3
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REFERENCES = ("communities", "points", "buildings")


def orders_csv(path: Path, n: int) -> None:
    base = dt.datetime(2025, 1, 1)
    frame = pl.DataFrame({
        "订单号": [f"O{k}" for k in range(n)],
        "社区编号": [("A", "B", "C", "D")[k % 4] for k in range(n)],
        "团长编号": [f"S{k % 97}" for k in range(n)],
        "团长姓名": [("王芳", "李娜", "张伟")[k % 3] for k in range(n)],
        "渠道": [("团购", "直播", "合作社")[k % 3] for k in range(n)],
        "下单时间": [(base + dt.timedelta(minutes=k % 500_000)).strftime("%Y/%m/%d %H:%M") for k in range(n)],
        "实付金额": [f"{k % 300}.50" for k in range(n)],
        "状态": ["已退款" if k % 10 == 0 else "已支付" for k in range(n)],
        "备注": ["请送到门口，电话13800138000" if k % 50 == 0 else "" for k in range(n)],
    })
    text = io.StringIO()
    frame.write_csv(text)
    path.write_bytes(("A社区订单导出\n" + text.getvalue()).encode("gbk"))


def parcels_csv(path: Path, n: int) -> None:
    base = dt.datetime(2025, 1, 1)
    arrived = [base + dt.timedelta(minutes=(7 * k) % 500_000) for k in range(n)]
    pl.DataFrame({
        "运单号": [f"K{k}" for k in range(n)],
        "社区编号": [("A", "B", "C", "D")[k % 4] for k in range(n)],
        "代收点编号": [f"P{k % 3}" for k in range(n)],
        "快递公司": [("中通", "圆通", "顺丰")[k % 3] for k in range(n)],
        "入库时间": [a.strftime("%Y-%m-%d %H:%M:%S") for a in arrived],
        "取件时间": [(a + dt.timedelta(hours=20)).strftime("%Y-%m-%d %H:%M:%S") if k % 3 else ""
                 for k, a in enumerate(arrived)],
        "楼栋编号": [f"B{k % 5}" for k in range(n)],
    }).write_csv(path)


def parcels_xlsx(path: Path, n: int) -> None:
    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["运单号", "社区编号", "代收点编号", "快递公司", "入库时间", "取件时间"])
    base = dt.datetime(2025, 1, 1)
    for k in range(n):
        t = base + dt.timedelta(minutes=7 * k)
        ws.append([f"K{k}", ("A", "B", "C", "D")[k % 4], "P1", "中通", t, t + dt.timedelta(hours=20) if k % 3 else None])
    wb.save(path)


def references(folder: Path) -> None:
    (folder / "communities.csv").write_text("社区编号,社区名称,街道\n" + "".join(f"{c},{c}社区,X\n" for c in "ABCD"))
    (folder / "points.csv").write_text("代收点编号,社区编号,代收点名称\n"
                                       + "".join(f"P{i},{c},点{i}\n" for c in "ABCD" for i in range(3)))
    (folder / "buildings.csv").write_text("楼栋编号,社区编号,楼栋名称\n"
                                          + "".join(f"B{i},{c},{i}号楼\n" for c in "ABCD" for i in range(5)))


def baseline(path: Path) -> float:
    t = time.perf_counter()
    if path.suffix == ".xlsx":
        import python_calamine
        rows = list(python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())
        assert rows
    else:
        data = path.read_bytes()
        try:
            text, title = data.decode("utf-8"), 0
        except UnicodeDecodeError:
            text, title = data.decode("gb18030"), 1      # the GBK export has a title line
        pl.read_csv(io.StringIO(text), infer_schema=False, skip_rows=title)
    return time.perf_counter() - t


def one_import(kind: str, path: Path, db: Path) -> dict:
    """In the child: the whole import (store.import_file) timed, its CPU seconds, and the child's peak RSS."""
    from pipelines.ingest import store

    folder = path.parent
    for ref in REFERENCES:
        store.import_file(db, ref, folder / f"{ref}.csv")
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    report = store.import_file(db, kind, path)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": seconds, "cpu": cpu, "rows": report.rows_new, "rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak RSS since it started: VmHWM, which exec resets. (ru_maxrss keeps the peak of the
    forked parent's image from before the exec, here the bench holding the million rows it generated.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, path: Path, n: int, runs: int) -> None:
    base = baseline(path)
    env = dict(os.environ)
    size_mb = path.stat().st_size / (1 << 20)
    if size_mb > float(env.get("LINLI_MAX_FILE_MB", "200")):
        env["LINLI_MAX_FILE_MB"] = str(int(size_mb) + 1)
    results = []
    for k in range(runs):
        with tempfile.TemporaryDirectory(dir=path.parent) as store_dir:
            out = subprocess.run([sys.executable, __file__, "--one", kind, str(path), str(Path(store_dir) / "s.duckdb")],
                                 check=True, capture_output=True, text=True, env=env).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        assert results[-1]["rows"] == n, results[-1]
    total = [r["seconds"] for r in results]
    med = statistics.median(total)
    cpu = statistics.median(r["cpu"] for r in results)
    print(f"{path.name:<18} {n:>9,} rows {size_mb:5.0f} MB  baseline {base:5.2f} s  import {med:6.2f} s = "
          f"{n / med:>9,.0f} rows/s ({med / base:4.1f}× the baseline; runs {' '.join(f'{t:.2f}' for t in total)})  "
          f"CPU {cpu:.2f} s  peak RSS {max(r['rss_mb'] for r in results):,.0f} MB", flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(one_import(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
        return
    sizes = [int(x) for x in sys.argv[1].split(",")] if len(sys.argv) > 1 else [1_000_000]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"median of {runs} imports each, each into a fresh store holding the reference lists, each in a child "
          "process (its peak RSS); CPU: the median of the imports' user + system seconds")
    for i, n in enumerate(sizes):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            references(folder)
            orders_csv(folder / "orders_gbk.csv", n)
            measure("orders", folder / "orders_gbk.csv", n, runs)
            (folder / "orders_gbk.csv").unlink()
            parcels_csv(folder / "parcels.csv", n)
            measure("parcels", folder / "parcels.csv", n, runs)
            (folder / "parcels.csv").unlink()
            if i == 0:
                m = min(n, 100_000)
                parcels_xlsx(folder / "parcels.xlsx", m)
                measure("parcels", folder / "parcels.xlsx", m, runs)


if __name__ == "__main__":
    main()
