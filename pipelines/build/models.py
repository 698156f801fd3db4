"""The models of sql/: each file one table or view, read with the header that declares it.

Every model file opens with three machine-read lines (sql/README.md):

    -- kind: period
    -- grain: community_id, grain, period_start
    -- published: yes

`kind` decides how the model is stored and how an incremental build treats it; `grain` names the
columns that identify a row, from which the build generates a unique and not-null audit (or a cheaper one
where the key is already known unique: see grain_audit); `published`
says whether the dashboard's snapshot carries it. A file without a valid header is refused, naming
the file: nothing about a model is guessed from its name. So is a `.sql` file the build would not read
(outside the model folders, checks/, store/ and macros.sql) and a period model whose grain lacks the
columns an incremental build replaces its rows by.

The run order follows the tables each file reads, as DuckDB's own parser sees them.
"""
from __future__ import annotations

import graphlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from pipelines.build.sqlgen import FRAGMENTS, render
from pipelines.feeds import FEEDS

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
MODEL_FOLDERS = ("staging", "intermediate", "marts")
MACROS = SQL_DIR / "macros.sql"
# Every .sql file of sql/ is one of these; any other would be ignored, so it is refused (load_models).
OTHER_FOLDERS = {"checks": "an audit", "store": "the current-version rule"}

# kind -> (stored as, what an incremental build does with it)
KINDS = {
    "staging": ("VIEW", "nothing: a view over cur_<feed>, which imports and undos keep current; the build reads the "
                        "keys they changed, and the earliest time the replaced rows held, from the store's change log"),
    "view": ("VIEW", "nothing: a view computes itself when read"),
    "full": ("TABLE", "recomputed outright on every build (small tables): before the period models, or after them "
                      "when it reads one (increment.full_models_by_phase)"),
    "community": ("TABLE", "recomputed outright for the communities an increment touched, the others' rows kept (a "
                           "community's rows come from its own rows, rules and imports alone), in the phase a full "
                           "model would be"),
    "period": ("TABLE", "rows from each touched community's first changed week or month on are recomputed"),
    "since": ("TABLE", "rows whose named time is at or after each touched community's first changed time are recomputed; "
                       "keyed without that time (one row per parcel), every row recomputed replaces its stored one"),
}
HEADER_KEYS = ("kind", "grain", "published")
PERIOD_GRAIN = ("community_id", "grain", "period_start")   # what increment.in_range selects a period model's rows by
_COLUMN = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Model:
    name: str
    path: Path
    sql: str
    kind: str
    grain: tuple[str, ...]
    published: bool
    argument: str | None = None   # staging: the feed it stages; since: the time column
    grain_of: str | None = None   # '-- grain: … as in <model>': one row per row of that model, keyed alike
    reads: frozenset[str] = frozenset()   # the other models its SQL reads

    @property
    def materialization(self) -> str:
        return KINDS[self.kind][0]

    @property
    def feed(self) -> str | None:
        return self.argument if self.kind == "staging" else None

    @property
    def since_column(self) -> str | None:
        return self.argument if self.kind == "since" else None

    @property
    def where(self) -> str:
        """The file as a reader finds it in the tree: sql/marts/kpi.sql."""
        return f"{self.path.parent.parent.name}/{self.path.parent.name}/{self.path.name}"


class HeaderError(ValueError):
    """A model file whose opening lines do not declare its kind, grain and publication."""


_GRAIN_OF = re.compile(r"(.+?)\s+as in\s+([a-z_][a-z0-9_]*)")


def grain_source(text: str) -> str | None:
    """The model named by '-- grain: <columns> as in <model>' (the second header line), or None."""
    lines = text.split("\n", 2)
    m = re.fullmatch(r"-- grain: (.+?)\s*", lines[1]) if len(lines) > 1 else None
    of = _GRAIN_OF.fullmatch(m.group(1)) if m else None
    return of.group(2) if of else None


def parse_header(text: str, where: str) -> tuple[str, str | None, tuple[str, ...], bool]:
    """(kind, its argument, grain columns, published) from a model's first three lines."""
    lines = text.split("\n", 3)[:3]
    found = {}
    for expected, line in zip(HEADER_KEYS, lines + [""] * (3 - len(lines))):
        m = re.fullmatch(rf"-- {expected}: (.+?)\s*", line)
        if not m:
            raise HeaderError(f"{where}: a model opens with the lines '-- kind: …', '-- grain: …', '-- published: …' "
                              f"(see sql/README.md); expected '-- {expected}: …', found {line.strip()!r}")
        found[expected] = m.group(1)
    words = found["kind"].split()
    kind, argument = words[0], (words[1] if len(words) > 1 else None)
    if kind not in KINDS or len(words) > 2 or (argument is None) != (kind not in ("staging", "since")):
        raise HeaderError(f"{where}: unknown kind {found['kind']!r}; one of: staging <feed>, view, full, community, "
                          f"period, since <time column>")
    if kind == "staging" and argument not in FEEDS:
        raise HeaderError(f"{where}: 'staging {argument}' names no feed of pipelines/feeds.py")
    grain_text = found["grain"]
    of = _GRAIN_OF.fullmatch(grain_text)
    if of:
        grain_text = of.group(1)
    grain = tuple(c.strip() for c in grain_text.split(","))
    if not all(_COLUMN.fullmatch(c) for c in grain) or len(set(grain)) != len(grain):
        raise HeaderError(f"{where}: the grain is a list of distinct column names, found {found['grain']!r}")
    if kind == "period" and not set(PERIOD_GRAIN) <= set(grain):
        raise HeaderError(f"{where}: a period model's grain holds {', '.join(PERIOD_GRAIN)} (an incremental build "
                          f"replaces its rows by them), found {', '.join(grain)}")
    if kind == "community" and "community_id" not in grain:
        raise HeaderError(f"{where}: a community model's grain holds community_id (an incremental build replaces the "
                          f"rows of the communities it touched), found {', '.join(grain)}")
    if kind == "staging" and set(grain) != set(FEEDS[argument].key):
        raise HeaderError(f"{where}: a staging model's grain is its feed's key {', '.join(FEEDS[argument].key)}, "
                          f"found {', '.join(grain)}")
    if found["published"] not in ("yes", "no"):
        raise HeaderError(f"{where}: '-- published:' is yes or no, found {found['published']!r}")
    published = found["published"] == "yes"
    if kind == "view" and published:
        raise HeaderError(f"{where}: a view is not published (the snapshot holds tables); say '-- published: no'")
    return kind, argument, grain, published


def stray_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """The .sql files of sql/ that no part of the build reads: not a model, an audit, the current-version
    rule or macros.sql (a model in a subfolder of marts/, a file beside macros.sql …)."""
    def read(p: Path) -> bool:
        where = p.relative_to(sql_dir).parts
        return where == (MACROS.name,) or (len(where) == 2 and where[0] in MODEL_FOLDERS + tuple(OTHER_FOLDERS))
    return [p for p in sorted(sql_dir.rglob("*.sql")) if not read(p)]


_LOADED: dict[tuple, tuple[Model, ...]] = {}


def load_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    stray = stray_files(sql_dir)
    if stray:
        raise ValueError(
            f"{', '.join(f'{sql_dir.name}/{p.relative_to(sql_dir).as_posix()}' for p in stray)}: the build would ignore "
            f"it; a model goes in {', '.join(f'{sql_dir.name}/{f}/' for f in MODEL_FOLDERS)}, "
            + ", ".join(f"{v} in {sql_dir.name}/{k}/" for k, v in OTHER_FOLDERS.items())
            + f", helpers in {sql_dir.name}/{MACROS.name} (sql/README.md)")
    files = [p for folder in MODEL_FOLDERS for p in sorted((sql_dir / folder).glob("*.sql"))]
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    # Parsing every model for its reads costs a build on a small store a sixth of its time; the same
    # files and the same values filled into them (sqlgen's fragments, a quarter of a millisecond) give the
    # same models (Model is frozen), so a process parses each version of sql/ once.
    key = (sql_dir, tuple(texts.items()), tuple(fragment() for fragment in FRAGMENTS.values()))
    if key in _LOADED:
        return list(_LOADED[key])
    models: dict[str, Model] = {}
    for p in files:
        where = f"{sql_dir.name}/{p.parent.name}/{p.name}"
        if p.stem in models:
            raise ValueError(f"{where}: a model named {p.stem} exists already ({models[p.stem].where})")
        text = texts[p]
        kind, argument, grain, published = parse_header(text, where)
        if (p.parent.name == "staging") != (kind == "staging"):
            raise HeaderError(f"{where}: sql/staging/ holds the staging models and only them (kind {kind})")
        models[p.stem] = Model(p.stem, p, render(text, p.name), kind, grain, published, argument,
                               grain_of=grain_source(text))
    references: dict[str, set[str]] = {}
    ordered = _in_dependency_order(models, references)
    _check_trusted_grains(ordered, references)
    _LOADED.clear()   # one version kept: sql/ changes only while a test or a developer edits it
    _LOADED[key] = tuple(ordered)
    return ordered


def _check_trusted_grains(models: list[Model], references: dict[str, set[str]]) -> None:
    """The grains grain_audit trusts rather than groups: a staging model reads its cur_<feed> alone (the store
    keeps one row per key there), and '-- grain: … as in X' names a model it reads with the same grain.
    `references`: every table name each model's SQL reads (CTE names included), as the ordering parsed them."""
    by_name = {m.name: m for m in models}
    for m in models:
        if m.kind == "staging" and references[m.name] != {f"cur_{m.feed}"}:
            raise HeaderError(f"{m.where}: a staging model reads cur_{m.feed} alone (its key is the store's, "
                              f"unique there), found {', '.join(sorted(references[m.name]))}")
        if m.grain_of is None:
            continue
        src = by_name.get(m.grain_of)
        if src is None or m.grain_of not in m.reads or set(src.grain) != set(m.grain):
            raise HeaderError(f"{m.where}: 'as in {m.grain_of}' names a model it reads with the same grain "
                              f"({', '.join(m.grain)})")


_MACRO_STATEMENT = re.compile(r"^CREATE OR REPLACE MACRO ", re.MULTILINE)


def macros_sql(temp: bool = False) -> str:
    """sql/macros.sql as the build runs it; `temp`: as TEMP macros, the form a read-only connection (a
    published snapshot) accepts, for a reader that applies the same rules (pipelines/snapshot_reader.py)."""
    text = render(MACROS.read_text(encoding="utf-8"), MACROS.name)
    if not temp:
        return text
    made = _MACRO_STATEMENT.subn("CREATE OR REPLACE TEMP MACRO ", text)
    if made[1] != text.count(" MACRO "):
        raise ValueError(f"{MACROS.name}: each macro opens a line with 'CREATE OR REPLACE MACRO '")
    return made[0]


@dataclass(frozen=True)
class Check:
    name: str
    path: Path
    sql: str


def load_checks(sql_dir: Path = SQL_DIR) -> list[Check]:
    """The hand-written audits: each returns the rows that break one rule; a build finding any does not publish."""
    checks = []
    for p in sorted(sql_dir.glob("checks/*.sql")):
        sql = p.read_text(encoding="utf-8")
        if not sql.lstrip().startswith("-- grain:"):
            raise ValueError(f"{p} must open with '-- grain: ...' (the rows it finds)")
        checks.append(Check(p.stem, p, render(sql, p.name)))
    return checks


def grain_audit(m: Model, scope: str | None = None) -> str:
    """The rows breaking the model's grain: a key held more than once, or a key column left NULL.
    One GROUP BY over the model, or over the rows (alias x) that `scope` keeps.

    Two grains are known unique without grouping millions of string keys on every build:
    - a staging model is a projection of cur_<feed>, which imports and undos keep at one row per key
      (store._apply replaces by key; undo recomputes by key): only a NULL key column is looked for;
    - '-- grain: … as in X': each row is one of X's (X audited itself), so a join that repeated or lost
      rows shows as a row count unlike X's (reported as copies: the difference), besides NULL keys."""
    keys = ", ".join(m.grain)
    nulls = " OR ".join(f"{k} IS NULL" for k in m.grain)
    where = f" WHERE {scope}" if scope else ""
    if m.kind == "staging":
        return f"SELECT {keys}, 1 AS copies FROM {m.name} AS x WHERE ({nulls}){f' AND ({scope})' if scope else ''}"
    if m.grain_of:
        blanks = ", ".join(f"NULL AS {k}" for k in m.grain)
        return (f"SELECT {keys}, count(*) AS copies FROM {m.name} AS x WHERE {nulls} GROUP BY {keys} "
                f"UNION ALL SELECT {blanks}, n - n_of AS copies FROM (SELECT (SELECT count(*) FROM {m.name}) AS n, "
                f"(SELECT count(*) FROM {m.grain_of}) AS n_of) WHERE n <> n_of")
    return f"SELECT {keys}, count(*) AS copies FROM {m.name} AS x{where} GROUP BY {keys} HAVING count(*) > 1 OR {nulls}"


def table_references(sql: str, con: duckdb.DuckDBPyConnection | None = None) -> set[str]:
    """Every table name the statement reads, from DuckDB's parse tree (CTE names included)."""
    own = con is None
    con = duckdb.connect() if own else con   # a new connection costs ~30 ms: share one across files
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    finally:
        if own:
            con.close()
    if tree.get("error"):
        raise ValueError(tree.get("error_message", "unparseable SQL"))
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                found.add(node["table_name"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(tree)
    return found


def _in_dependency_order(models: dict[str, Model], references: dict[str, set[str]] | None = None) -> list[Model]:
    """The models in the order their reads require; `references`, when given, receives each one's table names."""
    deps = {}
    references = {} if references is None else references
    parser = duckdb.connect()
    try:
        for name, m in models.items():
            try:
                references[name] = table_references(m.sql, parser)
                deps[name] = (references[name] & set(models)) - {name}
            except ValueError as exc:
                raise ValueError(f"{m.path.name}: {exc}") from exc
    finally:
        parser.close()
    sorter = graphlib.TopologicalSorter(deps)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise ValueError(f"circular model references: {' -> '.join(exc.args[1])}") from exc
    ordered: list[Model] = []
    while sorter.is_active():   # deterministic: the ready models of each round by name
        ready = sorted(sorter.get_ready())
        ordered.extend(replace(models[n], reads=frozenset(deps[n])) for n in ready)
        sorter.done(*ready)
    return ordered
