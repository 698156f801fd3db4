"""SPEC §4: idempotent imports, corrections that keep history, undo, refusal, atomicity."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.build.runner import build
from pipelines.cli.main import main
from pipelines.ingest.store import import_file, undo
from tests.conftest import Kpi, write

ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
O1,A,S1,group_buy,2025-06-02 10:00,100,paid
O2,A,S1,group_buy,2025-06-03 10:00,50,paid
"""
CORRECTION = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
O2,A,S1,group_buy,2025-06-03 10:00,70,paid
O3,A,S2,livestream,2025-06-04 10:00,5,paid
"""


def table(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_same_file_twice_changes_nothing(tmp_path):
    db, f = tmp_path / "t.duckdb", write(tmp_path / "o.csv", ORDERS)
    first = import_file(db, "orders", f)
    again = import_file(db, "orders", f)
    assert again.already_imported_as == first.import_id
    assert table(db, "SELECT count(*) FROM imports") == [(1,)]
    assert table(db, "SELECT count(*) FROM raw_orders") == [(2,)]


def test_same_rows_in_another_file_count_as_unchanged_and_survive_undo_of_the_first(tmp_path):
    db = tmp_path / "t.duckdb"
    first = import_file(db, "orders", write(tmp_path / "o.csv", ORDERS))
    report = import_file(db, "orders", write(tmp_path / "o2.csv", "A社区6月订单\n" + ORDERS.lstrip(), "gbk"))
    assert (report.rows_new, report.rows_replaced, report.rows_unchanged) == (0, 0, 2)
    assert table(db, "SELECT count(*) FROM cur_orders") == [(2,)]
    undo(db, first.import_id)      # the second file brought the same two rows: they stay
    assert table(db, "SELECT count(*) FROM cur_orders") == [(2,)]


def test_correction_wins_keeps_the_old_version_and_undo_restores_it(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "o.csv", ORDERS))
    fix = import_file(db, "orders", write(tmp_path / "fix.csv", CORRECTION))
    assert (fix.rows_new, fix.rows_replaced) == (1, 1)
    build(db)
    assert Kpi(db)("A", "week", "2025-06-02", "orders.gmv_yuan") == 175     # 100 + 70 + 5
    assert table(db, "SELECT amount_yuan, _import_id FROM raw_orders WHERE order_id = 'O2' ORDER BY 2") == \
        [(50.0, 1), (70.0, 2)]
    undo(db, fix.import_id)
    build(db)
    assert Kpi(db)("A", "week", "2025-06-02", "orders.gmv_yuan") == 150     # 100 + 50 again
    assert table(db, "SELECT order_id FROM cur_orders ORDER BY 1") == [("O1",), ("O2",)]


def test_every_stored_row_knows_its_import(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "o.csv", ORDERS))
    assert table(db, "SELECT count(*) FROM raw_orders r JOIN imports i ON r._import_id = i.import_id "
                     "WHERE i.file_name = 'o.csv'") == [(2,)]


def test_duplicate_id_in_one_file_later_row_wins_earlier_kept_in_quarantine(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "orders", write(tmp_path / "o.csv", ORDERS + "O1,A,S1,group_buy,2025-06-02 10:00,120,paid\n"))
    assert table(db, "SELECT amount_yuan FROM cur_orders WHERE order_id = 'O1'") == [(120.0,)]
    assert [q["row"] for q in report.quarantined] == [2]
    assert "第 4 行" in report.quarantined[0]["reason_zh"]


def test_unknown_reference_is_quarantined_with_file_row_and_column(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "communities", write(tmp_path / "c.csv", "社区编号,社区名称,户数\nA,A社区,100\n"))
    report = import_file(db, "orders", write(tmp_path / "o.csv", ORDERS + "O9,Z,S1,group_buy,2025-06-02 10:00,1,paid\n"))
    assert report.rows_new == 2
    (q,) = report.quarantined
    assert q["row"] == 4 and "《o.csv》第 4 行" in q["reason_zh"] and "community_id" in q["reason_zh"]
    assert table(db, "SELECT file_name, row_number FROM quarantine") == [("o.csv", 4)]


def test_refused_file_writes_nothing_and_exits_2(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    bad = write(tmp_path / "bad.csv", "订单号,社区编号\nO1,A\n")
    assert main(["--db", str(db), "ingest", "orders", str(bad)]) == 2
    assert "bad.csv" in capsys.readouterr().err
    assert not db.exists() or table(db, "SELECT count(*) FROM imports") == [(0,)]


def test_unknown_kind_exits_2(tmp_path):
    assert main(["--db", str(tmp_path / "t.duckdb"), "ingest", "pets", str(write(tmp_path / "o.csv", ORDERS))]) == 2


def test_quarantined_rows_still_exit_0(tmp_path):
    f = write(tmp_path / "o.csv", ORDERS + "O9,A,S1,group_buy,not a date,1,paid\n")
    assert main(["--db", str(tmp_path / "t.duckdb"), "ingest", "orders", str(f)]) == 0


KILL_SCRIPT = """
import sys, time
from pipelines.ingest import store
real_apply = store._apply
def slow_apply(*args, **kwargs):
    real_apply(*args, **kwargs)          # every row written inside the open transaction
    print("applied", flush=True)
    time.sleep(60)                      # killed here, before the commit
store._apply = slow_apply
store.import_file(sys.argv[1], "orders", sys.argv[2])
"""


def test_import_killed_before_commit_leaves_the_store_as_it_was(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "o.csv", ORDERS))
    before = table(db, "SELECT * FROM raw_orders ORDER BY order_id")
    script = write(tmp_path / "kill.py", KILL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(write(tmp_path / "fix.csv", CORRECTION))],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
                            env=dict(os.environ))
    assert proc.stdout.readline().strip() == "applied"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert table(db, "SELECT * FROM raw_orders ORDER BY order_id") == before
    assert table(db, "SELECT count(*) FROM imports") == [(1,)]
    # and the store still takes the import afterwards
    assert import_file(db, "orders", tmp_path / "fix.csv").rows_replaced == 1


def test_build_publishes_a_snapshot_the_dashboard_reads(tmp_path):
    from pipelines.build.runner import current_snapshot
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "o.csv", ORDERS))
    build(db)
    first = current_snapshot(db)
    con = duckdb.connect(str(first), read_only=True)
    assert con.execute("SELECT count(*) FROM kpi WHERE metric = 'orders.count'").fetchone() == (2,)
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'raw_orders'").fetchone() == (0,)
    con.close()
    assert build(db).mode == "unchanged" and current_snapshot(db) == first     # nothing new: same snapshot
    import_file(db, "orders", write(tmp_path / "fix.csv", CORRECTION))
    assert build(db).mode == "incremental"
    assert current_snapshot(db) != first


def test_a_fixed_and_reimported_row_leaves_the_open_quarantine(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "o.csv", ORDERS + "O9,A,S1,group_buy,not a date,1,paid\n"))
    build(db)
    assert table(db, "SELECT row_number, kind FROM quarantine_open") == [(4, "orders")]
    import_file(db, "orders", write(tmp_path / "fix.csv", """
        order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
        O9,A,S1,group_buy,2025-06-04 10:00,1,paid
    """))
    build(db)
    assert table(db, "SELECT count(*) FROM quarantine_open") == [(0,)]
    assert table(db, "SELECT count(*) FROM quarantine") == [(1,)]      # kept, nothing lost


def test_kind_may_be_given_in_chinese(tmp_path):
    report = import_file(tmp_path / "t.duckdb", "订单", write(tmp_path / "o.csv", ORDERS))
    assert (report.kind, report.rows_new) == ("orders", 2)


def test_columns_linli_does_not_use_are_kept_but_personal_ones_are_not(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "complaints", write(tmp_path / "c.csv", """
        编号,社区编号,受理时间,类型,备注,联系电话
        T1,A,2025-06-03 10:00,直播噪音,三楼晚上直播,13800138000
    """))
    (extra,) = table(db, "SELECT _extra FROM raw_complaints")[0]
    assert "三楼晚上直播" in extra and "13800138000" not in extra
    assert not [r for r in table(db, "SELECT * FROM raw_complaints")[0] if r and "13800138000" in str(r)]


def test_a_community_written_by_its_name_is_read_as_its_id(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "communities", write(tmp_path / "c.csv", "社区编号,社区名称,户数\nA,A社区,100\nB,B社区,50\n"))
    report = import_file(db, "orders", write(tmp_path / "o.csv", """
        订单号,社区,团长编号,渠道,下单时间,实付金额,状态
        O1,A社区,S1,团购,2025-06-02 10:00,1.2万,已支付
        O2,Z社区,S1,团购,2025-06-02 10:00,3,已支付
    """))
    assert table(db, "SELECT order_id, community_id, amount_yuan FROM cur_orders") == [("O1", "A", 12000.0)]
    assert [q["row"] for q in report.quarantined] == [3]


def test_serve_rebuilds_a_store_built_by_other_sql(tmp_path, monkeypatch):
    from pipelines.build import runner as b
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "o.csv", ORDERS))
    assert b.snapshot_is_stale(db)              # imported, never built
    b.build(db)
    assert not b.snapshot_is_stale(db)
    monkeypatch.setattr(b, "sql_digest", lambda models: "other sql")
    assert b.snapshot_is_stale(db)
    assert b.build(db).mode == "full"


def test_a_bad_reference_names_only_the_column_at_fault(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "communities", write(tmp_path / "c.csv", "community_id,name\nA,A社区\n"))
    import_file(db, "buildings", write(tmp_path / "b.csv", "building_id,community_id\nB1,A\n"))
    import_file(db, "complaints", write(tmp_path / "q.csv", """
        complaint_id,community_id,received_at,category,building_id
        C1,A,2025-06-03 10:00,other,B9
    """))
    assert table(db, "SELECT columns FROM quarantine") == [("building_id",)]
