"""The audit trail in words (issue 16 item 10): every action name a writer records has a sentence, in
both languages; a few entries built by hand read exactly as a person would say them; the real writers'
rows read as sentences, never as codes or JSON; the actor is named as who() names it."""
from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest

from pipelines.database import writing
from pipelines.present import audit_words as words
from pipelines.records import actions, alert_rules, audit, cases, users
from tests.conftest import build_store
from tests.pipelines import test_kpi as fx

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse 9"


def written_action_names() -> dict[str, str]:
    """Every action name the code can write (name -> where), read from the source: the second argument
    of each audit.record / audit.record_import call, every string it can be (an `a if … else b` too)."""
    found: dict[str, str] = {}
    unnamed = []
    for path in (ROOT / "pipelines").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            is_audit = (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "audit"
                        and name in ("record", "record_import")) or (
                path.name == "audit.py" and path.parent.name == "records" and isinstance(f, ast.Name)
                and name == "record")
            if not is_audit:
                continue
            names = _names(node.args[1])
            if not names:
                unnamed.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            for n in names:
                found[n] = f"{path.relative_to(ROOT)}:{node.lineno}"
    # record_import hands its caller's name on: the one call whose name is not written out where it is
    assert unnamed == ["pipelines/records/audit.py:" + str(_record_import_line())]
    return found


def _names(expr: ast.expr) -> list[str]:
    """The strings an argument can be: a literal, or either side of `a if … else b`."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        return _names(expr.body) + _names(expr.orelse)
    return []


def _record_import_line() -> int:
    source = (ROOT / "pipelines" / "records" / "audit.py").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(source) if line.startswith("def record_import"))
    return next(i for i in range(start, len(source)) if source[i].strip().startswith("record(con, action")) + 1


def test_every_action_name_the_code_writes_has_words():
    written = written_action_names()
    # the collector sees the writers it must (a collector that found nothing would pass anything)
    assert {"import", "undo", "rules", "action.status", "action.edit", "case.metric", "login.failed",
            "alert_rule.set", "profile.save", "user.add"} <= set(written)
    missing = {name: where for name, where in written.items() if name not in words.WORDED}
    assert missing == {}, f"audit actions without words in pipelines/present/audit_words.py: {missing}"
    assert {name: words.kind_of(name) for name in written if words.kind_of(name) == "other"} == {}


def test_nothing_writes_the_audit_table_but_record():
    for path in (ROOT / "pipelines").rglob("*.py"):
        if path != ROOT / "pipelines" / "records" / "audit.py":
            assert "INTO audit_log" not in path.read_text(encoding="utf-8"), path


def entry(action, detail, user="王干部", community="A", lang="zh"):
    return words.sentence(user, action, community, json.dumps(detail, ensure_ascii=False), lang)


def test_entries_built_by_hand_read_as_a_person_says_them():
    assert entry("action.status", {"action_id": 3, "status": {"old": "open", "new": "done"}}) == \
        "王干部 把整改事项 3 改为已完成（原为待办）"
    assert entry("import", {"import_id": 5, "kind": "orders", "communities": ["A"], "file": "7月订单.csv",
                            "rows_read": 123, "rows_new": 120, "rows_replaced": 0, "rows_quarantined": 3},
                 user="os:root") == "命令行（root）导入了订单文件《7月订单.csv》（第 5 次导入）：新增 120 行，隔离 3 行"
    assert entry("login.failed", {"reason": "unknown"}, user="?3fa2c1d4e5f6", community=None) == \
        "未知用户名（3fa2c1）登录失败"
    assert entry("login.failed", {"reason": "password"}, user="dir_a") == "dir_a 登录失败：密码不对"
    assert entry("case.metric", {"case_id": 2, "metric": "complaints.noise_outside_hours"}, user="web:demo") == \
        "浏览器（演示）把指标“时段外噪音投诉”关联到协商议题 2，用来看效果"
    assert entry("action.edit", {"action_id": 4, "owner": {"old": None, "new": "李明"},
                                 "due_on": {"old": "2025-06-10", "new": "2025-06-17"}}) == \
        "王干部 修改了整改事项 4：负责人 （空） → “李明”；期限 2025年6月10日 → 2025年6月17日"
    assert entry("case.step", {"case_id": 1, "old": "invite", "new": "meet"}, user=None) == \
        "命令行 把协商议题 1 改到“协商会议”（原为“邀请各方”）"
    assert entry("action.status", {"action_id": 3, "status": {"old": "open", "new": "done"}}, lang="en") == \
        "王干部 set action item 3 to Done (was Open)"
    assert entry("undo", {"import_id": 5, "kind": "parcels", "file": "包裹.xlsx", "communities": ["A"]},
                 user="web:demo", lang="en") == "browser (demo) undid import #5 '包裹.xlsx' (Parcels)"
    assert entry("coop_split", {"effective_from": "2026-08-01", "members_pct": "65.00", "coop_pct": "20.00",
                                "fund_pct": "15.00"}) == \
        "王干部 修改了合作社利润分配比例：社员 65%、合作社 20%、公共基金 15%，自2026年8月1日起"


def test_an_entry_of_unknown_shape_still_reads_as_who_did_what():
    assert entry("action.status", {"action_id": 3}) == "王干部 进行了操作：整改事项改状态"
    assert entry("something.new", {"x": 1}, user="os:root") == "命令行（root）进行了操作：something.new"
    assert "{" not in entry("import", "not json")


@pytest.fixture(scope="module")
def trail_store(tmp_path_factory):
    """A store where every writer has run once, the way the pages and the command line run them."""
    from pipelines.ingest import profiles
    from pipelines.ingest.store import set_rules, undo
    folder = tmp_path_factory.mktemp("trail")
    db = build_store(folder, {"communities": fx.COMMUNITIES, "orders": fx.ORDERS})
    users.add(db, "dir_a", "director", PASSWORD, community="A")
    users.passwd(db, "dir_a", PASSWORD + "x")
    users.add(db, "spare", "member", PASSWORD, community="A")
    users.remove(db, "spare")
    users.authenticate(db, "dir_a", PASSWORD + "x")
    users.authenticate(db, "dir_a", "wrong password")
    users.authenticate(db, "ghost", "wrong password")
    with audit.acting(audit.BROWSER), writing(db) as con:
        item = actions.add_action(con, "A", "3栋门口快递堆放", metric="parcels.overdue", source="alert")
        actions.update_action(con, item, status="done")
        actions.update_action(con, item, owner="王芳", due_on=dt.date(2025, 6, 17))
        case = cases.add_case(con, "A", "夜间直播噪音")
        cases.set_step(con, case, "invite")
        cases.add_party(con, case, "3栋居民代表")
        cases.add_meeting(con, case, dt.date(2025, 6, 3), "同意 20 点后停播")
        cases.agree(con, case, "直播只在 09:00–20:00", dt.date(2025, 6, 4))
        cases.link_metric(con, case, "complaints.noise_outside_hours")
        cases.add_note(con, case, "一周后回访")
        alert_rules.set_rule(con, "A", "overdue", account=None, threshold=30)
        alert_rules.set_rule(con, "A", "overdue", account=None, level="error")
        alert_rules.set_rule(con, "A", "orders.count.fall", account=None, metric="orders.count", condition="fall",
                             threshold=50)
        alert_rules.reset_rule(con, "A", "overdue", account=None)
    set_rules(db, "A", "09:00", "20:00", 48, dt.date(2025, 6, 2), user="os:root")
    profiles.save(db, profiles.Profile(name="快团团", kind="orders", headers=("跟团号",),
                                       columns={"跟团号": ("order_id",)}, constants={"community_id": "A"}),
                  user="dir_a", communities=("A",))
    from pipelines.records import events   # a community's own events for the forecasts (issue 19)
    event = events.add(db, "A", "周末集市", dt.date(2025, 6, 7), dt.date(2025, 6, 8), user="dir_a")
    events.remove(db, event["event_id"], user="dir_a")
    from pipelines.records import reports   # the report to the street office and the scheduled briefs (issue 19)
    from pipelines.reports import deliver
    with writing(db) as con:
        reports.save(con, "A", "week", dt.date(2025, 6, 2), "本周快递正常。", user="dir_a")
        reports.save(con, "A", "week", dt.date(2025, 6, 2), "本周快递正常。", "sent", user="dir_a")
    deliver._record(db, "A", dt.date(2025, 6, 2), "folder", True, 1, None)
    deliver._record(db, "A", dt.date(2025, 6, 2), "wecom", False, 3, "HTTPError: HTTP Error 500")
    from pipelines.records import coop_split   # the cooperative's split (issue 20)
    coop_split.set_split(db, "A", 65, 20, 15, effective_from=dt.date(2025, 6, 1), user="dir_a")
    first_import = min(r[0] for r in _rows(db, "SELECT import_id FROM imports"))
    undo(db, first_import, user="web:demo")
    return db


def _rows(db, sql):
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_row_the_writers_leave_reads_as_a_sentence(trail_store, lang):
    got = _rows(trail_store, "SELECT user_name, action, community_id, detail FROM audit_log ORDER BY seq")
    assert set(words.WORDED) <= {a for _, a, _, _ in got}     # the store holds every kind there is
    for user, action, community, detail in got:
        said = words.sentence(user, action, community, detail, lang)
        fallback = words.sentence(user, "no.such.action", community, detail, lang).replace("no.such.action", "")
        assert not said.startswith(fallback), (action, said)
        for raw in ('{"', "action.", "case.", "alert_rule", "_id", "None", "parcels.overdue", "complaints."):
            assert raw not in said, (action, raw, said)


def test_the_writers_rows_in_words(trail_store):
    got = [words.sentence(*row) for row in _rows(
        trail_store, "SELECT user_name, action, community_id, detail FROM audit_log ORDER BY seq")]
    assert "浏览器（演示）把整改事项 1 改为已完成（原为待办）" in got
    assert "浏览器（演示）修改了提醒规则“超时包裹达到或高于 20”：阈值 20 → 30" in got
    assert "浏览器（演示）修改了提醒规则“超时包裹达到或高于 30”：级别 提醒 → 严重" in got
    assert "浏览器（演示）保存了提醒规则“订单数比上期减少至少 50”（级别：提醒，启用）" in got
    assert "命令行（root）修改了社区规则：直播时段 09:00–20:00，包裹超过 48 小时未取算超时，自2025年6月2日起执行" in got
    assert "dir_a 保存了导入档案“快团团”（订单）" in got
    assert "dir_a 把2025年第23周 · 6月2日–6月8日的报告标记为已发送" in got
    assert "命令行 送达2025年6月2日这一周的简报到企业微信群失败（试了 3 次）" in got
    assert "命令行 添加了账号 dir_a（社区主任，A）" in got
    assert any(s.startswith("未知用户名（") and s.endswith("）登录失败") for s in got)
