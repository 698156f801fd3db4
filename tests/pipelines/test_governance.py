"""Action items and consultation cases (SPEC §8): the command line's exact output, history and audit,
masked free text, and records that survive every build, re-import, undo and demo run."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest

from pipelines.cli.main import main
from pipelines.database import writing
from pipelines.demo.generate import run_demo
from pipelines.ingest.store import import_file, undo
from pipelines.records import actions, cases, users
from pipelines.records.kept import KEPT_TABLES
from tests.conftest import build_store, write

COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
B,B社区,金桥街道,1000,26.58,106.72
"""
COMPLAINTS = """
complaint_id,community_id,received_at,occurred_at,category,building_id,seller_id,source,resolved_at
C1,A,2025-06-02 21:30,2025-06-02 21:10,livestream_noise,B1,,wechat,2025-06-03 09:00
C2,A,2025-06-03 10:00,2025-06-03 09:30,parcel_pileup,B1,,hotline,
"""
COMPLAINTS_FIXED = COMPLAINTS.replace("C2,A,2025-06-03 10:00", "C2,A,2025-06-03 11:00")
GOVERNANCE = [t for t in KEPT_TABLES if t.startswith(("action_", "consult_"))]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("gov"), {"communities": COMMUNITIES, "complaints": COMPLAINTS})


@pytest.fixture
def db(built, tmp_path, monkeypatch):
    copy = tmp_path / "t.duckdb"
    shutil.copy(built, copy)
    monkeypatch.setenv("LINLI_LANG", "zh")
    return copy


def run(capsys, db, *argv) -> tuple[int, str, str]:
    code = main(["--db", str(db), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def rows(db, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_actions_add_prints_the_new_id_and_list_shows_it_exactly(db, capsys):
    assert run(capsys, db, "actions", "add", "A", "3栋门口快递堆放", "--metric", "complaints.parcel_pileup",
               "--subject", "B1", "--owner", "王芳", "--due", "2025-06-09") == (0, "1\n", "")
    assert run(capsys, db, "actions", "add", "B", "核对快递柜")[1] == "2\n"
    code, out, _ = run(capsys, db, "actions", "list", "--community", "A")
    assert code == 0
    assert out == ("编号\t社区\t标题\t指标\t对象\t负责人\t截止日期\t状态\n"
                   "1\tA\t3栋门口快递堆放\tcomplaints.parcel_pileup\tB1\t王芳\t2025年6月9日\t待办（已逾期）\n")
    listed = json.loads(run(capsys, db, "actions", "list", "--json")[1])
    assert [(a["action_id"], a["community_id"], a["status"], a["due_on"], a["overdue"]) for a in listed] == [
        (1, "A", "open", "2025-06-09", True), (2, "B", "open", None, False)]
    assert set(listed[0]) >= {"community_id", "action_id", "title", "metric", "subject", "owner", "due_on", "status",
                              "created_at", "updated_at"}


def test_actions_set_takes_the_chinese_word_and_keeps_the_history(db, capsys):
    run(capsys, db, "actions", "add", "A", "清理超时包裹", "--owner", "驿站")
    assert run(capsys, db, "actions", "set", "1", "--status", "进行中") == (
        0, "整改事项 1（清理超时包裹）：状态 待办 → 进行中，负责人 驿站。\n", "")
    assert run(capsys, db, "actions", "set", "1", "--status", "done")[1].startswith("整改事项 1（清理超时包裹）：状态 进行中 → 已完成")
    history = rows(db, "SELECT field, old_value, new_value FROM action_items_history WHERE action_id = 1 ORDER BY rowid")
    assert history == [("title", None, "清理超时包裹"), ("owner", None, "驿站"), ("status", None, "open"),
                       ("status", "open", "in_progress"), ("status", "in_progress", "done")]
    trail = rows(db, "SELECT action FROM audit_log WHERE action LIKE 'action.%' ORDER BY seq")
    assert trail == [("action.add",), ("action.status",), ("action.status",)]
    # done is never overdue, whatever the due day
    assert json.loads(run(capsys, db, "actions", "list", "--json")[1])[0]["overdue"] is False


def test_bad_input_is_refused_with_what_and_how(db, capsys):
    code, out, err = run(capsys, db, "actions", "add", "Z", "x")
    assert (code, out) == (1, "")
    assert "社区“Z”不在数据库里。可选的社区编号：A、B。" in err
    code, _, err = run(capsys, db, "actions", "add", "A", "x", "--metric", "noise")
    assert code == 1 and "指标“noise”不存在" in err
    run(capsys, db, "actions", "add", "A", "x")
    code, _, err = run(capsys, db, "actions", "set", "1", "--status", "finished")
    assert code == 1 and "状态“finished”无法识别。可用：open（待办）、in_progress（进行中）、done（已完成）。" in err
    code, _, err = run(capsys, db, "actions", "set", "9", "--status", "done")
    assert code == 1 and "没有编号为 9 的整改事项" in err
    with pytest.raises(SystemExit):
        main(["--db", str(db), "actions", "add", "A", "x", "--due", "6月9日"])
    assert "不是日期，请写成 2025-04-14" in capsys.readouterr().err
    assert rows(db, "SELECT count(*) FROM action_items") == [(1,)]      # nothing of the refused ones stored


def test_phone_numbers_in_free_text_are_masked_before_storage(db, capsys):
    run(capsys, db, "actions", "add", "A", "联系住户 13800138000 改期", "--owner", "王芳 139-0013-9000")
    run(capsys, db, "cases", "add", "A", "夜间噪音")
    run(capsys, db, "cases", "meeting", "1", "--on", "2025-04-02", "--minutes", "住户张三（电话 13712345678）同意限时")
    stored = json.dumps(rows(db, "SELECT title, owner FROM action_items") + rows(db, "SELECT minutes FROM consult_meetings"),
                        ensure_ascii=False)
    assert "13800138000" not in stored and "0013-9000" not in stored and "13712345678" not in stored
    assert rows(db, "SELECT title FROM action_items") == [("联系住户 138****8000 改期",)]
    assert rows(db, "SELECT minutes FROM consult_meetings") == [("住户张三（电话 137****5678）同意限时",)]


def test_a_case_goes_through_its_steps_with_parties_meetings_agreement_and_timeline(db, capsys):
    assert run(capsys, db, "cases", "add", "A", "夜间直播噪音", "--on", "2025-03-03")[1] == "1\n"
    assert run(capsys, db, "cases", "step", "1", "邀请各方", "--on", "2025-03-10")[1] == \
        "协商议题 1（夜间直播噪音）现在处于：邀请各方。\n"
    run(capsys, db, "cases", "party", "1", "居民代表", "--role", "居民", "--on", "2025-03-10")
    assert run(capsys, db, "cases", "meeting", "1", "--on", "2025-04-02", "--minutes", "同意限时直播")[1] == \
        "已记录协商议题 1 的第 1 次会议（2025年4月2日）。\n"
    assert run(capsys, db, "cases", "agree", "1", "直播只在 09:00–20:00", "--on", "2025-04-14")[1] == \
        "协商议题 1 已形成方案（2025年4月14日）：直播只在 09:00–20:00\n"
    assert run(capsys, db, "cases", "link", "1", "complaints.noise_outside_hours")[1] == \
        "协商议题 1 已关联指标 complaints.noise_outside_hours。\n"
    case = json.loads(run(capsys, db, "cases", "show", "1", "--json")[1])
    assert (case["step"], case["agreed_on"], case["metrics"]) == ("agree", "2025-04-14", ["complaints.noise_outside_hours"])
    assert case["parties"] == [{"name": "居民代表", "role": "居民"}]
    assert [(e["event_on"], e["kind"], e["text"]) for e in case["timeline"]][:5] == [
        ("2025-03-03", "step", "collect"), ("2025-03-10", "step", "invite"), ("2025-03-10", "party", "居民代表（居民）"),
        ("2025-04-02", "meeting", "1"), ("2025-04-14", "agree", "直播只在 09:00–20:00")]
    assert [r[0] for r in rows(db, "SELECT field FROM consult_history WHERE case_id = 1 ORDER BY rowid")] == [
        "title", "step", "step", "party", "meeting 1", "solution", "agreed_on", "step", "metric"]
    assert rows(db, "SELECT count(*) FROM audit_log WHERE action LIKE 'case.%'") == [(7,)]
    assert run(capsys, db, "cases", "list")[1] == ("编号\t社区\t议题\t步骤\t方案日期\t关联指标\n"
                                                  "1\tA\t夜间直播噪音\t形成方案\t2025年4月14日\tcomplaints.noise_outside_hours\n")
    code, _, err = run(capsys, db, "cases", "step", "1", "vote")
    assert code == 1 and "步骤“vote”无法识别" in err


def _records(db) -> dict:
    return {t: sorted(map(str, rows(db, f"SELECT * FROM {t}"))) for t in GOVERNANCE}


def _record_some(db) -> None:
    with writing(db) as con:
        a = actions.add_action(con, "A", "清理超时包裹", metric="parcels.overdue", due_on=dt.date(2025, 6, 9))
        actions.update_action(con, a, status="in_progress", user="li")
        c = cases.add_case(con, "A", "夜间直播噪音", on=dt.date(2025, 3, 3))
        cases.add_meeting(con, c, dt.date(2025, 4, 2), "同意限时")
        cases.agree(con, c, "限时直播", dt.date(2025, 4, 14))
        cases.link_metric(con, c, "complaints.noise")


def test_records_survive_build_reimport_and_undo(db, tmp_path):
    from pipelines.build.runner import build
    _record_some(db)
    before = _records(db)
    assert all(before[t] for t in GOVERNANCE if t != "consult_parties")
    build(db, full=True)
    report = import_file(db, "complaints", write(tmp_path / "c2.csv", COMPLAINTS_FIXED))
    build(db)
    undo(db, report.import_id)
    build(db)
    assert _records(db) == before


# the demo's data ends on the last Sunday before today unless told (SPEC §2); the stories' dates below are
# those of three weeks that end on this Sunday
DEMO_END = dt.date(2025, 1, 26)


def test_a_demo_run_keeps_every_record_and_adds_its_own_stories_once(db, tmp_path):
    _record_some(db)
    mine = _records(db)
    users.add(db, "liwei", "director", "correct horse 9", community="A")
    run_demo(db, communities=1, weeks=3, seed=7, out_dir=str(tmp_path / "demo"), say=lambda _: None,
             end=DEMO_END)
    after = _records(db)
    for t in GOVERNANCE:
        assert set(mine[t]) <= set(after[t]), t
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT title, status FROM action_items WHERE action_id = 1").fetchall() == [
            ("清理超时包裹", "in_progress")]
        demo_cases = con.execute("SELECT title, step, agreed_on::VARCHAR FROM consult_cases WHERE created_by = '演示数据' "
                                 "ORDER BY case_id").fetchall()
        statuses = {r[0] for r in con.execute("SELECT status FROM action_items").fetchall()}
        assert con.execute("SELECT count(*) FROM kpi").fetchone()[0] > 0    # the demo's data is there too
    finally:
        con.close()
    assert demo_cases == [("夜间直播噪音扰民", "supervise", "2025-04-14"), ("快递在单元门口堆放", "supervise", "2025-07-07"),
                          ("老年人不会用手机取件、网购", "invite", None)]
    assert statuses == {"open", "in_progress", "done"}
    again = _records(db)
    run_demo(db, communities=1, weeks=3, seed=7, out_dir=str(tmp_path / "demo"), say=lambda _: None,
             end=DEMO_END)
    assert _records(db) == again      # the same stories are not recorded twice
    assert users.lookup(db, "liwei") is not None   # every kept table comes through, accounts too


def test_a_demo_that_fails_midway_loses_no_record(db, tmp_path, monkeypatch):
    import pipelines.demo.generate as demo
    _record_some(db)
    mine = _records(db)

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(demo, "write_demo_files", broken)
    with pytest.raises(OSError):
        run_demo(db, communities=1, weeks=3, seed=7, out_dir=str(tmp_path / "demo"), say=lambda _: None,
             end=DEMO_END)
    assert _records(db) == mine
    # still a Linli store: the next command opens it
    assert main(["--db", str(db), "actions", "list", "--json"]) == 0
