"""The store's side of personal data: keyed hashes for id columns and person ids, links between
a person's identifiers, and the key's fingerprint. Runs on a file's rows after reading and before
validation, so nothing personal reaches the quarantine or the tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from . import personal
from .feeds import FEEDS, ID
from .readers import RawTable
from .sqlrows import first


@dataclass
class Protection:
    fingerprint: str | None = None           # to remember, when this import first used the key
    links: dict[str, tuple[str, str]] = field(default_factory=dict)   # identifier hash -> (person id, kind), new
    hashed_columns: list[str] = field(default_factory=list)   # id columns whose personal values became hashes


def _meta(con, name: str) -> str | None:
    row = first(con.execute("SELECT value FROM linli_meta WHERE name = ?", [name]))
    return row[0] if row else None


def protect(con, raw: RawTable) -> Protection:
    """Replace personal values in id columns and derive person ids, in raw.frame (in memory)."""
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
        frame = frame.with_columns(pl.when(holds[c]).then(pl.col(c).map_elements(hasher.token, return_dtype=pl.Utf8))
                                   .otherwise(pl.col(c)).alias(c))
    result.hashed_columns = [raw.mapping.get(c, c) for c in hashed]
    if needs_person:
        frame = _person_ids(con, frame, raw, person, holds[person], hasher, result)
    raw.frame = frame
    return result


def _person_ids(con, frame: pl.DataFrame, raw: RawTable, person: str, holds: pl.Series,
                hasher: personal.Hasher, result: Protection) -> pl.DataFrame:
    given = frame[person].to_list()
    sources = raw.identifiers or [[] for _ in given]
    todo: list[int] = []
    identifiers: list[list[tuple[str, str]]] = []
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
            identifiers.append(ids)
    linked = con.execute("""SELECT l.ident_hash, l.person_id, l.ident_kind FROM person_links l
                            JOIN imports i USING (import_id) WHERE i.status = 'applied'""").fetchall()
    known = {h: pid for h, pid, _ in linked}
    with_idcard = {pid for _, pid, kind in linked if kind == "idcard"}
    ids, links = personal.resolve_person_ids(hasher, identifiers, known, with_idcard)
    result.links = links
    column = list(given)
    for i, pid in zip(todo, ids):
        column[i] = pid
    return frame.with_columns(pl.Series(person, column, dtype=pl.Utf8))
