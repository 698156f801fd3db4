"""A director writes his own community only (SPEC §9): import_file(allowed_communities=...) refuses a file
holding another community's rows, reference feeds included, and undo(allowed_communities=...) refuses an
import that was not all his. None is the command line: no limit."""
from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.errors import FileRefused, UserError
from pipelines.ingest.profiles import Profile
from pipelines.ingest.store import import_file, undo
from tests.conftest import build_store, write

COMMUNITIES = """
community_id,name,street,households
A,A社区,金桥街道,2000
B,B社区,花溪街道,1000
"""
ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
O1,A,S1,group_buy,2025-06-02 10:00,100,paid
O8,B,S9,group_buy,2025-06-04 08:00,5,paid
"""
# rows 2 and 4 are B's, row 4 by its name as registers write it
MIXED = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
N1,A,S1,group_buy,2025-06-03 10:00,30,paid
N2,B,S9,group_buy,2025-06-03 11:00,70,paid
N3,A,S2,group_buy,2025-06-04 10:00,20,paid
N4,B社区,S9,group_buy,2025-06-04 11:00,10,paid
"""
OWN = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
N1,A,S1,group_buy,2025-06-03 10:00,30,paid
N3,A社区,S2,group_buy,2025-06-04 10:00,20,paid
"""


@pytest.fixture
def db(tmp_path):
    return build_store(tmp_path, {"communities": COMMUNITIES, "orders": ORDERS})


def state(db) -> dict:
    """Everything an import writes: its history, every stored row, the quarantine, the audit trail."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {"imports": con.execute("SELECT import_id, status FROM imports ORDER BY 1").fetchall(),
                "orders": con.execute("SELECT community_id, order_id, amount_yuan FROM cur_orders ORDER BY 1, 2").fetchall(),
                "communities": con.execute("SELECT community_id, households FROM cur_communities ORDER BY 1").fetchall(),
                "quarantine": con.execute("SELECT count(*) FROM quarantine").fetchone()[0],
                "audit": con.execute("SELECT count(*) FROM audit_log").fetchone()[0]}
    finally:
        con.close()


def last_audit(db) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        user, action, community, detail = con.execute(
            "SELECT user_name, action, community_id, detail FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return user, action, community, json.loads(detail)


def test_a_file_with_another_communitys_rows_is_refused_whole_and_nothing_is_written(db, tmp_path):
    before = state(db)
    with pytest.raises(FileRefused) as refused:
        import_file(db, "orders", write(tmp_path / "mixed.csv", MIXED), user="dir_a", allowed_communities=["A"])
    assert refused.value.zh == ("文件《mixed.csv》无法导入：第 3、5 行属于其他社区（B），这个账号只能导入本社区（A）的数据。"
                                "文件没有导入任何一行；请删去这些行后重新上传，或请管理员导入。")
    assert "rows 3, 5 belong to other communities (B)" in refused.value.en
    assert state(db) == before      # A's rows N1 and N3 are not stored either


def test_the_command_line_has_no_limit(db, tmp_path):
    report = import_file(db, "orders", write(tmp_path / "mixed.csv", MIXED))
    assert (report.rows_new, len(report.quarantined)) == (4, 0)
    assert ("B", "N4", 10) in state(db)["orders"]
    assert last_audit(db)[0] is None


def test_a_file_of_his_own_community_imports_and_the_audit_row_names_him(db, tmp_path):
    report = import_file(db, "orders", write(tmp_path / "own.csv", OWN), user="dir_a", allowed_communities=("A",))
    assert (report.rows_new, len(report.quarantined)) == (2, 0)
    assert [r for r in state(db)["orders"] if r[0] == "B"] == [("B", "O8", 5)]
    user, action, community, detail = last_audit(db)
    assert (user, action, community, detail["communities"], detail["rows_new"]) == ("dir_a", "import", "A", ["A"], 2)


def test_a_row_without_a_community_is_quarantined_not_refused(db, tmp_path):
    text = OWN + "N9,,S2,group_buy,2025-06-05 10:00,9,paid\n"
    report = import_file(db, "orders", write(tmp_path / "gap.csv", text), user="dir_a", allowed_communities=["A"])
    assert (report.rows_new, [r["row"] for r in report.quarantined]) == (2, [4])


def test_a_constant_community_from_the_mapping_is_held_to_the_scope_too(db, tmp_path):
    text = """
    order_id,seller_id,channel,ordered_at,amount_yuan,status
    N1,S1,group_buy,2025-06-03 10:00,30,paid
    """
    profile = Profile(name="", kind="orders", constants={"community_id": "B"})
    with pytest.raises(FileRefused, match="row 2 belongs to other communities"):
        import_file(db, "orders", write(tmp_path / "c.csv", text), profile=profile, allowed_communities=["A"])
    profile = Profile(name="", kind="orders", constants={"community_id": "A"})
    assert import_file(db, "orders", write(tmp_path / "c.csv", text), profile=profile,
                       allowed_communities=["A"]).rows_new == 1


@pytest.mark.parametrize("kind, text", [
    ("communities", "community_id,name,street,households\nA,A社区,金桥街道,2100\nB,B社区,花溪街道,1\n"),
    ("buildings", "community_id,building_id,households\nA,1栋,40\nB,1栋,999\n"),
    ("points", "community_id,point_id,name\nA,P1,东门驿站\nB,P1,B驿站\n"),
    ("sellers", "community_id,seller_id,name\nA,S1,王团长\nB,S9,李团长\n"),
])
def test_reference_feeds_cannot_rewrite_another_community(db, tmp_path, kind, text):
    before = state(db)
    with pytest.raises(FileRefused) as refused:
        import_file(db, kind, write(tmp_path / f"{kind}.csv", text), user="dir_a", allowed_communities=["A"])
    assert "第 3 行属于其他社区（B）" in refused.value.zh
    assert state(db) == before
    assert dict(before["communities"])["B"] == 1000


def test_undo_is_held_to_the_imports_whose_rows_were_all_his(db, tmp_path):
    mine = import_file(db, "orders", write(tmp_path / "own.csv", OWN), user="dir_a", allowed_communities=["A"])
    mixed = import_file(db, "orders", write(tmp_path / "mixed.csv", MIXED), user="root")
    theirs = import_file(db, "orders", write(tmp_path / "b.csv", ORDERS.replace("O8", "O9").replace("O1,A", "O2,B")))
    for foreign in (mixed.import_id, theirs.import_id):
        with pytest.raises(UserError) as refused:
            undo(db, foreign, user="dir_a", allowed_communities=["A"])
        assert refused.value.zh == f"第 {foreign} 次导入不只含本社区的数据，这个账号不能撤销它。请管理员撤销。"
    assert dict(state(db)["imports"])[mixed.import_id] == "applied"
    assert undo(db, mine.import_id, user="dir_a", allowed_communities=["A"]) == "own.csv"
    user, action, community, detail = last_audit(db)
    assert (user, action, community, detail["import_id"]) == ("dir_a", "undo", "A", mine.import_id)
    assert undo(db, mixed.import_id, user="root") == "mixed.csv"      # an admin: no limit
