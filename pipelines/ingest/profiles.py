"""Import profiles: how one export's columns, values and dates become a feed's (README "导入你自己的数据").

A profile is a small TOML file. Shipped ones live in pipelines/ingest/profiles/, those a user saves from
the import page in a `profiles/` folder next to the database. A profile is applied to the sheet as
read (headers and text cells) before Linli's own header matching, so everything after it — personal
data rules, validation, quarantine — runs exactly as for any other file.

A saved profile belongs to a community (`community`: the director's, or the constant community it
writes) and is offered and chosen only for that community's imports; one with a constant community
applies only to that community, shipped ones included. An admin's or the command line's import
picks by headers only profiles that belong to no community; it may still name any by `--profile`.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl
import tomli_w

from pipelines import personal
from pipelines.errors import UserError, ui_lang
from pipelines.feeds import DATE, FEEDS, TIMESTAMP, resolve_kind
from pipelines.ingest import parse
from pipelines.ingest.headers import normalize_header

SHIPPED = Path(__file__).resolve().parent / "profiles"
ROWNUM = "_xlsx_row"      # the reader's row-number column: a filtered or grouped sheet keeps its rows' numbers
ANY = "*"
KNOWN_KEYS = {"name", "label", "kind", "headers", "columns", "combine", "multiply", "values", "constants",
              "date_format", "year", "skip_rows", "filter", "nulls", "drop", "absolute", "lines", "separator",
              "community", "saved_by"}
GLOB = "*?"                # the pattern characters of `filter` and `values` keys; everything else is literal
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    name: str
    kind: str
    label: str = ""
    headers: tuple[str, ...] = ()                                  # the file's headers that identify it
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)   # header -> field(s)
    combine: dict[str, tuple[str, ...]] = field(default_factory=dict)   # field -> headers joined by `separator`
    multiply: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> headers whose numbers multiply
    values: dict[str, dict[str, str]] = field(default_factory=dict)     # field -> {written (or glob) -> value}
    constants: dict[str, str] = field(default_factory=dict)             # field -> the same value on every row
    date_format: str | None = None
    year: int | None = None
    skip_rows: int | None = None
    filter: dict[str, tuple[str, ...]] = field(default_factory=dict)    # header -> values (or globs) kept
    nulls: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    absolute: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    separator: str = " "
    community: str | None = None     # a saved profile's owner: offered and chosen only for its imports
    saved_by: str | None = None      # the account that saved it (the audit trail has the when)
    path: Path | None = None

    @property
    def shipped(self) -> bool:
        return self.path is not None and self.path.parent == SHIPPED

    def owner(self) -> str | None:
        """The community a saved profile belongs to; one saved before owners were recorded belongs to
        the community it writes as a constant. Shipped profiles belong to no one."""
        if self.shipped:
            return None
        return self.community or self.constants.get("community_id")

    def used_headers(self) -> list[str]:
        used = [*self.columns, *(h for hs in self.combine.values() for h in hs),
                *(h for hs in self.multiply.values() for h in hs), *self.filter]
        return list(dict.fromkeys(used))

    def identifying_headers(self) -> list[str]:
        return list(self.headers) or self.used_headers()

    def fields(self) -> list[str]:
        out = [f for fs in self.columns.values() for f in fs]
        return list(dict.fromkeys([*out, *self.combine, *self.multiply, *self.constants]))


def _problem(where: str, zh: str, en: str) -> UserError:
    return UserError(f"导入档案《{where}》有误：{zh}", f"import profile '{where}' is wrong: {en}")


def _strings(value, where: str, key: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in items):
        raise _problem(where, f"“{key}”应为文字或文字列表", f"'{key}' must be text or a list of texts")
    return tuple(items)


def _table(data: dict, key: str, where: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _problem(where, f"“{key}”应为一个表（[{key}] 段）", f"'{key}' must be a table ([{key}])")
    return value


def from_dict(data: dict, where: str, path: Path | None = None) -> Profile:
    """A profile from its TOML data, every mistake named with the key to fix."""
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise _problem(where, f"不认识的设置 {'、'.join(unknown)}（可用：{'、'.join(sorted(KNOWN_KEYS))}）",
                       f"unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(KNOWN_KEYS))})")
    kind = resolve_kind(str(data.get("kind", "")))
    if kind not in FEEDS:
        raise _problem(where, f"kind 应为以下之一：{'、'.join(FEEDS)}", f"kind must be one of {', '.join(FEEDS)}")
    feed = FEEDS[kind]
    columns = {h: _strings(v, where, f"columns.{h}") for h, v in _table(data, "columns", where).items()}
    combine = {f: _strings(v, where, f"combine.{f}") for f, v in _table(data, "combine", where).items()}
    multiply = {f: _strings(v, where, f"multiply.{f}") for f, v in _table(data, "multiply", where).items()}
    constants = {f: str(v) for f, v in _table(data, "constants", where).items()}
    values = {f: {str(k): str(w) for k, w in m.items()} if isinstance(m, dict) else None
              for f, m in _table(data, "values", where).items()}
    if None in values.values():
        raise _problem(where, "[values.字段] 下应为“原值 = 新值”", "[values.FIELD] must hold 'as written = value' pairs")
    named = [f for fs in columns.values() for f in fs] + [*combine, *multiply, *constants, *values,
                                                        *_strings(data.get("absolute", []), where, "absolute"),
                                                        *_strings(data.get("lines", []), where, "lines")]
    wrong = sorted({f for f in named if f not in feed.names})
    if wrong:
        raise _problem(where, f"{feed.label_zh}数据没有字段 {'、'.join(wrong)}（可用：{'、'.join(feed.names)}）",
                       f"{kind} has no field(s) {', '.join(wrong)} (known: {', '.join(feed.names)})")
    year = data.get("year")
    if year is not None and (not isinstance(year, int) or not 2000 <= year <= 2100):
        raise _problem(where, "year 应为 2000 到 2100 之间的年份", "year must be a year from 2000 to 2100")
    date_format = data.get("date_format")
    if year is not None and not date_format:
        raise _problem(where, "给了 year 就要同时给 date_format（日期格式）", "year needs a date_format too")
    skip = data.get("skip_rows")
    if skip is not None and (not isinstance(skip, int) or skip < 0):
        raise _problem(where, "skip_rows 应为 0 或正整数", "skip_rows must be a whole number, 0 or more")
    name = str(data.get("name") or (path.stem if path else where))
    return Profile(name=name, kind=kind, label=str(data.get("label", "")),
                   headers=_strings(data.get("headers", []), where, "headers"), columns=columns, combine=combine,
                   multiply=multiply, values=values, constants=constants,
                   date_format=str(date_format) if date_format else None, year=year, skip_rows=skip,
                   filter={h: _strings(v, where, f"filter.{h}") for h, v in _table(data, "filter", where).items()},
                   nulls=_strings(data.get("nulls", []), where, "nulls"),
                   drop=_strings(data.get("drop", []), where, "drop"),
                   absolute=_strings(data.get("absolute", []), where, "absolute"),
                   lines=_strings(data.get("lines", []), where, "lines"),
                   separator=str(data.get("separator", " ")),
                   community=str(data["community"]) if data.get("community") else None,
                   saved_by=str(data["saved_by"]) if data.get("saved_by") else None, path=path)


def load(path: str | Path) -> Profile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(path.name, f"无法读取（{exc}）", f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _problem(path.name, f"不是有效的 TOML（{exc}）；检查引号和等号", f"is not valid TOML ({exc})") from None
    return from_dict(data, path.name, path)


def to_dict(p: Profile) -> dict:
    """The profile as TOML data: only what differs from the defaults, each column's one field as text."""
    data: dict = {"name": p.name, "kind": p.kind}
    for key in ("label", "community", "saved_by", "headers", "date_format", "year", "skip_rows", "nulls", "drop",
                "absolute", "lines"):
        value = getattr(p, key)
        if value not in (None, "", ()):
            data[key] = list(value) if isinstance(value, tuple) else value
    if p.separator != " ":
        data["separator"] = p.separator
    for key in ("columns", "combine", "multiply", "constants", "filter"):
        table = getattr(p, key)
        if table:
            data[key] = {k: (v if isinstance(v, str) else v[0] if key == "columns" and len(v) == 1 else list(v))
                         for k, v in table.items()}
    if p.values:
        data["values"] = {f: dict(m) for f, m in p.values.items()}
    return data


def dumps(p: Profile) -> str:
    """The profile as TOML that `load` reads back to the same profile (tomli_w escapes what TOML forbids)."""
    return tomli_w.dumps(to_dict(p))


def user_dir(db_path: str | Path) -> Path:
    return Path(db_path).resolve().parent / "profiles"


def _file_name(name: str) -> str:
    """A profile's name as a file name: letters (Chinese too), digits, - and _ only."""
    stem = re.sub(r"[^\w\-]+", "_", name.strip(), flags=re.UNICODE).strip("_.")
    if not stem:
        raise UserError("档案名称不能为空，请用中文、字母或数字命名，如“快团团导出”。",
                        "a profile needs a name of letters or digits, e.g. 'group_buy_export'.")
    return stem[:80] + ".toml"


def _key(text: str) -> str:
    """How a name is compared: in any case, and full-width letters and digits as their plain forms
    (ｎｙｃ３１１ reads as the shipped nyc311 wherever a name is listed)."""
    return unicodedata.normalize("NFKC", text).casefold()


def _same(name: str) -> str:
    """Names that would be one file (a/b and a_b; A and a on a case-blind disk; nyc311 and ｎｙｃ３１１)
    are one name."""
    try:
        return _key(_file_name(name)[:-5])
    except UserError:
        return ""


def _texts(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _texts(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _texts(v)
    elif isinstance(value, str):
        yield value


def _refuse_personal(p: Profile) -> None:
    """Headers are data: a register without a header row offers its first row (a phone, an ID number)
    as headers, and a profile must not keep it in clear."""
    bad = [t for t in dict.fromkeys(_texts(to_dict(p))) if personal.contains_personal(t)]
    if bad:
        shown = "、".join(personal.mask_text(t) for t in bad[:3])
        raise UserError(f"导入档案“{personal.mask_text(p.name)}”没有保存：其中的表头或值含手机号或身份证号（{shown}）。"
                        "这通常是把第一行数据当成了表头；请确认文件有表头行，或把这一列设为“不导入”后再保存。",
                        f"import profile '{personal.mask_text(p.name)}' was not saved: a header or value in it holds "
                        f"a phone or ID-card number ({', '.join(personal.mask_text(t) for t in bad[:3])}). Usually "
                        "the first data row was taken for the header: check the file has a header row, or set that "
                        "column to 'not imported', then save.")


def _taken(db_path, name: str) -> Profile | str | None:
    """The shipped or saved profile (or the unreadable file) a new name would collide with."""
    key = _key(_file_name(name)[:-5])      # an empty name is refused here
    profiles, _ = _load_all(db_path)
    for p in profiles:
        if key in {_same(p.name), _same(p.label), *([_key(p.path.stem)] if p.path else [])} - {""}:
            return p
    for folder in (user_dir(db_path), SHIPPED):
        for path in folder.glob("*.toml") if folder.is_dir() else []:
            if _key(path.stem) == key:
                return path.name
    return None


def save(db_path: str | Path, profile: Profile, user: str | None = None, communities=None) -> Path:
    """Save a profile for the community it belongs to, audited; never over another one.

    `communities`: the saver's (a director: his own; None: an admin, the open demo). The profile belongs
    to the community it writes as a constant, else to the saver's one community (an admin's without a
    constant belongs to no community and is chosen for everyone's files by their headers)."""
    constant = profile.constants.get("community_id")
    if communities is not None:
        scope = [str(c) for c in communities]
        if constant is not None and constant not in scope:
            raise UserError(f"导入档案没有保存：它把每一行的社区设为“{constant}”，这个账号只能为本社区"
                            f"（{'、'.join(scope) or '无'}）保存导入档案。",
                            f"the import profile was not saved: it sets every row's community to '{constant}', and "
                            f"this account saves profiles only for its own ({', '.join(scope) or 'none'}).")
        if constant is None and len(scope) != 1:
            raise UserError("导入档案没有保存：请在“社区”一栏填上这些数据所属的社区。",
                            "the import profile was not saved: type the community these rows belong to.")
        owner = constant or scope[0]
    else:
        owner = constant
    profile = replace(profile, community=owner, saved_by=user or None, path=None)
    _refuse_personal(profile)
    clash = _taken(db_path, profile.name)
    if clash is not None:
        what = (clash if isinstance(clash, str) else
                f"随 Linli 提供的“{clash.name}”" if clash.shipped else f"已保存的“{clash.name}”")
        what_en = (clash if isinstance(clash, str) else
                   f"the shipped '{clash.name}'" if clash.shipped else f"the saved '{clash.name}'")
        raise UserError(f"导入档案“{profile.name}”没有保存：这个名称与{what}相同（文件名只保留字母、数字、- 和 _，"
                        "不分大小写）。请换一个名称。",
                        f"import profile '{profile.name}' was not saved: the name is the same as {what_en} (file "
                        "names keep letters, digits, - and _ only, in any case). Choose another name.")
    folder = user_dir(db_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / _file_name(profile.name)
    fd, tmp = tempfile.mkstemp(suffix=".toml.tmp", dir=folder)    # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dumps(profile))
        # read back as `available` will: a file that would not load is never put in place
        if replace(load(tmp), path=None) != profile:
            raise UserError(f"导入档案“{profile.name}”没有保存：写出的文件读回来不一样。请把这个问题报告给维护者。",
                            f"import profile '{profile.name}' was not saved: the file written reads back "
                            "differently. Please report this.")
        _put_in_place(db_path, Path(tmp), path, profile)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _put_in_place(db_path, tmp: Path, path: Path, profile: Profile) -> None:
    """The file appears and its audit row is stored together: the audit row's transaction commits only
    once the file is in place. os.link never replaces a file that appeared meanwhile."""
    from pipelines.database import writing
    from pipelines.records import audit
    with writing(db_path) as con:
        audit.record(con, "profile.save", user=profile.saved_by, community_id=profile.community,
                     profile=profile.name, kind=profile.kind, file=path.name)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise UserError(f"导入档案“{profile.name}”没有保存：同名文件刚刚被保存。请换一个名称。",
                            f"import profile '{profile.name}' was not saved: a file of that name was just "
                            "saved. Choose another name.") from None


_warned: set[str] = set()


def _load_all(db_path) -> tuple[list[Profile], list[UserError]]:
    """Every readable profile, shipped first, and a message for each file skipped: one bad file (a hand
    edit, a half-copied folder) is left out, never taking imports down for anyone."""
    folders = [SHIPPED] + ([user_dir(db_path)] if db_path else [])
    seen: dict[str, Profile] = {}
    skipped: list[UserError] = []
    for folder in folders:
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            try:
                p = load(path)
            except UserError as exc:
                skipped.append(UserError(f"{exc.zh}；已跳过这个档案，其他导入照常。",
                                         f"{exc.en}; this profile is skipped, other imports go on."))
                continue
            if _same(p.name) in seen:
                first = seen[_same(p.name)]
                skipped.append(_problem(path.name, f"名称“{p.name}”已被 {first.path.name} 使用，已跳过这个档案",
                                        f"the name '{p.name}' is already {first.path.name}'s; this profile is skipped"))
                continue
            seen[_same(p.name)] = p
    for exc in skipped:
        if exc.en not in _warned:        # once per process, not once per page rerun
            _warned.add(exc.en)
            log.warning(exc.message(ui_lang()))
    return list(seen.values()), skipped


def usable(p: Profile, communities=None) -> bool:
    """May an import for `communities` (None: any, an admin or the command line) apply `p` when named?"""
    if communities is None:
        return True
    scope = {str(c) for c in communities}
    owner, constant = p.owner(), p.constants.get("community_id")
    return (owner is None or owner in scope) and (constant is None or constant in scope)


def automatic(p: Profile, communities=None) -> bool:
    """May `p` be chosen by a file's headers alone? A community's profile only for that community's
    imports: an admin's import of B's file must not take A's mapping and A's community."""
    return usable(p, communities) and (p.owner() is None or communities is not None)


def available(db_path: str | Path | None = None, kind: str | None = None, communities=None) -> list[Profile]:
    """The profiles an import for `communities` (None: any) may name: shipped first, then saved ones."""
    return [p for p in _load_all(db_path)[0]
            if (kind is None or p.kind == resolve_kind(kind)) and usable(p, communities)]


def candidates(db_path: str | Path | None, kind: str | None = None, communities=None) -> list[Profile]:
    """The profiles a file's headers may choose for an import for `communities`."""
    return [p for p in available(db_path, kind, communities) if automatic(p, communities)]


def skipped(db_path: str | Path | None) -> list[UserError]:
    """Why each profile file that could not be read is left out."""
    return _load_all(db_path)[1]


def find(db_path: str | Path | None, name: str, communities=None) -> Profile:
    mine = available(db_path, communities=communities)
    for p in mine:
        if name in (p.name, p.label) or (p.path and p.path.stem == name):
            return p
    names = "、".join(p.name for p in mine) or "（无）"
    raise UserError(f"没有名为“{name}”的导入档案。可用的档案：{names}。",
                    f"there is no import profile '{name}'. Available: {names}.")


def _norm(header: str) -> str:
    return normalize_header(header)


def choose(candidates: list[Profile], headers: list[str]) -> Profile | None:
    """The profile whose identifying headers all appear in the file; the most specific one wins."""
    have = {_norm(h) for h in headers if str(h or "").strip()}
    best: Profile | None = None
    for p in candidates:
        wanted = {_norm(h) for h in p.identifying_headers()}
        if wanted and wanted <= have and (best is None or len(wanted) > len(best.identifying_headers())):
            best = p
    return best


def with_mapping(p: Profile, columns: dict[str, tuple[str, ...]]) -> Profile:
    return replace(p, columns=columns)


# ---- applying a profile to a sheet as read ---------------------------------------------------------

_META = set("\\.^$|?*+()[]{}")


def _regex(pattern: str) -> str:
    """A glob (* any text, ? one character, everything else literal) as a regex that polars' (Rust) and
    Python's engines both read. fnmatch.translate writes (?>…) for two *, which Rust's regex rejects.
    `$` ends the text: the cells matched are stripped, so no trailing newline makes Python's differ."""
    out = "".join(".*" if ch == "*" else "." if ch == "?" else "\\" + ch if ch in _META else ch for ch in pattern)
    return "(?is)^" + out + "$"


def _matches(text: pl.Expr, patterns: tuple[str, ...]) -> pl.Expr:
    exact = [p for p in patterns if not any(ch in p for ch in GLOB)]
    hit = text.str.to_lowercase().is_in([p.lower() for p in exact])
    for p in patterns:
        if p not in exact:
            hit = hit | text.str.contains(_regex(p))
    return hit.fill_null(False)


def _mapped(text: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    """Exact spellings first (case aside), then patterns in the order written; others stay as written."""
    empty = text.is_null() | (text.str.strip_chars() == "")
    chain = pl.when(empty).then(pl.lit(mapping[""]) if "" in mapping else text)
    for key, word in mapping.items():
        if key and not any(ch in key for ch in GLOB):
            chain = chain.when(text.str.strip_chars().str.to_lowercase() == key.lower()).then(pl.lit(word))
    for key, word in mapping.items():
        if key and any(ch in key for ch in GLOB):
            chain = chain.when(text.str.strip_chars().str.contains(_regex(key))).then(pl.lit(word))
    return chain.otherwise(text)


def _dated(text: pl.Expr, fmt: str, year: int | None) -> pl.Expr:
    """Cells in the profile's date format rewritten as ISO; other cells left for the validator to judge."""
    value = text.str.strip_chars()
    if year is not None and not re.search(r"%[YyGC]", fmt):
        value, fmt = pl.lit(f"{year} ") + value, "%Y " + fmt
    parsed = value.str.strptime(pl.Datetime("us"), fmt, strict=False)
    return pl.when(parsed.is_not_null()).then(parsed.dt.to_string("%Y-%m-%d %H:%M:%S")).otherwise(text)


@dataclass(frozen=True)
class Skipped:
    """Rows a profile's filter left out: how many, and the rule that did (the import report's why)."""
    profile: str
    header: str
    kept: tuple[str, ...]
    rows: int

    def message(self, lang: str = "zh") -> str:
        if lang == "zh":
            return (f"导入档案“{self.profile}”的筛选跳过了 {self.rows:,} 行：“{self.header}”列不是"
                    f"{'、'.join(self.kept)}（这些行没有导入；要导入全部行，请在档案中删去 [filter]）")
        return (f"import profile '{self.profile}' filter skipped {self.rows:,} rows: column '{self.header}' is not "
                f"{' / '.join(self.kept)} (not imported; remove [filter] from the profile to import every row)")


def _number_text(value: pl.Expr) -> pl.Expr:
    return value.round(6).cast(pl.Utf8).str.replace(r"\.0$", "")


def _missing(p: Profile, headers: list[str], file_name: str) -> None:
    have = {_norm(h) for h in headers}
    missing = [h for h in p.used_headers() if _norm(h) not in have]
    if missing:
        from pipelines.errors import FileRefused
        raise FileRefused(file_name, f"导入档案“{p.name}”要用的列 {'、'.join(missing)} 在表头中找不到。"
                                     "请换一个档案，或在导入页重新对应各列。",
                          f"import profile '{p.name}' uses column(s) {', '.join(missing)}, which the header lacks. "
                          "Choose another profile or map the columns again on the import page.")


def apply(p: Profile, headers: list[str], frame: pl.DataFrame, header_row: int,
          file_name: str) -> tuple[list[str], pl.DataFrame, dict[str, str], list[Skipped]]:
    """The sheet rewritten under the feed's own column names.

    Returns (headers, frame of text columns c0…, ROWNUM), for messages each field's header as the file
    wrote it, and the rows each `filter` entry left out (the import report says so). Columns the
    profile does not use pass through under their own headers.
    """
    _missing(p, headers, file_name)
    feed = FEEDS[p.kind]
    col_of = {}
    for i, h in enumerate(headers):
        col_of.setdefault(_norm(h), f"c{i}")
    src = lambda h: pl.col(col_of[_norm(h)])
    if ROWNUM not in frame.columns:
        frame = frame.with_columns(pl.int_range(header_row + 1, header_row + 1 + frame.height).alias(ROWNUM))
    data_cols = [c for c in frame.columns if c != ROWNUM]
    if p.nulls:
        frame = frame.with_columns([pl.when(pl.col(c).str.strip_chars().is_in(list(p.nulls))).then(None)
                                    .otherwise(pl.col(c)).alias(c) for c in data_cols])
    skipped: list[Skipped] = []
    for header, kept in p.filter.items():
        before = frame.height
        frame = frame.filter(_matches(src(header).str.strip_chars(), kept))
        if frame.height < before:
            skipped.append(Skipped(p.name, header, kept, before - frame.height))
    built: dict[str, pl.Expr] = {}
    sources: dict[str, str] = {}
    for header, fields in p.columns.items():
        for f in fields:
            built[f], sources[f] = src(header), header
    for f, hs in p.combine.items():
        built[f] = pl.concat_str([src(h).str.strip_chars() for h in hs], separator=p.separator, ignore_nulls=True)
        sources[f] = "+".join(hs)
    for f, hs in p.multiply.items():
        product = pl.lit(1.0)
        for h in hs:
            product = product * parse.number(src(h))
        # a factor that is no number keeps its text, so the validator reports it
        built[f] = pl.when(product.is_not_null()).then(_number_text(product)).otherwise(
            pl.concat_str([src(h) for h in hs], separator=" × ", ignore_nulls=True))
        sources[f] = "×".join(hs)
    for f, value in p.constants.items():
        built[f] = pl.lit(value, dtype=pl.Utf8)
    for f, mapping in p.values.items():
        if f in built:
            built[f] = _mapped(built[f], mapping)
    for f in p.absolute:
        if f in built:
            n = parse.number(built[f])
            built[f] = pl.when(n.is_not_null()).then(_number_text(n.abs())).otherwise(built[f])
    if p.date_format:
        for f in built:
            if feed.column(f).kind in (TIMESTAMP, DATE):
                built[f] = _dated(built[f], p.date_format, p.year)
    # a column the profile only filters on is still the file's own column, for Linli to read by its header
    read = [h for h in p.used_headers() if h not in p.filter or h in p.columns
            or any(h in hs for hs in (*p.combine.values(), *p.multiply.values()))]
    used = {col_of[_norm(h)] for h in read} | {col_of[_norm(h)] for h in p.drop if _norm(h) in col_of}
    rest = [(h, f"c{i}") for i, h in enumerate(headers) if f"c{i}" not in used]
    out = frame.select([e.cast(pl.Utf8).alias(f"f_{f}") for f, e in built.items()]
                       + [pl.col(c).alias(f"r_{c}") for _, c in rest] + [pl.col(ROWNUM)])
    if p.lines:
        out = _group_lines(out, [f"f_{k}" for k in feed.key if k in built], [f"f_{f}" for f in p.lines if f in built])
    names = [*built, *(h for h, _ in rest)]
    out.columns = [f"c{i}" for i in range(len(names))] + [ROWNUM]
    return names, out, sources, skipped


def _group_lines(frame: pl.DataFrame, key: list[str], summed: list[str]) -> pl.DataFrame:
    """Rows with the same key are lines of one record (order lines of one invoice): their amounts add up,
    the rest is the first line's. A line that is no number keeps its text, for the validator to report."""
    if not key:
        return frame
    keyed = pl.all_horizontal([pl.col(k).is_not_null() & (pl.col(k) != "") for k in key])
    lines, single = frame.filter(keyed), frame.filter(~keyed)
    aggs = []
    for c in frame.columns:
        if c in key:
            continue
        if c in summed:
            n = parse.number(pl.col(c))
            bad = n.is_null() & pl.col(c).is_not_null() & (pl.col(c) != "")
            aggs.append(pl.when(bad.any()).then(pl.col(c).filter(bad).first())
                        .otherwise(pl.when(n.is_not_null().any()).then(_number_text(n.sum())))
                        .alias(c))
        elif c == ROWNUM:
            aggs.append(pl.col(c).min())
        else:
            aggs.append(pl.col(c).first())
    grouped = lines.group_by(key, maintain_order=True).agg(aggs).select(frame.columns)
    return pl.concat([grouped, single.select(frame.columns)]).sort(ROWNUM)
