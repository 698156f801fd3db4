"""Access, second round (issue 15): alert rules are written only by those the policy allows, whoever calls
the writer (item 9); the communities list, which decides every account's scope, is changed only by an
admin (item 10). Real rows in a real store."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.database import writing
from pipelines.errors import FileRefused, UserError
from pipelines.ingest.store import import_file, undo
from pipelines.records import alert_rules
from pipelines.records.access import NotAllowed
from pipelines.records.users import Account
from tests.conftest import build_store, private_copy, rows, write
from tests.dashboard.test_access import access_db, db, open_as  # noqa: F401  (fixtures of the access pages)
from tests.pipelines import test_kpi as fx

STAMP = dt.datetime(2025, 6, 1)
DIRECTOR_A = Account("dir_a", "director", "A", None, STAMP)
MEMBER_A = Account("mem_a", "member", "A", None, STAMP)
ADMIN = Account("root", "admin", None, None, STAMP)
COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,2000,26.57,106.71
B,B社区,花溪街道,1000,26.58,106.72
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("access_trust"), {"communities": COMMUNITIES, "orders": fx.ORDERS})


@pytest.fixture
def store(built, tmp_path):
    return private_copy(built, tmp_path / "t.duckdb")


# ---- item 9: alert rules are the director's (and an admin's) ------------------------------------------

def rules_state(db_path) -> tuple:
    """The rules, their history and their audit rows; nothing while no rule was ever stored."""
    if not rows(db_path, "SELECT 1 FROM duckdb_tables() WHERE table_name = 'alert_rules'"):
        return ([], [(0,)], [])
    return (rows(db_path, "SELECT community_id, rule_id, threshold, updated_by FROM alert_rules ORDER BY ALL"),
            rows(db_path, "SELECT count(*) FROM alert_rules_history"),
            rows(db_path, "SELECT user_name, action, community_id FROM audit_log WHERE action LIKE 'alert_rule%' "
                          "ORDER BY seq"))


def set_overdue(db_path, community: str, account, threshold: float):
    with writing(db_path) as con:
        return alert_rules.set_rule(con, community, "overdue", account=account, threshold=threshold)


def test_a_director_writes_her_own_communitys_rules(store):
    rule = set_overdue(store, "A", DIRECTOR_A, 20)
    assert (rule.threshold, rule.is_default) == (20.0, False)
    assert rules_state(store) == ([("A", "overdue", 20.0, "dir_a")], [(1,)], [("dir_a", "alert_rule.set", "A")])


def test_a_member_cannot_change_or_reset_a_rule_and_nothing_changes(store):
    set_overdue(store, "A", DIRECTOR_A, 20)
    before = rules_state(store)
    with pytest.raises(NotAllowed) as refused:
        set_overdue(store, "A", MEMBER_A, 99)
    assert refused.value.message("zh") == "这个账号（member）不能修改提醒规则（社区 A），没有保存任何改动。"
    assert refused.value.message("en") == "this account (member) may not change alert rules for community A; nothing was saved."
    with pytest.raises(NotAllowed), writing(store) as con:
        alert_rules.reset_rule(con, "A", "overdue", account=MEMBER_A)
    with pytest.raises(NotAllowed), writing(store) as con:   # nor add one of its own
        alert_rules.set_rule(con, "A", "mine", account=MEMBER_A, metric="parcels.overdue", condition="above",
                             threshold=1)
    assert rules_state(store) == before


def test_a_director_cannot_write_another_communitys_rules(store):
    with pytest.raises(NotAllowed, match="for community B"):
        set_overdue(store, "B", DIRECTOR_A, 1)
    assert rules_state(store) == ([], [(0,)], [])


def test_the_writer_wants_to_be_told_who_writes():
    with pytest.raises(TypeError, match="account"):
        alert_rules.set_rule(None, "A", "overdue", threshold=1)


def test_a_member_sees_the_rules_but_no_form_to_change_them(db):  # noqa: F811  (the access pages' store)
    member = open_as(db, "mem_b", "weekly", c="B")
    assert not member.exception
    shown = [e for e in member.dataframe if "阈值" in e.value.columns]
    assert len(shown) == 1 and shown[0].editing_mode == "read_only"
    assert list(shown[0].value["rule"])[:2] == ["noise_outside", "repeat_buildings"]
    assert not any("阈值" in e.value.columns for e in member.data_editor)
    assert not any((b.proto.form_id or "").startswith("rules_new_") or (b.key or "").startswith("rules_save_")
                   for b in member.button)
    director = open_as(db, "dir_a", "weekly", c="A")
    assert any("阈值" in e.value.columns for e in director.data_editor)
    assert any((b.proto.form_id or "").startswith("rules_new_") for b in director.button)


# ---- item 10: the communities list changes only by an admin ---------------------------------------------

def communities(db_path) -> list[tuple]:
    return rows(db_path, "SELECT community_id, name, street, households FROM cur_communities ORDER BY 1")


def director_imports(db_path, tmp_path, text: str, name: str = "communities_a.csv"):
    return import_file(db_path, "communities", write(tmp_path / name, text), user="dir_a", allowed_communities=("A",))


SQUAT = """
community_id,name,street,households,lat,lon
A,B社区,花溪街道,2000,26.57,106.71
"""


def test_a_director_cannot_move_her_community_or_take_anothers_name(store, tmp_path):
    before = communities(store)
    imports = rows(store, "SELECT count(*) FROM imports")
    with pytest.raises(FileRefused) as refused:
        director_imports(store, tmp_path, SQUAT)
    assert refused.value.message("zh") == (
        "文件《communities_a.csv》无法导入：第 2 行会改动社区名单中决定查看范围的内容（社区 A 的名称“A社区”→“B社区”；"
        "社区 A 的所属街道“金桥街道”→“花溪街道”）。社区的编号、名称和所属街道只能由管理员修改。文件没有导入任何一行；"
        "请让这些列保持名单中的原样后重新上传，或请管理员修改。")
    assert "community A's street '金桥街道' -> '花溪街道'" in refused.value.message("en")
    assert communities(store) == before == [("A", "A社区", "金桥街道", 2000), ("B", "B社区", "花溪街道", 1000)]
    assert rows(store, "SELECT count(*) FROM imports") == imports


@pytest.mark.parametrize("line, change", [
    ("A,A社区,,2000,26.57,106.71", "社区 A 的所属街道“金桥街道”→“”"),          # a street left out is a change too
    ("A,A社区(新),金桥街道,2000,26.57,106.71", "社区 A 的名称“A社区”→“A社区(新)”"),
])
def test_a_director_changes_neither_street_nor_name(store, tmp_path, line, change):
    with pytest.raises(FileRefused) as refused:
        director_imports(store, tmp_path, "community_id,name,street,households,lat,lon\n" + line + "\n")
    assert f"第 2 行会改动社区名单中决定查看范围的内容（{change}）" in refused.value.message("zh")
    assert communities(store)[0] == ("A", "A社区", "金桥街道", 2000)


def test_a_director_cannot_create_her_community_in_the_list(tmp_path):
    only_b = build_store(tmp_path, {"communities": COMMUNITIES.replace("A,A社区,金桥街道,2000,26.57,106.71\n", "")})
    with pytest.raises(FileRefused) as refused:
        director_imports(only_b, tmp_path, "community_id,name,street,households\nA,A社区,金桥街道,2000\n")
    assert "第 2 行会改动社区名单中决定查看范围的内容（新建社区 A）" in refused.value.message("zh")
    assert [c[0] for c in communities(only_b)] == ["B"]


def test_a_director_may_correct_the_other_columns_of_her_row_and_an_admin_anything(store, tmp_path):
    report = director_imports(store, tmp_path, "community_id,name,street,households,lat,lon\n"
                                               "A,A社区,金桥街道,2100,26.57,106.71\n")
    assert (report.rows_replaced, report.quarantined) == (1, [])
    assert communities(store)[0] == ("A", "A社区", "金桥街道", 2100)
    import_file(store, "communities", write(tmp_path / "admin.csv", SQUAT.replace("B社区", "A社区")), user="root")
    assert communities(store)[0] == ("A", "A社区", "花溪街道", 2000)


def test_a_director_cannot_undo_an_admins_move_of_her_community(store, tmp_path):
    moved = import_file(store, "communities", write(tmp_path / "admin.csv", SQUAT.replace("B社区", "A社区")), user="root")
    with pytest.raises(UserError) as refused:
        undo(store, moved.import_id, user="dir_a", allowed_communities=("A",))
    assert refused.value.message("zh") == (
        f"撤销第 {moved.import_id} 次导入会改动社区名单中决定查看范围的内容（社区 A 的所属街道“花溪街道”→“金桥街道”）。"
        "社区的编号、名称和所属街道只能由管理员修改，请管理员撤销。")
    assert communities(store)[0] == ("A", "A社区", "花溪街道", 2000)
    assert rows(store, "SELECT status FROM imports WHERE import_id = ?", [moved.import_id]) == [("applied",)]
    own = director_imports(store, tmp_path, "community_id,name,street,households,lat,lon\n"
                                            "A,A社区,花溪街道,2100,26.57,106.71\n")
    undo(store, own.import_id, user="dir_a", allowed_communities=("A",))     # her own: nothing of scope moves
    assert communities(store)[0] == ("A", "A社区", "花溪街道", 2000)
    undo(store, moved.import_id, user="root")                                # an admin may
    assert communities(store)[0] == ("A", "A社区", "金桥街道", 2000)
