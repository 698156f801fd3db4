"""Personal data (SPEC §3): recognised by header and by value, never written to disk as it came.

- Free text: a mobile or ID-card number inside it is masked (138****8000).
- Id columns: a value holding such a number becomes a keyed hash, so ids stay distinct and a
  re-import of the same file matches.
- Person ids (`participant_id`, `person_id`): where missing or themselves a phone/ID number, a
  keyed hash of the person's identifiers. A row carrying an ID number and a phone links the two
  (table `person_links`, hashes only), so a later file with either gives the same id.

The key is 32 random bytes, hex in a file outside the repository (LINLI_KEY_FILE, else
~/.config/linli/person.key), owner-only. The database remembers the key's fingerprint: a lost
or different key is refused, never silently replaced (that would give everyone new ids).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from pipelines import masking
from pipelines.errors import FileRefused, safe_text

# The masker and the one definition of a phone or ID-card number behind it live in pipelines/masking.py
# (errors.safe_text masks too, and this module needs errors); callers reach them here, with the rest.
mask, mask_text, contains_personal = masking.mask, masking.mask_text, masking.contains_personal
holds_personal_value, is_bare_identifier = masking.holds_personal_value, masking.is_bare_identifier
is_identifier, mask_where_held = masking.is_identifier, masking.mask_where_held

MIN_KEY_BYTES = 16
_FULLWIDTH = {ord(f): ord(h) for f, h in zip("０１２３４５６７８９Ｘｘ＋－　（）", "0123456789Xx+- ()")}

# Identity, not masking: a personal column's value reduced to its digits (separators and +86 gone) names one person.
BARE_PHONE = re.compile(r"(?:(?:\+|00)?86)?(1[3-9]\d{9})")
BARE_IDCARD = re.compile(r"\d{17}[\dX]")


def key_path() -> Path:
    env = os.environ.get("LINLI_KEY_FILE")
    if env:
        return Path(env)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")   # the user's configuration folder
    return Path(config) / "linli" / "person.key"


class KeyRefused(FileRefused):
    """The person key cannot be used: nothing is imported (exit 2)."""

    def __init__(self, path: Path, zh: str, en: str):
        super().__init__(str(path), zh, en)
        self.zh = f"个人信息密钥文件《{path}》不可用，本次没有导入任何数据：{zh}"
        self.en = f"The personal-data key file '{path}' cannot be used; nothing was imported: {en}"
        self.args = (self.en,)


def _refuse(path: Path, zh: str, en: str) -> KeyRefused:
    return KeyRefused(path, zh, en)


def read_key(path: Path) -> bytes:
    try:
        info = path.stat()
        text = path.read_bytes()
    except IsADirectoryError:
        raise _refuse(path, "这是一个文件夹，不是密钥文件。请让 LINLI_KEY_FILE 指向密钥文件本身。",
                      "it is a folder, not a key file. Point LINLI_KEY_FILE at the key file itself.") from None
    except PermissionError:
        raise _refuse(path, "没有读取权限。请用创建它的同一个系统用户运行 Linli。",
                      "it cannot be read (permission denied). Run Linli as the user who made it.") from None
    except OSError as exc:
        raise _refuse(path, f"无法读取（{exc.strerror}）。", f"it cannot be read ({exc.strerror}).") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise _refuse(path, f"其他用户也能读取这个文件。请运行 chmod 600 {path} 后重试。",
                      f"other users can read it. Run chmod 600 {path} and try again.")
    if not text.strip():
        raise _refuse(path, "文件是空的。请从备份恢复原来的密钥文件；若这是全新的数据库，删除这个空文件即可自动生成新密钥。",
                      "the file is empty. Restore the original key file from a backup; for a brand-new database, "
                      "delete the empty file and a new key is made.")
    try:
        key = bytes.fromhex(text.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise _refuse(path, "文件内容不是十六进制密钥。请恢复原来的密钥文件。",
                      "its content is not a hexadecimal key. Restore the original key file.") from None
    if len(key) < MIN_KEY_BYTES:
        raise _refuse(path, f"密钥太短（{len(key)} 字节，至少 {MIN_KEY_BYTES} 字节）。请恢复原来的密钥文件。",
                      f"the key is too short ({len(key)} bytes, at least {MIN_KEY_BYTES}). Restore the original key file.")
    return key


def create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


def fingerprint(key: bytes) -> str:
    return hmac.new(key, b"linli key fingerprint", hashlib.sha256).hexdigest()[:32]


def key_for_store(remembered: str | None) -> tuple[bytes, str]:
    """The key, checked against the fingerprint the database remembers (None: a store that never used one)."""
    path = key_path()
    if not path.exists():
        if remembered:
            raise _refuse(path, f"找不到密钥文件 {path}，而这个数据库已用一把密钥生成过居民编号。"
                                "请从备份恢复该文件（或用 LINLI_KEY_FILE 指向它）；新建密钥会让所有人的编号都变掉。",
                          f"there is no key file at {path}, and this database already made person ids with a key. "
                          "Restore it from a backup (or point LINLI_KEY_FILE at it); a new key would change everyone's id.")
        key = create_key(path)
    else:
        key = read_key(path)
    if remembered and fingerprint(key) != remembered:
        raise _refuse(path, f"密钥文件 {path} 不是这个数据库使用的那一把。请换回原来的密钥文件。",
                      f"the key file {path} is not the one this database uses. Put the original key file back.")
    return key, fingerprint(key)


# ---- recognising personal data ------------------------------------------------------------

def normalise_identifier(kind: str, value: str) -> str | None:
    """Digits normalised (full-width, spaces, dashes, +86); None when the value is no identifier of that kind."""
    v = re.sub(r"[\s.\-()（）]", "", value.translate(_FULLWIDTH)).upper()
    if not v:
        return None
    if kind == "idcard":
        return v if BARE_IDCARD.fullmatch(v) else (v if len(v) >= 6 else None)
    if kind == "phone":
        m = BARE_PHONE.fullmatch(v)
        return m.group(1) if m else (v if len(v) >= 5 else None)
    return value.strip() or None


def identifier_in(value: str) -> tuple[str, str]:
    """The ID-card or phone number a value holds (张三13800138000 -> phone 13800138000)."""
    v = re.sub(r"[\s.\-()（）]", "", value.translate(_FULLWIDTH)).upper()
    if m := re.search(r"(?<!\d)" + BARE_IDCARD.pattern + r"(?!\d)", v):
        return "idcard", m.group(0)
    if m := re.search(r"(?<!\d)" + BARE_PHONE.pattern + r"(?!\d)", v):
        return "phone", m.group(1)
    return "name", value.strip()


@dataclass
class Hasher:
    key: bytes

    def digest(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def token(self, value: str) -> str:
        """An id column's personal value, replaced: distinct values stay distinct, re-imports match."""
        return "H" + self.digest("id:" + re.sub(r"[\s\-]", "", value.translate(_FULLWIDTH)).upper())[:16]


def person_triples(hasher: Hasher, identifiers: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """A row's identifiers as (kind, link hash, the id it would give a new person): all that linking
    needs, so a replay after an undo works from the stored row without the identifiers themselves.
    A new person's id is the one earlier Linli versions gave (hash of the identifier)."""
    return [(kind, hasher.digest(f"link:{kind}:{v}"), "P" + hasher.digest(v)[:16]) for kind, v in identifiers]


def assign_person_ids(rows: list[list[tuple[str, str, str]]], known: dict[str, str],
                      with_idcard: set[str]) -> tuple[list[str | None], dict[str, tuple[str, str]]]:
    """One person id per row from its triples (strongest identifier first).

    `known` maps link hashes to person ids; `with_idcard` holds the ids an ID-card number is linked
    to (both are updated in place). An ID-card number is one person: it takes the id its phone
    already has only when that id belongs to no other ID-card number (two people sharing a phone
    stay two). A phone alone takes its linked id. Names are never linked: two people may share one.
    Rows with two identifiers go first, so row order within a file does not matter.
    Returns the ids and the new links (hash -> (person id, kind)).
    """
    links: dict[str, tuple[str, str]] = {}
    order = sorted(range(len(rows)), key=lambda i: -sum(k != "name" for k, _, _ in rows[i]))
    out: list[str | None] = [None] * len(rows)
    for i in order:
        row = rows[i]
        cards = [(h, own) for k, h, own in row if k == "idcard"]
        phones = [(h, own) for k, h, own in row if k == "phone"]
        if cards:
            pid = known.get(cards[0][0])
            if pid is None:
                by_phone = next((known[h] for h, _ in phones if h in known), None)
                pid = by_phone if by_phone and by_phone not in with_idcard else cards[0][1]
                links[cards[0][0]] = (pid, "idcard")
                known[cards[0][0]] = pid
                with_idcard.add(pid)
        elif phones:
            pid = next((known[h] for h, _ in phones if h in known), None) or phones[0][1]
        elif row:
            pid = row[0][2]
        else:
            continue
        for h, _ in phones:
            if h not in known:
                known[h] = pid
                links[h] = (pid, "phone")
        out[i] = pid
    return out, links


def personal_safe_name(text: str) -> str:
    """A file name or other single text fit to show or store: errors.safe_text (which masks with mask_text)."""
    return safe_text(text)

