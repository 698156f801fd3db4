"""Import feedback (issue 16 item 9): the result shows at the top of the import area and the finished
preview goes; empty cells preview empty; the report names every number of an already complete period
that the import moved, with its value before and after."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.ingest.store import KpiChange, complete_kpi, kpi_changes
from pipelines.present.i18n import metric_name, t
from tests.conftest import build_store

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")

# Week 2025-06-02 is complete (an order on 10 June carries the data past its end). Parcel P2 is still
# waiting, but the parcels' own data ends the same morning, so it has waited no time and is not overdue.
# The next week's parcels carry the parcels' data to 11 June: P2 has then waited a week.
NEXT_WEEK = ("parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at\n"
             "P3,A,A-P1,中通,2025-06-11 09:00,2025-06-11 09:30\n"
             "P4,A,A-P1,中通,2025-06-11 10:00,\n").encode()


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = build_store(tmp_path, {"orders": """
        order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
        O1,A,S1,group_buy,2025-06-02 10:00,100,paid
        O2,A,S1,group_buy,2025-06-10 10:00,100,paid
        """, "parcels": """
        parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at
        P1,A,A-P1,中通,2025-06-03 10:00,2025-06-03 12:00
        P2,A,A-P1,中通,2025-06-04 09:00,
        """})
    monkeypatch.setenv("LINLI_DB", str(path))
    return path


def test_the_store_compares_complete_periods_before_and_after(db, tmp_path):
    from pipelines.build.runner import build
    from pipelines.ingest.store import import_file
    before = complete_kpi(db)
    assert {(c, g, p) for c, g, p, _ in before} == {("A", "week", dt.date(2025, 6, 2))}   # the partial week is not in
    (tmp_path / "next.csv").write_bytes(NEXT_WEEK)
    import_file(db, "parcels", tmp_path / "next.csv")
    build(db)
    assert kpi_changes(before, complete_kpi(db)) == [
        KpiChange("A", "week", dt.date(2025, 6, 2), "parcels.overdue", 0.0, 1.0),
        KpiChange("A", "week", dt.date(2025, 6, 2), "parcels.overdue_rate", 0.0, 0.5)]


def test_import_shows_the_result_on_top_names_the_moved_numbers_and_clears_the_preview(db):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", "c": "A", "g": "week", "p": "2025-06-02"})
    at.switch_page("screens/data_import.py").run()   # straight to the page, as a link opens it
    at.file_uploader[0].set_value(("下周包裹.csv", NEXT_WEEK, "text/csv")).run()
    assert not at.exception
    preview = next(d.value for d in at.dataframe if "行号" in d.value.columns)
    assert list(preview["取件时间（picked_up_at）"]) == ["2025-06-11 09:30", ""]          # empty, not "None"
    go = next(b for b in at.button if b.key and b.key.startswith("imp_") and b.key.endswith("_go"))
    go.click().run()
    assert not at.exception

    summary = next(s.value for s in at.success if "导入完成" in s.value)
    assert "下周包裹" in summary and "导入编号 3" in summary
    moved = next(w.value for w in at.warning if w.value.startswith("注意：这次导入改变了"))
    week = "2025年第23周 · 6月2日–6月8日"
    assert moved.split("\n\n", 1)[1].split("\n") == [
        f"- {week} {metric_name('parcels.overdue', 'zh')} 0 → 1",
        f"- {week} {metric_name('parcels.overdue_rate', 'zh')} 0.0% → 50.0%"]
    assert t("import.changed", "zh", n=2) == moved.split("\n\n", 1)[0]
    # the finished file's preview is gone and the uploader is empty again; the result is above it
    assert not [d for d in at.dataframe if "行号" in d.value.columns]
    assert not [b for b in at.button if b.key and b.key.startswith("imp_") and b.key.endswith("_go")]
    assert at.file_uploader[0].value in (None, [])
    # and the page scrolls to it: the button was far down, under the preview the import removed
    assert any("scrollIntoView" in h.proto.body and "import-results" in h.proto.body for h in at.get("html"))
    order = [type(e).__name__ for e in at.main]
    assert order.index("Success") < next(i for i, e in enumerate(at.main) if e in list(at.file_uploader))


def test_an_import_that_moves_nothing_complete_says_so(db):
    # an order of the partial week: no number of the complete week depends on it
    same_week = (b"order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"
                 b"O3,A,S1,group_buy,2025-06-10 12:00,50,paid\n")
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", "c": "A"})
    at.switch_page("screens/data_import.py").run()   # straight to the page, as a link opens it
    at.file_uploader[0].set_value(("本周订单.csv", same_week, "text/csv")).run()
    next(b for b in at.button if b.key and b.key.startswith("imp_") and b.key.endswith("_go")).click().run()
    assert not at.exception
    assert not [w for w in at.warning if w.value.startswith("注意：这次导入改变了")]
    assert t("import.changed_none", "zh") in [c.value for c in at.caption]
