"""每周检查 gathers its meeting brief once (dashboard/queries.py brief): the report section and the downloads share
it, a rerun reuses it while the store is unchanged, and a record written meanwhile by another process is in the
next render. 街道对比's comparison likewise (queries.street_view)."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines.database import writing
from pipelines.records import actions, users
from pipelines.reports import content
from tests.conftest import build_store
from tests.dashboard.conftest import APP, hand_worked_feeds, store_copy

PASSWORD = "correct horse 9"
WEEK = dt.date(2025, 6, 2)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("brief_once"), hand_worked_feeds())
    users.add(db, "dir_a", "director", PASSWORD, community="A")
    users.add(db, "off_j", "official", PASSWORD, street="金桥街道")
    return db


@pytest.fixture
def db(built, tmp_path, monkeypatch):
    return store_copy(built, tmp_path, monkeypatch)


def opened(db, name: str, page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", "c": "A", "g": "week", "p": WEEK.isoformat(), **params})
    for key, value in auth.session_for(users.lookup(db, name)).items():
        at.session_state[key] = value
    at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def weekly_draft(db) -> str:
    return next(a for a in opened(db, "dir_a", "weekly").text_area if a.label == "报告正文").value


def test_the_brief_is_gathered_once_and_again_when_the_records_change(db, monkeypatch):
    calls = []
    real = content.gather
    monkeypatch.setattr(content, "gather", lambda *a, **k: calls.append(a[1:4]) or real(*a, **k))
    assert "清理超时包裹" not in weekly_draft(db)
    assert calls == [("A", "week", WEEK)]     # the report section's and the downloads' brief: one gather
    weekly_draft(db)
    assert len(calls) == 1                    # nothing changed: not gathered again
    with writing(db) as con:                  # as `linli` would, not through the page
        item = actions.add_action(con, "A", "清理超时包裹", metric="parcels.overdue", due_on=dt.date(2025, 6, 9))
        con.execute("UPDATE action_items SET created_at = TIMESTAMP '2025-06-03 10:00' WHERE action_id = ?", [item])
    assert "清理超时包裹" in weekly_draft(db)
    assert len(calls) == 2


def test_the_street_comparison_is_gathered_once_and_again_when_the_records_change(db, monkeypatch):
    """街道对比 reads some 80 cached queries a view: gathered once while the store is unchanged; an alert rule changed
    meanwhile (the communities' alerts read it) is a new gathering."""
    from pipelines.records import alert_rules
    from pipelines.reports import street
    calls = []
    real = street.gather_street
    monkeypatch.setattr(street, "gather_street", lambda *a, **k: calls.append(a[1:3]) or real(*a, **k))
    first = [e.label for e in opened(db, "off_j", "street", sp=WEEK.isoformat()).expander]
    assert [name for name, _ in calls] == ["金桥街道"]
    again = [e.label for e in opened(db, "off_j", "street", sp=WEEK.isoformat()).expander]
    assert again == first and len(calls) == 1
    with writing(db) as con:
        alert_rules.set_rule(con, "A", alert_rules.DEFAULTS[0].rule_id, account=None, enabled=False)
    opened(db, "off_j", "street", sp=WEEK.isoformat())
    assert len(calls) == 2


def test_a_record_saved_by_another_process_shows_on_the_next_render_and_a_busy_store_is_not_remembered(db, monkeypatch):
    """The records a page reads are kept while the store is unchanged, not for a few seconds: a report saved by
    `linli` shows at once; what the page said while the store was busy is not kept once it is free."""
    import contextlib

    from dashboard import queries
    from pipelines.records import reports
    assert weekly_draft(db).startswith("关于A社区2025年第23周")
    with writing(db) as con:
        reports.save(con, "A", "week", WEEK, "A社区第23周：快递正常。", "draft")
    assert weekly_draft(db) == "A社区第23周：快递正常。"
    with writing(db) as con:   # then an import writes and holds the store
        reports.save(con, "A", "week", WEEK, "A社区第23周：快递正常，噪音减少。", "draft")
    with monkeypatch.context() as busy:
        busy.setattr(queries, "reading", lambda path: contextlib.nullcontext(None))
        at = opened(db, "dir_a", "weekly")
        assert any(i.value == "数据库正在导入或计算，稍后再保存报告。" for i in at.info)
    # free again, the store unchanged since: read, not the busy answer kept
    at = opened(db, "dir_a", "weekly")
    assert not any(i.value == "数据库正在导入或计算，稍后再保存报告。" for i in at.info)
    assert next(a for a in at.text_area if a.label == "报告正文").value == "A社区第23周：快递正常，噪音减少。"
