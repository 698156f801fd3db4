"""`linli users add|passwd|remove|list`: accounts and roles from the command line (SPEC §9)."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

from pipelines.cli.common import confirm, db_path, say, ui_lang
from pipelines.database import connect
from pipelines.errors import UserError
from pipelines.present.i18n import label
from pipelines.records.users import _existing, add, check_name, check_role, list_accounts, normal_name, passwd, remove


def read_password(lang: str, stdin=None) -> str:
    """One line from standard input when it is not a terminal (scripts); else asked twice, unseen."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        line = stdin.readline()
        if not line.strip():
            raise UserError("标准输入里没有密码：请在第一行写入密码，例如 echo '密码' | linli users add …",
                            "no password on standard input: write it as the first line, e.g. echo 'PASSWORD' | linli users add …")
        return line.rstrip("\r\n")
    first = getpass.getpass("密码：" if lang == "zh" else "Password: ")
    again = getpass.getpass("再输入一次密码：" if lang == "zh" else "Password again: ")
    if first != again:
        raise UserError("两次输入的密码不一致，没有做任何改动。请重新运行。", "the two passwords differ; nothing changed. Run it again.")
    return first


def cmd_add(args, db_path: Path) -> int:
    lang = ui_lang()
    check_name(args.name)     # before the password is asked for
    check_role(args.role)
    account = add(db_path, args.name, args.role, read_password(lang), community=args.community, street=args.street)
    print(f"已添加账号 {account.describe('zh')}。" if lang == "zh" else f"Added the account {account.describe('en')}.")
    return 0


def cmd_passwd(args, db_path: Path) -> int:
    lang = ui_lang()
    con = connect(db_path)     # the name is checked before the password is asked for
    try:
        name = _existing(con, args.name)
    finally:
        con.close()
    passwd(db_path, name, read_password(lang))
    print(f"已为 {name} 设置新密码；用旧密码打开的页面需要重新登录。" if lang == "zh"
          else f"New password set for {name}; sessions opened with the old one must log in again.")
    return 0


def cmd_remove(args, db_path: Path) -> int:
    lang = ui_lang()
    name = normal_name(args.name)
    accounts = list_accounts(db_path)
    if any(a.name == name for a in accounts):     # an unknown name is refused by remove() below, unasked
        admins = [a.name for a in accounts if a.role == "admin"]
        if len(accounts) == 1:
            confirm(f"{name} 是最后一个账号。删除后看板不再需要登录，以演示模式对所有人开放（能看到所有社区和操作记录）。",
                    f"{name} is the last account. Without it the dashboard needs no login and is open to everyone "
                    "as a demo (every community, the audit trail).", yes=args.yes)
        elif admins == [name]:
            confirm(f"{name} 是最后一个管理员。删除后没有人能在看板上管理全部社区和查看全部操作记录，"
                    "只能在命令行用 linli users add … --role admin 再添加。",
                    f"{name} is the last admin. Without it nobody can manage every community or read the whole audit "
                    "trail on the dashboard until an admin is added again with linli users add … --role admin.",
                    yes=args.yes)
    left = remove(db_path, args.name)
    print(f"已删除账号 {name}。" if lang == "zh" else f"Removed the account {name}.")
    if left == 0:
        print("注意：已经没有任何账号，看板现在不需要登录，以演示模式对所有人开放。" if lang == "zh"
              else "Note: no account is left, so the dashboard is open to everyone again (demo mode).", file=sys.stderr)
    return 0


def cmd_list(args, db_path: Path) -> int:
    lang = ui_lang()
    accounts = list_accounts(db_path)
    if not accounts:
        print("还没有任何账号：看板以演示模式开放。" if lang == "zh" else "No accounts yet: the dashboard runs open as a demo.")
        return 0
    print("\t".join(["用户名", "角色", "范围", "修改时间"] if lang == "zh" else ["name", "role", "scope", "changed"]))
    for a in accounts:
        role = label("users.role", a.role, lang)
        scope = a.community_id or a.street or ("全部" if lang == "zh" else "all")
        print(f"{a.name}\t{role}\t{scope}\t{a.changed_at:%Y-%m-%d %H:%M}")
    return 0


def add_cli(sub) -> None:
    """Registers `linli users add|passwd|remove|list`."""
    users = sub.add_parser("users", help=say("账号与角色：添加、改密码、删除、列出（SPEC §9）",
                                              "accounts and roles: add, change password, remove, list (SPEC §9)"))
    verbs = users.add_subparsers(dest="users_command", required=True)
    a = verbs.add_parser("add", help=say("添加账号；密码从标准输入读取，或在终端上询问",
                                          "add an account; the password is read from standard input or asked for"))
    a.add_argument("name", help=say("登录名，例如 wang_a 或 王主任", "the login name, e.g. wang_a"))
    a.add_argument("--role", required=True, help=say("director（社区主任）、member（社区工作人员）、official（街道干部）或 admin（管理员）",
                                                     "director, member, official or admin"))
    where = a.add_mutually_exclusive_group()
    where.add_argument("--community", help=say("社区编号，例如 A（社区主任、社区工作人员）", "the community id (director, member)"))
    where.add_argument("--street", help=say("街道名称，例如 金桥街道（街道干部）", "the street office's name (official)"))
    a.set_defaults(func=lambda args: cmd_add(args, db_path(args)))
    p = verbs.add_parser("passwd", help=say("设置新密码（用旧密码登录的会话随即失效）",
                                             "set a new password (sessions opened with the old one end)"))
    p.add_argument("name", help=say("登录名", "the login name"))
    p.set_defaults(func=lambda args: cmd_passwd(args, db_path(args)))
    r = verbs.add_parser("remove", help=say("删除账号", "remove an account"))
    r.add_argument("name", help=say("登录名", "the login name"))
    r.add_argument("--yes", action="store_true", help=say("删除最后一个账号或最后一个管理员时不再询问",
                                                           "remove the last account or the last admin without asking"))
    r.set_defaults(func=lambda args: cmd_remove(args, db_path(args)))
    verbs.add_parser("list", help=say("列出所有账号", "list the accounts")).set_defaults(func=lambda args: cmd_list(args, db_path(args)))
