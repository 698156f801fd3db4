"""Community rules carry their adoption date; alert rules are kept per community with their history."""
import datetime as dt
import json

import duckdb
import pytest

from pipelines.cli.main import main
from pipelines.records import alert_rules, rules


def _con(db):
    return duckdb.connect(str(db), read_only=True)


def test_rules_from_a_date_are_kept_with_their_history(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LINLI_LANG", "zh")
    db = tmp_path / "x.duckdb"
    assert main(["--db", str(db), "rules", "A", "--window", "09:00-20:00", "--from", "2025-04-14"]) == 0
    assert capsys.readouterr().out == "规则已保存。运行 `linli build` 生效。\n"
    assert main(["--db", str(db), "rules", "A", "--overdue-hours", "48", "--from", "2025-09-01"]) == 0
    con = _con(db)
    changes = rules.history(con, "A")
    con.close()
    assert [(c["window_start"], c["window_end"], c["overdue_hours"], c["effective_from"]) for c in changes] == [
        (dt.time(9), dt.time(20), None, dt.date(2025, 4, 14)),
        (dt.time(9), dt.time(20), 48.0, dt.date(2025, 9, 1))]
    # the window kept its day when the overdue limit changed later
    assert rules.adopted_on(changes) == {"window": dt.date(2025, 4, 14), "overdue_hours": dt.date(2025, 9, 1)}


def test_a_bad_from_date_is_refused_with_the_format_to_use(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(tmp_path / "x.duckdb"), "rules", "A", "--window", "09:00-20:00", "--from", "4月14日"])
    assert exc.value.code == 2
    assert "“4月14日”不是日期，请写成 2025-04-14" in capsys.readouterr().err


def test_alert_rules_defaults_listed_then_changed_added_and_reset(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LINLI_LANG", "zh")
    db = str(tmp_path / "x.duckdb")
    main(["--db", db, "rules", "A", "--window", "09:00-20:00"])   # makes the store
    capsys.readouterr()
    assert main(["--db", db, "alerts", "list", "--community", "A"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "社区\t规则\t条件\t级别\t状态\t来源"
    assert "A\toverdue\tparcels.overdue ≥ 20\twarning\t启用\t默认" in lines
    assert "A\tover_capacity\tparcels.peak_occupancy_ratio ≥ 1\terror\t启用\t默认" in lines
    assert len(lines) == 1 + len(alert_rules.DEFAULTS)

    assert main(["--db", db, "alerts", "set", "A", "overdue", "--threshold", "50"]) == 0
    assert capsys.readouterr().out == "已保存：A overdue parcels.overdue ≥ 50（warning，启用）。页面刷新即生效。\n"
    assert main(["--db", db, "alerts", "set", "A", "refunds", "--metric", "orders.refund_rate", "--when", "上升",
                 "--threshold", "0.01", "--level", "严重"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "alerts", "list", "--community", "A", "--json"]) == 0
    listed = {r["rule_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["overdue"]["threshold"] == 50 and listed["overdue"]["is_default"] is False
    assert listed["refunds"] == {"community_id": "A", "rule_id": "refunds", "metric": "orders.refund_rate",
                                 "condition": "rise", "threshold": 0.01, "level": "error", "enabled": True,
                                 "is_default": False}
    assert main(["--db", db, "alerts", "set", "A", "overdue", "--default"]) == 0
    assert capsys.readouterr().out == "已恢复默认：overdue\n"

    con = _con(db)
    assert next(r for r in alert_rules.effective(con, "A") if r.rule_id == "overdue").threshold == 20
    assert alert_rules.effective(con, "B")[2].threshold == 20     # another community keeps the defaults
    history = [(h["rule_id"], h["threshold"], h["removed"]) for h in alert_rules.history(con, "A")]
    assert history == [("overdue", 50.0, False), ("refunds", 0.01, False), ("overdue", 50.0, True)]
    actions = [r[0] for r in con.execute("SELECT action FROM audit_log WHERE action LIKE 'alert_rule%' ORDER BY seq").fetchall()]
    con.close()
    assert actions == ["alert_rule.set", "alert_rule.set", "alert_rule.reset"]


def test_alert_rule_mistakes_say_what_to_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LINLI_LANG", "zh")
    db = str(tmp_path / "x.duckdb")
    assert main(["--db", db, "alerts", "set", "A", "mine", "--metric", "orders.count"]) == 1
    assert capsys.readouterr().err == "新规则“mine”需要同时给出 --metric、--when 和 --threshold。\n"
    assert main(["--db", db, "alerts", "set", "A", "x", "--metric", "orders.nope", "--when", "above",
                 "--threshold", "1"]) == 1
    assert "指标“orders.nope”不存在" in capsys.readouterr().err
    assert main(["--db", db, "alerts", "set", "A", "overdue", "--when", "sideways"]) == 1
    assert capsys.readouterr().err == "条件“sideways”无法识别，可用：above、below、rise、fall。\n"


def test_alert_rules_survive_a_build(tmp_path):
    from pipelines.build.runner import build
    db = str(tmp_path / "x.duckdb")
    main(["--db", db, "alerts", "set", "A", "pileup", "--off"])
    build(db)
    con = _con(db)
    assert next(r for r in alert_rules.effective(con, "A") if r.rule_id == "pileup").enabled is False
    con.close()
