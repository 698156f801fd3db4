"""撤销这次导入 asks first: one click names what would be undone and changes nothing; the confirm undoes."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.present.i18n import t
from tests.conftest import build_store, rows
from tests.dashboard.conftest import open_import_page


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = build_store(tmp_path, {"orders": """
        order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
        O1,A,S1,group_buy,2025-06-02 10:00,100,paid
        O2,A,S1,group_buy,2025-06-03 10:00,50,paid
        """})
    monkeypatch.setenv("LINLI_DB", str(path))
    return path


def status(db: Path) -> str:
    return rows(db, "SELECT status FROM imports WHERE import_id = 1")[0][0]


def test_one_click_asks_and_only_the_confirm_undoes(db):
    at = open_import_page()
    at.selectbox(key="undo_pick").set_value(1).run()
    at.button(key="undo_go").click().run()
    assert not at.exception
    assert status(db) == "applied"
    asked = next(w.value for w in at.warning if "确认要撤销第 1 次导入" in w.value)
    assert "orders\\.csv" in asked and "新增的 2 行将被删除" in asked and "改正的 0 行" in asked
    assert not any("已撤销" in s.value for s in at.success)

    at.button(key="undo_cancel").click().run()       # cancelled: nothing asked, nothing undone
    assert status(db) == "applied" and not any("确认要撤销" in w.value for w in at.warning)
    at.button(key="undo_go").click().run()
    at.button(key="undo_yes").click().run()
    assert not at.exception
    assert status(db) == "undone"
    assert any(s.value == t("import.undone", "zh", id=1, name="orders\\.csv") for s in at.success)
