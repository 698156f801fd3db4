"""Who may do what (SPEC §9), written once: the navigation, every form and every write ask here.

`ACCESS` maps an action to the roles that may take it; `may` answers for a role and
`writable_communities` for an account (which communities a write may touch). The open demo
(no account configured) is the role `OPEN`. The command line is not in this table: whoever
runs `linli` runs it on the store's own machine, as its owner.

To change who may do something, change its row here; the pages, the forms and the writers
follow (tests/pipelines/test_access_policy.py holds the table as the group agreed it).
"""
from __future__ import annotations

from pipelines.errors import UserError
from pipelines.records.users import ROLES, Account

OPEN = "open"          # the role of every viewer while no account exists (the demo)
EVERYONE = frozenset({OPEN, *ROLES})
COMMUNITY_STAFF = frozenset({OPEN, "admin", "director", "member"})

ACCESS: dict[str, frozenset[str]] = {
    # pages: a page left out of a role's navigation cannot be opened by its URL either (dashboard/app.py)
    "pages": EVERYONE,                                      # the data pages, the checks, cases, glossary
    "street": frozenset({OPEN, "admin", "official"}),       # 街道对比: needs more than one community in scope
    "audit": frozenset({OPEN, "admin", "director"}),        # 操作记录: a director her community's, an admin all
    # 合作社: the books (each producer's earnings, each seller's rent, the reconciliation) are the director's;
    # the public fund's ledger is on "pages", open to every role of the community (issue 20)
    "coop_books": frozenset({OPEN, "admin", "director"}),
    # writes
    "import": frozenset({OPEN, "admin", "director"}),       # 数据导入: imports, undo, the quarantine
    "actions": COMMUNITY_STAFF,                             # 整改事项: add, change status
    "cases": COMMUNITY_STAFF,                               # 协商议题: open, move on, parties, meetings …
    "feedback": COMMUNITY_STAFF,                            # the monthly feedback round entered by hand
    # 提醒规则: settled by the trust issue (15, item 9) as SPEC §9 has it, rules are the director's (and an
    # admin's): a rule decides what every colleague is alerted to, so a member reads them and does not
    # change them. pipelines/records/alert_rules.py asks this row on every write, not only the editor.
    "alert_rules": frozenset({OPEN, "admin", "director"}),
    # 合作社分配比例: money paid out to producers and the fund, decided by the committee (issue 20)
    "coop_split": frozenset({OPEN, "admin", "director"}),
    # 报告草稿: the report sent upward in the community's name is the director's to save and mark sent (issue 19);
    # who reads it follows SEES (the community's roles, the street's officials)
    "reports": frozenset({OPEN, "admin", "director"}),
    # a community's own events the forecasts read (a market day, a renovation; issue 19): like its rules
    "community_events": frozenset({OPEN, "admin", "director"}),
}
# Roles whose writes may touch any community; every other role writes to its own community alone.
ANY_COMMUNITY = frozenset({OPEN, "admin"})
# What each role reads (SPEC §9): "all" communities, those of its "street" office, or its one "community".
SEES = {OPEN: "all", **{role: kind or "all" for role, kind in ROLES.items()}}


# What each action is called in a refusal.
ACTION_WORDS = {
    "pages": ("查看页面", "read the pages"), "street": ("街道对比", "compare the street's communities"),
    "audit": ("查看操作记录", "read the audit trail"), "import": ("导入或撤销数据", "import or undo data"),
    "coop_books": ("查看合作社账目", "read the cooperative's books"),
    "actions": ("修改整改事项", "change action items"), "cases": ("修改协商议题", "change consultation cases"),
    "feedback": ("录入居民回访", "enter the feedback round"), "alert_rules": ("修改提醒规则", "change alert rules"),
    "coop_split": ("修改合作社分配比例", "change the cooperative's split"),
    "reports": ("保存或发送社区报告", "save or send the community's report"),
    "community_events": ("修改社区活动", "change the community's events"),
}


class NotAllowed(UserError):
    """A write the viewer's role may not make, or to a community outside what it may write. Nothing is written."""

    def __init__(self, action: str, role: str, community: str | None = None):
        zh, en = ACTION_WORDS[action]
        where_zh = f"（社区 {community}）" if community else ""
        where_en = f" for community {community}" if community else ""
        super().__init__(f"这个账号（{role}）不能{zh}{where_zh}，没有保存任何改动。",
                         f"this account ({role}) may not {en}{where_en}; nothing was saved.")


def _known(action: str) -> frozenset[str]:
    try:
        return ACCESS[action]
    except KeyError:   # a misspelt action must not read as "nobody may": it is a bug, said loudly
        raise KeyError(f"no access rule for the action {action!r}; add it to pipelines/records/access.py") from None


def role_of(account: Account | None) -> str:
    return OPEN if account is None else account.role


def may(role: str, action: str) -> bool:
    return role in _known(action)


def roles_for(action: str) -> frozenset[str]:
    """The roles that may take `action` (the navigation's page lists)."""
    return _known(action)


def sees(account: Account | None) -> str:
    """"all", "street" or "community": what the account reads; an unknown role reads nothing ("none")."""
    return SEES.get(role_of(account), "none")


def writable_communities(account: Account | None, action: str) -> tuple[str, ...] | None:
    """The communities `account` may write to by `action`: None for any (an admin, the open demo), its own
    community otherwise, and none at all when its role may not take the action."""
    role = role_of(account)
    if not may(role, action):
        return ()
    if role in ANY_COMMUNITY:
        return None
    return (account.community_id,) if account.community_id else ()


def require(account: Account | None, action: str, community: str | None = None) -> None:
    """Raise NotAllowed unless `account` may take `action` (on `community`, when the write names one)."""
    role = role_of(account)
    if not may(role, action):
        raise NotAllowed(action, role, community)
    allowed = writable_communities(account, action)
    if community is not None and allowed is not None and community not in allowed:
        raise NotAllowed(action, role, community)
