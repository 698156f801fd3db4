"""Import speed of real-shaped registers, against polars reading the same bytes in the same run.

A GBK orders CSV (default 1,000,000 rows, with a 备注 column where one row in fifty holds a phone
number, and a 团长姓名 column that must be dropped) and a 100,000-row .xlsx of parcels. For each:
the baseline (polars parsing the file with every column as text, which is the least any importer
does), Linli reading it (encoding, header, aliases, personal-data scan and masking), and the whole
import (validation, store transaction), as rows/s and as a ratio to the baseline.

    python bench/import_speed.py [ROWS]
"""
from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from pipelines.ingest.readers import read_table
from pipelines.ingest.store import import_file


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


def parcels_xlsx(path: Path, n: int) -> None:
    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["运单号", "社区编号", "代收点编号", "快递公司", "入库时间", "取件时间"])
    base = dt.datetime(2025, 1, 1)
    for k in range(n):
        t = base + dt.timedelta(minutes=7 * k)
        ws.append([f"K{k}", "A", "P1", "中通", t, t + dt.timedelta(hours=20) if k % 3 else None])
    wb.save(path)


def baseline(path: Path) -> float:
    t = time.perf_counter()
    if path.suffix == ".xlsx":
        import python_calamine
        rows = list(python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())
        assert rows
    else:
        pl.read_csv(io.StringIO(path.read_bytes().decode("gb18030")), infer_schema=False, skip_rows=1)
    return time.perf_counter() - t


def measure(kind: str, path: Path, n: int, folder: Path) -> None:
    base = baseline(path)
    t0 = time.perf_counter()
    raw = read_table(path, kind)
    t1 = time.perf_counter()
    report = import_file(folder / f"{kind}.duckdb", kind, path)
    t2 = time.perf_counter()
    assert raw.frame.height == n and report.rows_new == n, (raw.frame.height, report.rows_new)
    print(f"{path.name:<22} {n:>10,} rows  baseline {base:6.2f} s  read {t1 - t0:6.2f} s ({(t1 - t0) / base:4.1f}×)  "
          f"import {t2 - t1:6.2f} s = {n / (t2 - t1):>9,.0f} rows/s ({(t2 - t1) / base:4.1f}× the baseline)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        orders_csv(folder / "orders_gbk.csv", n)
        measure("orders", folder / "orders_gbk.csv", n, folder)
        m = min(n, 100_000)
        parcels_xlsx(folder / "parcels.xlsx", m)
        measure("parcels", folder / "parcels.xlsx", m, folder)


if __name__ == "__main__":
    main()
