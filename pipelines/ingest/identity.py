"""The store's side of personal data: keyed hashes for id columns and person ids, links between
a person's identifiers, and the key's fingerprint. Runs on a file's rows after reading and before
validation, so nothing personal reaches the quarantine or the tables.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import groupby

import polars as pl

from pipelines import personal
from pipelines.feeds import FEEDS, ID
from pipelines.ingest.readers import RawTable
from pipelines.sqlrows import first


@dataclass
class Protection:
    fingerprint: str | None = None           # to remember, when this import first used the key
    links: dict[str, tuple[str, str]] = field(default_factory=dict)   # identifier hash -> (person id, kind), new
    hashed_columns: list[str] = field(default_factory=list)   # id columns whose personal values became hashes
    # deferred person ids (protect(defer=True)): the rows waiting for one, each its number (_row), how many
    # of its identifiers are not names (the order ids are given in) and its triples as JSON
    pending: pl.DataFrame | None = None


def _meta(con, name: str) -> str | None:
    row = first(con.execute("SELECT value FROM linli_meta WHERE name = ?", [name]))
    return row[0] if row else None


def placeholder(row: int) -> str:
    """A deferred person id's stand-in: no cell can hold it (control characters are cleaned before)."""
    return f"\x00{row}"


def protect(con, raw: RawTable, defer: bool = False) -> Protection:
    """Replace personal values in id columns and derive person ids, in raw.frame (in memory). `defer`: a
    person id depends on every row of the file (rows with two identifiers go first), so a file read in
    chunks gives its rows placeholder(row) and the rows waiting (Protection.pending) to assign_deferred."""
    feed = FEEDS[raw.kind]
    frame = raw.frame
    id_cols = [c.name for c in feed.columns if c.kind == ID]
    holds = {c: frame.select(personal.holds_personal_value(pl.col(c)).alias("h"))["h"] for c in id_cols}
    person = feed.person_column
    needs_person = person is not None and (raw.identifiers is not None or holds[person].any())
    hashed = [c for c in id_cols if c != person and holds[c].any()]
    result = Protection()
    if not hashed and not needs_person:
        return result
    remembered = _meta(con, "key_fingerprint")
    key, fp = personal.key_for_store(remembered)
    if remembered is None:
        result.fingerprint = fp
    hasher = personal.Hasher(key)
    for c in hashed:
        # the keyed hash (Python, one call a value) for the cells that hold a number only, not the whole column
        idx = holds[c].arg_true()
        tokens = pl.Series(c, [hasher.token(v) for v in frame[c].gather(idx).to_list()], dtype=pl.Utf8)
        frame = frame.with_columns(frame[c].clone().scatter(idx, tokens))
    result.hashed_columns = [raw.mapping.get(c, c) for c in hashed]
    if needs_person:
        frame = _person_ids(con, frame, raw, person, holds[person], hasher, result, defer)
    raw.frame = frame
    return result


PERSON = "_person"   # a derived person id's triples (kind, link hash, own id) as JSON, stored with the row


def _person_ids(con, frame: pl.DataFrame, raw: RawTable, person: str, holds: pl.Series,
                hasher: personal.Hasher, result: Protection, defer: bool = False) -> pl.DataFrame:
    given = frame[person].to_list()
    sources = raw.identifiers or [[] for _ in given]
    todo: list[int] = []
    triples: list[list[tuple[str, str, str]]] = []
    for i, (value, ids) in enumerate(zip(given, sources)):
        if value not in (None, "") and not holds[i]:
            continue                       # an ordinary id (S-0012): kept as written
        ids = list(ids)
        if value not in (None, ""):
            own = personal.identifier_in(value)
            if own not in ids:
                ids.append(own)
        ids.sort(key=lambda x: ("idcard", "phone", "name").index(x[0]))
        if ids:
            todo.append(i)
            triples.append(personal.person_triples(hasher, ids))
    if defer:
        rows = frame["_row"].gather(todo).to_list() if todo else []
        result.pending = pl.DataFrame({"_row": rows, "strong": [sum(k != "name" for k, _, _ in t) for t in triples],
                                       "triples": [json.dumps(t) for t in triples]},
                                      schema={"_row": pl.Int64, "strong": pl.Int64, "triples": pl.Utf8})
        ids = [placeholder(r) for r in rows]
    else:
        known, with_idcard = _links(con)
        ids, result.links = personal.assign_person_ids(triples, known, with_idcard)
    column, stored = list(given), [None] * len(given)
    for i, pid, row in zip(todo, ids, triples):
        column[i] = pid
        stored[i] = json.dumps(row)
    return frame.with_columns(pl.Series(person, column, dtype=pl.Utf8), pl.Series(PERSON, stored, dtype=pl.Utf8))


def assign_deferred(con, pending: str, into: str, batch: int = 100_000) -> dict[str, tuple[str, str]]:
    """Person ids for the rows `pending` (a relation: _row, strong, triples) as one call of assign_person_ids
    over them all would give: rows with more identifiers first, then in row order, in batches (it updates the
    links it is handed in place); written to the temp table `into` (_row, pid). Returns the new links."""
    known, with_idcard = _links(con)
    links: dict[str, tuple[str, str]] = {}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {into} (_row BIGINT, pid VARCHAR)")
    # numbered in that order, read a batch at a time (a result left open would close at the next statement)
    con.execute(f"CREATE OR REPLACE TEMP TABLE pending_in_order AS SELECT row_number() OVER "
                f"(ORDER BY strong DESC, _row) AS n, _row, triples FROM {pending} ORDER BY n")
    start = 1
    while rows := con.execute("SELECT _row, triples FROM pending_in_order WHERE n >= ? AND n < ? ORDER BY n",
                              [start, start + batch]).fetchall():
        start += batch
        ids, new = personal.assign_person_ids([[tuple(t) for t in json.loads(r[1])] for r in rows], known, with_idcard)
        links.update(new)
        con.register("pid_df", pl.DataFrame({"_row": [r[0] for r in rows], "pid": ids},
                                            schema={"_row": pl.Int64, "pid": pl.Utf8}).to_arrow())
        con.execute(f"INSERT INTO {into} SELECT * FROM pid_df")
        con.unregister("pid_df")
    con.execute("DROP TABLE pending_in_order")
    return links


def _links(con) -> tuple[dict[str, str], set[str]]:
    linked = con.execute("""SELECT l.ident_hash, l.person_id, l.ident_kind FROM person_links l
                            JOIN imports i USING (import_id) WHERE i.status = 'applied'""").fetchall()
    return {h: pid for h, pid, _ in linked}, {pid for _, pid, kind in linked if kind == "idcard"}


def relink(con) -> int:
    """After an undo: person ids and links exactly as if the undone import had never happened.

    Replays every applied import in order over the triples stored with its rows (no key needed),
    rewrites the person ids that change and the link table. Returns the number of rows changed;
    the caller makes the next build a full one, since these rows belong to no undone import.
    """
    feeds = [f for f in FEEDS.values() if f.person_column]
    rows: list[tuple] = []
    for feed in feeds:
        rows += [(imp, feed.name, r, stored, current) for imp, r, stored, current in con.execute(
            f"""SELECT r._import_id, r._row, r.{PERSON}, r.{feed.person_column} FROM raw_{feed.name} r
                JOIN imports i ON i.import_id = r._import_id
                WHERE i.status = 'applied' AND r.{PERSON} IS NOT NULL""").fetchall()]
    rows.sort(key=lambda x: (x[0], x[1], x[2]))
    known: dict[str, str] = {}
    with_idcard: set[str] = set()
    links: list[tuple[str, str, int, str]] = []
    changed: dict[str, list[tuple[str, int, int]]] = {f.name: [] for f in feeds}
    for (imp, kind), group in groupby(rows, key=lambda x: (x[0], x[1])):
        group = list(group)
        ids, new = personal.assign_person_ids([[tuple(t) for t in json.loads(g[3])] for g in group],
                                              known, with_idcard)
        links += [(h, pid, imp, k) for h, (pid, k) in new.items()]
        changed[kind] += [(pid, imp, g[2]) for pid, g in zip(ids, group) if pid != g[4]]
    for feed in feeds:
        if not changed[feed.name]:
            continue
        con.register("relinked", pl.DataFrame(changed[feed.name], schema=["pid", "imp", "row"], orient="row").to_arrow())
        row_text = ", ".join("x.pid" if c == feed.person_column else f"r.{c}" for c in feed.names)
        con.execute(f"""UPDATE raw_{feed.name} r SET {feed.person_column} = x.pid,
                               _hash = md5(CAST(ROW({row_text}, r._extra) AS VARCHAR))
                        FROM relinked x WHERE r._import_id = x.imp AND r._row = x.row""")
        con.unregister("relinked")
    con.execute("DELETE FROM person_links")
    if links:
        con.register("links_df", pl.DataFrame(links, schema=["h", "pid", "imp", "kind"], orient="row").to_arrow())
        con.execute("INSERT INTO person_links (ident_hash, person_id, import_id, ident_kind) "
                    "SELECT h, pid, imp, kind FROM links_df")
        con.unregister("links_df")
    return sum(len(v) for v in changed.values())
