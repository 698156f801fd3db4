"""The one access policy (pipelines/records/access.py): the table as the group agreed it, role by action;
the communities each account may write to; and that every write path and every form of the dashboard
asks the policy (a walk of the code), naming only actions the table holds."""
from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from pipelines.records import access
from pipelines.records.access import OPEN, NotAllowed, may, require, writable_communities
from pipelines.records.users import Account

ROOT = Path(__file__).resolve().parents[2]
ROLES = (OPEN, "admin", "director", "member", "official")
# action -> (open, admin, director, member, official): who may, written out by hand.
# alert_rules: the director's and an admin's (SPEC §9), settled by issue 15 item 9; members read them.
EXPECTED = {
    "pages":       (True, True, True, True, True),
    "street":      (True, True, False, False, True),
    "audit":       (True, True, True, False, False),
    "coop_books":  (True, True, True, False, False),   # issue 20: members and officials read the fund's ledger only
    "import":      (True, True, True, False, False),
    "actions":     (True, True, True, True, False),
    "cases":       (True, True, True, True, False),
    "feedback":    (True, True, True, True, False),
    "alert_rules": (True, True, True, False, False),
    "coop_split":  (True, True, True, False, False),   # issue 20: the split is money paid out, the director's
    "reports":     (True, True, True, False, False),   # issue 19: the report sent upward is the director's
    "community_events": (True, True, True, False, False),   # issue 19: the events forecasts read, like the rules
}
STAMP = dt.datetime(2025, 6, 1)
ACCOUNTS = {
    "admin": Account("root", "admin", None, None, STAMP),
    "director": Account("dir_a", "director", "A", None, STAMP),
    "member": Account("mem_b", "member", "B", None, STAMP),
    "official": Account("off_j", "official", None, "金桥街道", STAMP),
}


def test_the_table_holds_exactly_the_agreed_actions():
    assert set(access.ACCESS) == set(EXPECTED)
    assert set(access.ACTION_WORDS) == set(EXPECTED)       # every refusal can name its action
    assert access.EVERYONE == set(ROLES)


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("i, role", list(enumerate(ROLES)))
def test_each_role_may_exactly_what_the_table_says(action, i, role):
    assert may(role, action) is EXPECTED[action][i]


def test_an_unknown_action_is_a_bug_not_a_refusal():
    with pytest.raises(KeyError, match="no access rule for the action 'rules'"):
        may("admin", "rules")


def test_the_communities_each_account_may_write_to():
    # the open demo and an admin: any; a director or member: its own; an official: none
    assert writable_communities(None, "import") is None
    assert writable_communities(ACCOUNTS["admin"], "feedback") is None
    assert writable_communities(ACCOUNTS["director"], "import") == ("A",)
    assert writable_communities(ACCOUNTS["member"], "actions") == ("B",)
    assert writable_communities(ACCOUNTS["member"], "import") == ()        # members import nothing
    assert writable_communities(ACCOUNTS["official"], "actions") == ()
    assert writable_communities(Account("x", "director", None, None, STAMP), "import") == ()   # no community: none


def test_require_refuses_a_role_and_a_foreign_community_in_both_languages():
    require(None, "alert_rules", "A")
    require(ACCOUNTS["admin"], "import", "B")
    require(ACCOUNTS["director"], "alert_rules", "A")
    with pytest.raises(NotAllowed) as refused:
        require(ACCOUNTS["official"], "actions", "A")
    assert refused.value.message("zh") == "这个账号（official）不能修改整改事项（社区 A），没有保存任何改动。"
    assert refused.value.message("en") == "this account (official) may not change action items for community A; nothing was saved."
    with pytest.raises(NotAllowed, match="for community A"):
        require(ACCOUNTS["member"], "cases", "A")
    with pytest.raises(NotAllowed):
        require(ACCOUNTS["member"], "import")
    with pytest.raises(NotAllowed, match="may not change alert rules for community B"):
        require(ACCOUNTS["member"], "alert_rules", "B")


# ---- the walk: every form and every write of the dashboard asks the policy --------------------------

POLICY_CALLS = {"can", "may", "roles_for", "writable", "writable_communities", "require", "may_write"}
# what writes the store from the dashboard: the write layer in queries.py and the import path
WRITES = {"save_governance", "save_alert_rule", "run_import", "undo_import", "import_file", "undo", "set_rule",
          "reset_rule", "set_rules", "writing", "transaction"}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _asks_policy(tree: ast.AST) -> bool:
    return any(_name(c.func) in POLICY_CALLS for c in _calls(tree))


def _dashboard_modules() -> dict[str, ast.Module]:
    return {str(p.relative_to(ROOT)): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "dashboard").rglob("*.py"))}


def _actions_named(tree: ast.AST) -> set[str]:
    """Action names given to the policy: literal arguments of its calls, and the values assigned to a
    variable named `action` (a write that works out its action first, as queries.save_governance does)."""
    found = set()
    for call in _calls(tree):
        if _name(call.func) in POLICY_CALLS:
            found |= {a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "action" for t in node.targets):
            found |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)
                      and c.value in access.ACCESS}
    return found


def test_every_action_the_code_names_is_in_the_table_and_every_row_is_used():
    named = set()
    for path in [*sorted((ROOT / "dashboard").rglob("*.py")), *sorted((ROOT / "pipelines").rglob("*.py"))]:
        if path.name == "access.py":
            continue
        named |= _actions_named(ast.parse(path.read_text(encoding="utf-8")))
    assert named - set(access.ACCESS) == set(), "an action the policy does not know"
    assert set(access.ACCESS) - named == set(), "a row nothing reads (as CAN['rules'] was)"


def _passed_on(value: ast.AST, around: list[ast.FunctionDef]) -> bool:
    """`allowed_communities` handed on unchanged by a write that is itself in WRITES (dashboard/imports.py
    run_import): its own callers are checked to give it what the policy allows."""
    if not (isinstance(value, ast.Name) and around and around[-1].name in WRITES):
        return False
    f = around[-1]
    return value.id in {a.arg for a in [*f.args.args, *f.args.kwonlyargs]}


def test_every_write_from_the_dashboard_asks_the_policy():
    """A write is guarded when the function making it asks the policy itself, or hands the import path the
    communities the policy allows (allowed_communities=...), or calls a guarded write of queries.py."""
    modules = _dashboard_modules()
    guarded = {f.name for f in ast.walk(modules["dashboard/queries.py"]) if isinstance(f, ast.FunctionDef)
               and any(_name(c.func) in WRITES for c in _calls(f)) and _asks_policy(f)}
    assert {"save_governance", "save_alert_rule"} <= guarded
    unguarded = []
    for path, tree in modules.items():
        functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)]
        for call in _calls(tree):
            if _name(call.func) not in WRITES or _name(call.func) in guarded:
                continue
            around = [f for f in functions if f.lineno <= call.lineno <= (f.end_lineno or f.lineno)]
            scoped = any(k.arg == "allowed_communities" and (_asks_policy(k.value) or _passed_on(k.value, around))
                         for k in call.keywords)
            if not scoped and not (around and _asks_policy(around[-1])):
                unguarded.append(f"{path}:{call.lineno} {_name(call.func)}")
    assert unguarded == []


def test_the_navigation_and_the_forms_ask_the_policy():
    modules = _dashboard_modules()
    app = _actions_named(modules["dashboard/app.py"])
    assert {"pages", "street", "import", "audit"} <= app
    forms = {"dashboard/parts/actions_panel.py": {"actions"}, "dashboard/parts/case_detail.py": {"cases"},
             "dashboard/screens/cases.py": {"cases"}, "dashboard/parts/feedback_round.py": {"feedback"},
             "dashboard/parts/alert_rules_editor.py": {"alert_rules"}, "dashboard/screens/data_import.py": {"import"},
             "dashboard/screens/audit.py": {"audit"}}
    for path, actions in forms.items():
        assert actions <= _actions_named(modules[path]), path
    # no role test of its own anywhere in the dashboard: a role's name is read only by the policy
    for path, tree in modules.items():
        compared = [c for c in ast.walk(tree) if isinstance(c, ast.Compare)
                    and any(isinstance(x, ast.Constant) and x.value in access.EVERYONE
                            for x in [c.left, *c.comparators])]
        # queries.sees_everything: who reads every community (the read scope, SPEC §9), not a write
        assert compared == [] or path == "dashboard/queries.py", path
