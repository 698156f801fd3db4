"""The 数据导入 page reads an uploaded workbook's sheet once, however often the page reruns.

Recognising the file looks at its first rows only (xlsx.read_rows); the whole sheet is read once
(xlsx.read_sheet) and the preview of it is kept per upload (by its sha256), kind and mapping.
"""
from __future__ import annotations

import io

import openpyxl
import pytest

from pipelines.ingest import xlsx
from tests.conftest import build_store
from tests.dashboard.conftest import open_import_page


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = build_store(tmp_path, {"orders": """
        order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
        O1,A,S1,group_buy,2025-06-02 10:00,100,paid
        """})
    monkeypatch.setenv("LINLI_DB", str(path))
    return path


def _parcels_workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["A社区6月快递登记"])
    book.active.append(["运单号", "社区编号", "代收点", "入库时间"])
    for k in range(50):
        book.active.append([f"YT{k}", "A", "PA", "2025-06-03 08:00"])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_an_uploaded_workbook_is_read_once_across_reruns(db, monkeypatch):
    calls = {"sheet": 0, "head_rows": 0}
    real_sheet, real_rows = xlsx.read_sheet, xlsx.read_rows

    def counted_sheet(*args, **kwargs):
        calls["sheet"] += 1
        return real_sheet(*args, **kwargs)

    def counted_rows(*args, **kwargs):
        rows, numbers = real_rows(*args, **kwargs)
        calls["head_rows"] = max(calls["head_rows"], len(rows))
        return rows, numbers

    # the names the readers call them by
    monkeypatch.setattr("pipelines.ingest.readers.read_sheet", counted_sheet)
    monkeypatch.setattr("pipelines.ingest.xlsx.read_rows", counted_rows)
    at = open_import_page()
    at.file_uploader[0].set_value(("快递.xlsx", _parcels_workbook(), "application/vnd.ms-excel")).run()
    assert not at.exception and not at.error
    assert len(at.dataframe[1].value) == 10        # the preview of the first rows is shown
    at.run()
    at.run()
    assert calls["sheet"] == 1
    assert calls["head_rows"] == xlsx.HEAD_ROWS     # recognising it read the head only, not all 52 rows
