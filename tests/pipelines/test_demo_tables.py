"""The demo imports each CSV from the cells it holds, not by reading the file back (issue 17 item 5): what
it hands the importer must be exactly what the reader makes of the file on disk."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.demo.generate import write_demo_files
from pipelines.demo.tables import table_in_memory
from pipelines.ingest.profiles import candidates
from pipelines.ingest.readers import read_table

FIELDS = ("file_name", "kind", "header_row", "encoding", "mapping", "ignored", "personal", "sha256",
          "dropped_by_value", "masked", "identifiers", "id_sources", "profile", "source_headers")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo_tables")
    cells: dict = {}
    # 2 communities × 10 weeks: every CSV kind, the GB18030 ones with a title line, jobs with names and phones
    files = write_demo_files(folder / "files", communities=2, weeks=10, seed=5, end=dt.date(2026, 11, 29),
                             cells=cells)
    return folder, files, cells


def test_every_csv_and_only_the_csvs_are_held(written):
    _, files, cells = written
    assert sorted(p.name for p in cells) == sorted(p.name for _, p in files if p.suffix == ".csv")
    # (and any feed a later demo module adds as a CSV: it goes the same way)
    assert {cells[p][1] for _, p in files if p in cells} >= {
        "buildings", "sellers", "orders", "parcels", "jobs", "feedback"}


def test_the_cells_held_are_what_the_reader_makes_of_each_file(written):
    folder, files, cells = written
    for kind, path in files:
        if path not in cells:
            continue
        mine = table_in_memory(*cells[path])
        read = read_table(path, kind, candidates=candidates(folder / "linli.duckdb", kind))
        assert mine.frame.equals(read.frame), path.name
        assert mine.frame.height == read.frame.height > 0
        for name in FIELDS:
            assert getattr(mine, name) == getattr(read, name), (path.name, name)


def test_names_and_phones_become_identifiers_not_columns(written):
    _, files, cells = written
    jobs = next(p for kind, p in files if kind == "jobs")
    table = table_in_memory(*cells[jobs])
    assert table.personal == ["姓名", "手机号"] and table.id_sources == ["姓名", "手机号"]
    assert "姓名" not in table.frame.columns and "手机号" not in table.frame.columns
    # the phone first (the stronger identifier), then the name; one pair per row
    assert len(table.identifiers) == table.frame.height
    assert all([kind for kind, _ in ids] == ["phone", "name"] for ids in table.identifiers)


def _openpyxl_workbook(rows) -> bytes:
    """How the demo wrote its workbooks before pipelines/demo/workbook.py: openpyxl's write-only mode."""
    import io

    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    for row in rows:
        ws.append(list(row))
    data = io.BytesIO()
    wb.save(data)
    return data.getvalue()


def test_each_workbook_reads_as_its_openpyxl_twin(written, tmp_path, monkeypatch):
    import pipelines.demo.generate as demo
    folder, files, _ = written
    monkeypatch.setattr(demo, "workbook", _openpyxl_workbook)
    twins = {p.name: p for _, p in write_demo_files(tmp_path, communities=2, weeks=10, seed=5,
                                                     end=dt.date(2026, 11, 29))}
    books = [(kind, p) for kind, p in files if p.suffix == ".xlsx"]
    assert {kind for kind, _ in books} == {"communities", "points", "complaints", "training"}
    for kind, path in books:
        mine, twin = read_table(path, kind), read_table(twins[path.name], kind)
        assert mine.frame.equals(twin.frame), path.name
        assert mine.frame.height > 0
        for name in FIELDS:
            if name not in ("sha256", "file_name"):
                assert getattr(mine, name) == getattr(twin, name), (path.name, name)
        if kind == "complaints":   # date-time cells come back as date-times, not serial numbers
            assert mine.frame["received_at"].str.contains(r"^2026-\d\d-\d\d \d\d:\d\d:\d\d").all()


def test_a_saved_profile_that_takes_the_demos_headers_still_applies(tmp_path):
    """The cells go straight to the importer only when no import profile would take the file: a profile
    someone saved for these headers is applied as `linli ingest` would apply it, by reading the file."""
    import duckdb

    from pipelines.demo.generate import run_demo
    from pipelines.ingest import profiles
    db = tmp_path / "linli.duckdb"
    headers = ("订单号", "社区编号", "团长编号", "渠道", "下单时间", "实付金额", "件数", "状态")
    fields = ("order_id", "community_id", "seller_id", "channel", "ordered_at", "amount_yuan", "item_count", "status")
    # every row read through it is a livestream order, whatever its 渠道 says
    profiles.save(db, profiles.Profile(name="全是直播", kind="orders", headers=headers,
                                       columns={h: (f,) for h, f in zip(headers, fields) if h != "渠道"},
                                       constants={"channel": "直播"}))
    run_demo(db, communities=1, weeks=3, seed=7, out_dir=str(tmp_path / "demo"), say=lambda _: None,
             end=dt.date(2026, 11, 29))
    con = duckdb.connect(str(db), read_only=True)
    try:
        channels = con.execute("SELECT DISTINCT channel FROM raw_orders").fetchall()
        parcels = con.execute("SELECT count(*) FROM raw_parcels").fetchone()[0]
    finally:
        con.close()
    assert channels == [("livestream",)]
    assert parcels > 1000          # the other files came from their cells as usual
