"""The import page's work without Streamlit: recognise an upload, preview it, edit its mapping.
(Importing it and rebuilding: dashboard/imports.py.)

Uploaded bytes stay in memory; the reader needs a path, so each step writes them to a private
temporary folder and deletes them before returning (they may hold names and phone numbers).
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import polars as pl

from pipelines import personal
from pipelines.errors import FileRefused, UserError
from pipelines.feeds import FEEDS
from pipelines.ingest import profiles
from pipelines.ingest.profiles import Profile
from pipelines.ingest.chunked import CsvChunks, open_table
from pipelines.ingest.readers import EXTRA, ROW, RawTable, _header_index, _match, decode_bytes, is_data_row
from pipelines.ingest.staging import masked_in_order

DROP, KEEP = "-", ""          # mapping choices besides a field: leave the column out, keep it as it is
PREVIEW_ROWS = 10
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@contextmanager
def on_disk(upload: Upload):
    """The upload as a file for as long as the reader needs it, in a folder only this user can read."""
    folder = tempfile.mkdtemp(prefix="linli-upload-")
    suffix = ".xlsx" if upload.data[:4] == b"PK\x03\x04" else ".csv"
    path = Path(folder) / ("upload" + suffix)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(upload.data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _head_rows(upload: Upload) -> list[list[str]]:
    """The first rows under every separator the reader knows (a wrong one gives one-cell rows, which match nothing)."""
    if upload.data[:4] == b"PK\x03\x04":
        from pipelines.ingest.xlsx import read_rows
        with on_disk(upload) as path:
            rows, _ = read_rows(path, upload.name, None)
        return [[str(c or "") for c in r] for r in rows[:30]]
    head = upload.data[:HEAD_BYTES]
    if len(upload.data) > HEAD_BYTES and b"\n" in head:
        head = head[:head.rindex(b"\n")]
    text, _ = decode_bytes(head, upload.name)
    rows: list[list[str]] = []
    for delimiter in (",", "\t", ";", "，", "|"):
        try:
            rows += [r for _, r in zip(range(30), csv.reader(io.StringIO(text), delimiter=delimiter))]
        except csv.Error:
            continue
    return rows


def recognise(upload: Upload, db_path, communities=None) -> tuple[str | None, Profile | None]:
    """The feed (and the profile) a file's header row names: a profile the importer's `communities`
    (None: an admin's) may have chosen by headers first, else the feed that names most of the row's
    columns (then: most of its required ones)."""
    try:
        rows = _head_rows(upload)
    except FileRefused:
        return None, None
    candidates = profiles.candidates(db_path, communities=communities)
    for row in rows:
        chosen = profiles.choose(candidates, row)
        if chosen is not None:
            return chosen.kind, chosen
    best, best_score = None, (0, 0.0)
    for kind, feed in FEEDS.items():
        index = _header_index(feed)
        required = {c.name for c in feed.columns if c.required} - {feed.person_column}
        for row in rows:
            named = {_match(c, index) for c in row if c.strip()} - {None}
            hit = len(named & required)
            score = (len(named), hit / len(required))
            if score > best_score:
                best, best_score = kind, score
    return (best if best_score[0] >= 2 else None), None


@dataclass
class Preview:
    raw: RawTable | None = None
    refused: FileRefused | UserError | None = None
    fates: list[tuple[str, str, str]] = field(default_factory=list)   # (header, fate code, detail)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    headers: list[str] = field(default_factory=list)    # the header row, also when the file was refused

    def mapping(self) -> dict[str, tuple[str, ...]]:
        """header -> fields, as the reader matched them (the starting point for an edit)."""
        out: dict[str, tuple[str, ...]] = {}
        for fld, header in (self.raw.mapping.items() if self.raw else []):
            if header in self.raw.source_headers:
                out[header] = (*out.get(header, ()), fld)
        return out


def _fates(raw: RawTable) -> list[tuple[str, str, str]]:
    """What becomes of every column (SPEC §3): a field, kept as it is, masked, dropped, a person id's source."""
    by_header: dict[str, list[str]] = {}
    for fld, header in raw.mapping.items():
        by_header.setdefault(header, []).append(fld)
    fates = []
    seen = set()
    for header in [*raw.source_headers, *(h for h in by_header if h not in raw.source_headers)]:
        if header in seen:
            continue
        seen.add(header)
        if header in by_header:
            fates.append((header, "field", ", ".join(by_header[header])))
        elif header in raw.id_sources:
            fates.append((header, "person_id", ""))
        elif header in raw.personal:
            fates.append((header, "personal", ""))
        elif header in raw.dropped_by_value:
            fates.append((header, "identifiers", ""))
        elif header in raw.masked:
            fates.append((header, "masked", str(raw.masked[header])))
        elif header in raw.ignored:
            fates.append((header, "extra", ""))
        else:
            fates.append((header, "dropped", ""))
    return fates


def _shown_rows(raw: RawTable) -> pd.DataFrame:
    feed = FEEDS[raw.kind]
    head = raw.frame.head(PREVIEW_ROWS)
    used = [c for c in feed.names if head[c].is_not_null().any()]
    # an id column may still hold a phone number here (the store hashes it): never show one
    return head.select([pl.col(ROW), *(personal.mask(pl.col(c)).alias(c) for c in used),
                        personal.mask(pl.col(EXTRA)).alias(EXTRA)]).to_pandas()


def preview(upload: Upload, kind: str, profile: Profile | None, db_path, communities=None) -> Preview:
    """`profile` None: the one the import will choose by headers for `communities` (the store's rule)."""
    try:
        with on_disk(upload) as path:
            raw = open_table(path, kind, display_name=upload.name, profile=profile,
                             candidates=() if profile else profiles.candidates(db_path, kind, communities))
            if isinstance(raw, CsvChunks):
                raw = _previewed(raw)
    except (FileRefused, UserError) as exc:
        # a required column under a name Linli does not know: the mapping can still be edited
        return Preview(refused=exc, headers=_guess_headers(upload, kind))
    return Preview(raw=raw, fates=_fates(raw), rows=_shown_rows(raw), headers=raw.source_headers)


def _previewed(chunks: CsvChunks) -> RawTable:
    """A large CSV as the preview reads it, a chunk at a time (as the import will): the file's first rows
    only, every chunk's masked cells counted; the whole file where the chunks read otherwise."""
    first, rows, masked = None, [], {}
    for table in chunks.tables():
        first = first or replace(table, frame=pl.DataFrame(), identifiers=None)
        if sum(r.height for r in rows) < PREVIEW_ROWS:
            rows.append(table.frame.head(PREVIEW_ROWS))
        for header, n in table.masked.items():
            masked[header] = masked.get(header, 0) + n
    if not chunks.dropped_as_whole():
        return chunks.whole()
    first.frame = pl.concat(rows).head(PREVIEW_ROWS)
    first.masked = masked_in_order(first, masked)
    return first


def _guess_headers(upload: Upload, kind: str) -> list[str]:
    """The row that names most of the feed's columns, else the widest of the first rows."""
    try:
        rows = _head_rows(upload)
    except FileRefused:
        return []
    index = _header_index(FEEDS[kind])
    # a resident's row (it holds a phone or ID number) is never offered as column names (issue 15 item 4)
    scored = [(len({_match(c, index) for c in r if c.strip()} - {None}), sum(1 for c in r if c.strip()), -i, r)
              for i, r in enumerate(rows) if not is_data_row(r)]
    return [personal.mask_text(str(c)) for c in max(scored)[3]] if scored else []


def edited(base: Profile | None, kind: str, headers: list[str], start: dict[str, tuple[str, ...]],
           choices: dict[str, str], community: str | None = None) -> Profile:
    """The mapping as edited: `choices` holds header -> field, DROP or KEEP for the headers the user changed;
    a community typed in becomes a constant. Everything else of `base` (value maps, dates…) stays."""
    columns = dict(base.columns if base else start)
    drop = list(base.drop if base else ())
    for header, choice in choices.items():
        columns.pop(header, None)
        if header in drop:
            drop.remove(header)
        if choice == DROP:
            drop.append(header)
        elif choice != KEEP:
            columns[header] = (choice,)
    constants = dict(base.constants if base else {})
    if community:
        constants["community_id"] = community.strip()
        columns = {h: tuple(f for f in fs if f != "community_id") for h, fs in columns.items()}
        columns = {h: fs for h, fs in columns.items() if fs}
    name = base.name if base else "edited"
    seed = base or Profile(name=name, kind=kind)
    return replace(seed, columns=columns, drop=tuple(drop), constants=constants, kind=kind,
                   headers=tuple(h for h in headers if h.strip()), path=None)


def save(db_path, profile: Profile, name: str, label: str = "", user: str | None = None, communities=None) -> Path:
    """Saved for the saver's community (`communities`: his; None: an admin's, the open demo), audited."""
    return profiles.save(db_path, replace(profile, name=name.strip(), label=label.strip() or name.strip()),
                         user=user, communities=communities)


def describe(profile: Profile | None, lang: str = "zh") -> str:
    """Which profile an import will apply and whose it is, as the page says before the import button."""
    zh = lang == "zh"
    if profile is None or not profile.name:
        return ("不使用导入档案：按 Linli 认识的表头导入。" if zh
                else "No import profile: the file is read by the headers Linli knows.")
    name = profile.label or profile.name
    if profile.path is None:
        whose = "上面改过的对应关系，尚未保存" if zh else "the mapping as edited above, not saved"
    elif profile.shipped:
        whose = "随 Linli 提供" if zh else "shipped with Linli"
    elif profile.owner() is None:
        whose = "所有社区共用" if zh else "for every community"
    else:
        whose = f"社区 {profile.owner()} 的档案" if zh else f"community {profile.owner()}'s"
    if profile.saved_by and profile.path is not None and not profile.shipped:
        whose += f"，{profile.saved_by} 保存" if zh else f", saved by {profile.saved_by}"
    return f"导入时将使用导入档案：{name}（{whose}）" if zh else f"This import will apply the import profile: {name} ({whose})"
