"""Import profiles: how one export's columns, values and dates become a feed's (README "导入你自己的数据").

A profile is a small TOML file. Shipped ones live in pipelines/ingest/profiles/, those a user saves from
the import page in a `profiles/` folder next to the database. A profile is applied to the sheet as
read (headers and text cells) before Linli's own header matching, so everything after it — personal
data rules, validation, quarantine — runs exactly as for any other file.
"""
from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from pipelines.errors import UserError
from pipelines.feeds import DATE, FEEDS, TIMESTAMP, resolve_kind
from pipelines.ingest import parse
from pipelines.ingest.headers import normalize_header

SHIPPED = Path(__file__).resolve().parent / "profiles"
ROWNUM = "_xlsx_row"      # the reader's row-number column: a filtered or grouped sheet keeps its rows' numbers
ANY = "*"
KNOWN_KEYS = {"name", "label", "kind", "headers", "columns", "combine", "multiply", "values", "constants",
              "date_format", "year", "skip_rows", "filter", "nulls", "drop", "absolute", "lines", "separator"}


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
    path: Path | None = None

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
                   separator=str(data.get("separator", " ")), path=path)


def load(path: str | Path) -> Profile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(path.name, f"无法读取（{exc}）", f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _problem(path.name, f"不是有效的 TOML（{exc}）；检查引号和等号", f"is not valid TOML ({exc})") from None
    return from_dict(data, path.name, path)


def _toml_str(text: str) -> str:
    # JSON string escapes are TOML basic-string escapes; non-ASCII stays readable
    return json.dumps(text, ensure_ascii=False)


def _toml_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_str(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    return _toml_str(value)


def dumps(p: Profile) -> str:
    """The profile as TOML that `load` reads back to the same profile."""
    lines = [f"name = {_toml_str(p.name)}", f"kind = {_toml_str(p.kind)}"]
    for key in ("label", "headers", "date_format", "year", "skip_rows", "nulls", "drop", "absolute", "lines"):
        value = getattr(p, key)
        if value not in (None, "", ()):
            lines.append(f"{key} = {_toml_value(value)}")
    if p.separator != " ":
        lines.append(f"separator = {_toml_str(p.separator)}")
    for key in ("columns", "combine", "multiply", "constants", "filter"):
        table = getattr(p, key)
        if table:
            lines += ["", f"[{key}]"]
            lines += [f"{_toml_str(k)} = {_toml_value(v[0] if key == 'columns' and len(v) == 1 else v)}"
                      for k, v in table.items()]
    for fld, mapping in p.values.items():
        lines += ["", f"[values.{_toml_str(fld)}]"] + [f"{_toml_str(k)} = {_toml_str(w)}" for k, w in mapping.items()]
    return "\n".join(lines) + "\n"


def user_dir(db_path: str | Path) -> Path:
    return Path(db_path).resolve().parent / "profiles"


def _file_name(name: str) -> str:
    """A profile's name as a file name: letters (Chinese too), digits, - and _ only."""
    stem = re.sub(r"[^\w\-]+", "_", name.strip(), flags=re.UNICODE).strip("_.")
    if not stem:
        raise UserError("档案名称不能为空，请用中文、字母或数字命名，如“快团团导出”。",
                        "a profile needs a name of letters or digits, e.g. 'group_buy_export'.")
    return stem[:80] + ".toml"


def save(db_path: str | Path, profile: Profile) -> Path:
    folder = user_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _file_name(profile.name)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(dumps(profile), encoding="utf-8")
    tmp.replace(path)      # a reader never sees half a profile
    return path


def available(db_path: str | Path | None = None, kind: str | None = None) -> list[Profile]:
    """Every profile, user-saved first (a saved one of the same name replaces the shipped one)."""
    folders = ([user_dir(db_path)] if db_path else []) + [SHIPPED]
    seen: dict[str, Profile] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            p = load(path)
            seen.setdefault(p.name, p)
    return [p for p in seen.values() if kind is None or p.kind == resolve_kind(kind)]


def find(db_path: str | Path | None, name: str) -> Profile:
    for p in available(db_path):
        if name in (p.name, p.label) or (p.path and p.path.stem == name):
            return p
    names = "、".join(p.name for p in available(db_path)) or "（无）"
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

def _regex(pattern: str) -> str:
    # fnmatch ends its patterns with Python's \Z; the regex engine of polars spells it \z
    return "(?is)^" + fnmatch.translate(pattern).replace("\\Z", "\\z")


def _matches(text: pl.Expr, patterns: tuple[str, ...]) -> pl.Expr:
    exact = [p for p in patterns if not any(ch in p for ch in "*?[")]
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
        if key and not any(ch in key for ch in "*?["):
            chain = chain.when(text.str.strip_chars().str.to_lowercase() == key.lower()).then(pl.lit(word))
    for key, word in mapping.items():
        if key and any(ch in key for ch in "*?["):
            chain = chain.when(text.str.strip_chars().str.contains(_regex(key))).then(pl.lit(word))
    return chain.otherwise(text)


def _dated(text: pl.Expr, fmt: str, year: int | None) -> pl.Expr:
    """Cells in the profile's date format rewritten as ISO; other cells left for the validator to judge."""
    value = text.str.strip_chars()
    if year is not None and not re.search(r"%[YyGC]", fmt):
        value, fmt = pl.lit(f"{year} ") + value, "%Y " + fmt
    parsed = value.str.strptime(pl.Datetime("us"), fmt, strict=False)
    return pl.when(parsed.is_not_null()).then(parsed.dt.to_string("%Y-%m-%d %H:%M:%S")).otherwise(text)


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
          file_name: str) -> tuple[list[str], pl.DataFrame, dict[str, str]]:
    """The sheet rewritten under the feed's own column names.

    Returns (headers, frame of text columns c0…, ROWNUM) and, for messages, each field's header as
    the file wrote it. Columns the profile does not use pass through under their own headers.
    """
    _missing(p, headers, file_name)
    feed = FEEDS[p.kind]
    col_of = {}
    for i, h in enumerate(headers):
        col_of.setdefault(_norm(h), f"c{i}")
    src = lambda h: pl.col(col_of[_norm(h)])   # noqa: E731
    if ROWNUM not in frame.columns:
        frame = frame.with_columns(pl.int_range(header_row + 1, header_row + 1 + frame.height).alias(ROWNUM))
    data_cols = [c for c in frame.columns if c != ROWNUM]
    if p.nulls:
        frame = frame.with_columns([pl.when(pl.col(c).str.strip_chars().is_in(list(p.nulls))).then(None)
                                    .otherwise(pl.col(c)).alias(c) for c in data_cols])
    for header, kept in p.filter.items():
        frame = frame.filter(_matches(src(header).str.strip_chars(), kept))
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
    used = {col_of[_norm(h)] for h in p.used_headers()} | {col_of[_norm(h)] for h in p.drop if _norm(h) in col_of}
    rest = [(h, f"c{i}") for i, h in enumerate(headers) if f"c{i}" not in used]
    out = frame.select([e.cast(pl.Utf8).alias(f"f_{f}") for f, e in built.items()]
                       + [pl.col(c).alias(f"r_{c}") for _, c in rest] + [pl.col(ROWNUM)])
    if p.lines:
        out = _group_lines(out, [f"f_{k}" for k in feed.key if k in built], [f"f_{f}" for f in p.lines if f in built])
    names = [*built, *(h for h, _ in rest)]
    out.columns = [f"c{i}" for i in range(len(names))] + [ROWNUM]
    return names, out, sources


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
