"""What every `linli` command shares: the database it works on, the language it answers in, who runs it,
the question it asks before it destroys something, and the one guard of every file it writes."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from pipelines.database import default_path
from pipelines.errors import UserError, safe_text, ui_lang  # ui_lang: the commands' language, from here with their --db


def say(zh: str, en: str) -> str:
    """A help text in the commands' language (LINLI_LANG=en for English), as their messages are."""
    return en if ui_lang() == "en" else zh


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None and ui_lang() == "zh" else prefix)


class Parser(argparse.ArgumentParser):
    """argparse in the commands' language, its own words too (用法, 参数, 选项); every `linli` sub-command's
    parser is one (add_subparsers makes its parsers of the parent's class)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        if ui_lang() == "zh":
            self._positionals.title = "参数"
            self._optionals.title = "选项"
            for action in self._actions:
                if isinstance(action, argparse._HelpAction):
                    action.help = "显示这段说明并退出"


def db_path(args) -> Path:
    """--db, else LINLI_DB, else data/linli.duckdb (SPEC §2)."""
    return Path(args.db) if args.db else default_path()


def os_user() -> str:
    """The account the command runs under, as the audit trail names it ("os:root"): the command line is
    full database access, so its changes say whose shell made them. The password database, not $USER,
    which any caller sets."""
    try:
        import pwd
        name = pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        import getpass
        try:
            name = getpass.getuser()
        except OSError:
            name = str(os.geteuid()) if hasattr(os, "geteuid") else "?"
    return "os:" + safe_text(name)[:60]


# ---- asking before destroying ------------------------------------------------------------------------

def confirm(zh: str, en: str, *, yes: bool, stdin=None, stderr=None) -> None:
    """Ask y/N on a terminal; `--yes` answers for scripts. Without a terminal and without --yes the
    command refuses (exit 1): a script that never expected the question must not be taken as a yes."""
    if yes:
        return
    stdin, stderr = stdin or sys.stdin, stderr or sys.stderr
    lang = ui_lang()
    if not stdin.isatty():
        raise UserError(f"{zh}\n没有终端可以确认，什么也没有改动。确实要这样做，请加 --yes 重新运行。",
                        f"{en}\nThere is no terminal to confirm on; nothing changed. If you mean it, run it again with --yes.")
    print((zh + " 继续吗？[y/N] ") if lang == "zh" else (en + " Continue? [y/N] "), end="", file=stderr, flush=True)
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes", "是"):
        raise UserError("已取消，什么也没有改动。", "Cancelled; nothing changed.")


# ---- writing a file ---------------------------------------------------------------------------------

class OutputRefused(Exception):
    """A file a command would write names something it must not replace (exit status 2)."""

    def __init__(self, path: Path, zh: str, en: str, fix_zh: str, fix_en: str):
        shown = safe_text(str(path))
        self.zh = f"不会写入《{shown}》：{zh}。没有写入任何内容。{fix_zh}"
        self.en = f"Will not write '{shown}': {en}. Nothing was written. {fix_en}"
        super().__init__(self.en)

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


def _is_xlsx(path: Path, head: bytes) -> bool:
    if not head.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.startswith("xl/") for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


# kind -> whether an existing file (its path, its first bytes, the bytes about to replace it) is one of them
KINDS = {
    "xlsx": lambda path, head, new: _is_xlsx(path, head),
    "pdf": lambda path, head, new: head.startswith(b"%PDF-"),
    "png": lambda path, head, new: head.startswith(b"\x89PNG\r\n\x1a\n"),
    # a demo CSV replaces only the same demo file: text whose first line (its title or header) is the same
    "csv": lambda path, head, new: b"\0" not in head and head.split(b"\n", 1)[0] == new.split(b"\n", 1)[0],
}
KIND_WORDS = {"xlsx": ("Excel 工作簿", "Excel workbook"), "pdf": ("PDF 文件", "PDF file"), "png": ("PNG 图片", "PNG image"),
              "csv": ("同名的演示文件", "the same demo file")}


class Outputs:
    """Every file a command writes passes here. Never onto the store, its WAL, its snapshots, its saved
    profiles or the person key (not even with --force: no brief is worth the database), never over a
    file of another kind unless --force, and always whole: a temporary file in the same folder,
    owner-only, renamed over the name at the end."""

    def __init__(self, db: Path, force: bool = False):
        from pipelines.build.runner import serving_dir
        from pipelines.ingest.profiles import user_dir
        from pipelines.personal import key_path
        self.force = force
        store = Path(db).resolve()
        self.files = {store: ("Linli 的数据库", "the Linli database"),
                      store.with_name(store.name + ".wal"): ("Linli 数据库的日志文件（.wal）", "the Linli database's log (.wal)"),
                      key_path().resolve(): ("个人信息密钥文件", "the personal-data key file")}
        self.folders = {serving_dir(store).resolve(): ("看板快照文件夹", "the dashboard's snapshot folder"),
                        user_dir(store).resolve(): ("导入档案文件夹", "the import profiles folder")}

    def _protected(self, target: Path) -> tuple[str, str] | None:
        for path, words in self.files.items():
            if target == path:
                return words
            with contextlib.suppress(OSError):     # a hard link or another spelling of the same file
                if target.exists() and path.exists() and os.path.samefile(target, path):
                    return words
        for folder, words in self.folders.items():
            if target == folder or target.is_relative_to(folder):
                return words
        return None

    def check_folder(self, folder: str | Path) -> Path:
        """A folder a command writes several files into: not one of Linli's own."""
        target = Path(folder).resolve()
        words = self._protected(target)
        if words:
            raise OutputRefused(target, f"它是{words[0]}", f"it is {words[1]}",
                                "请换一个文件夹。", "Choose another folder.")
        return target

    def check(self, path: str | Path, kind: str, new: bytes = b"") -> Path:
        """The path the bytes will really land on (symlinks followed), or OutputRefused."""
        asked = Path(path)
        target = asked.resolve()
        words = self._protected(target)
        if words:
            # "through a link" only when one was followed: a relative path (../linli.duckdb) is none
            linked = target != Path(os.path.abspath(asked))
            via = f"（经链接指向《{safe_text(str(target))}》）" if linked else ""
            via_en = f" (a link to '{safe_text(str(target))}')" if linked else ""
            raise OutputRefused(asked, f"它是{words[0]}{via}，写入会毁掉它", f"it is {words[1]}{via_en}; writing would destroy it",
                                "请换一个输出文件名。", "Choose another output file name.")
        if target.is_dir():
            raise OutputRefused(asked, "这是一个文件夹", "it is a folder", "请写出文件名，例如 简报.xlsx。",
                                "Give a file name, e.g. brief.xlsx.")
        if target.exists() and target.stat().st_size > 0:
            with target.open("rb") as f:
                head = f.read(8192)
            if head[8:12] == b"DUCK":
                raise OutputRefused(asked, "它是一个 DuckDB 数据库，写入会毁掉它", "it is a DuckDB database; writing would destroy it",
                                    "请换一个输出文件名。", "Choose another output file name.")
            if not self.force and not KINDS[kind](target, head, new):
                what = KIND_WORDS[kind]
                raise OutputRefused(asked, f"这个文件已经存在，而且不是{what[0]}，写入会替换掉它",
                                    f"the file exists and is not {what[1]}; writing would replace it",
                                    "请换一个输出文件名；确实要替换它，请加 --force。",
                                    "Choose another output name, or add --force to replace it.")
        return target

    def write(self, path: str | Path, data: bytes, kind: str) -> Path:
        target = self.check(path, kind, data)
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")  # 0600
        except OSError as exc:
            raise _cannot_write(asked=path, exc=exc) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)   # never a half-written file under the asked name
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise _cannot_write(asked=path, exc=exc) from None
        return target


def _cannot_write(asked, exc: OSError) -> UserError:
    from pipelines.present.i18n import t
    reason = exc.strerror or str(exc)
    return UserError(t("brief.err.write", "zh", path=safe_text(str(asked)), reason=reason),
                     t("brief.err.write", "en", path=safe_text(str(asked)), reason=reason))
