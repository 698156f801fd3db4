"""Keyed hashing of personal data: the same person gets the same id across files,
and no one can read the person back without the key, which lives outside the
repository (LINLI_KEY_FILE, else ~/.config/linli/person.key, made on first use).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

import polars as pl

from .feeds import PERSONAL_PRIORITY


def key_path() -> Path:
    env = os.environ.get("LINLI_KEY_FILE")
    return Path(env) if env else Path.home() / ".config" / "linli" / "person.key"


@lru_cache(maxsize=4)
def _key(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return bytes.fromhex(p.read_text().strip())


def normalize_identifier(value: str) -> str:
    v = re.sub(r"[\s\-()（）]", "", value).upper()
    if re.fullmatch(r"(\+?86)?1\d{10}", v):      # mobile numbers with or without +86
        v = v[-11:]
    return v


def person_id(value: str) -> str:
    digest = hmac.new(_key(str(key_path())), normalize_identifier(value).encode(), hashlib.sha256).hexdigest()
    return "P" + digest[:16]


def _strength(header: str) -> int:
    h = header.lower()
    for rank, words in enumerate(PERSONAL_PRIORITY):
        if any(w in h for w in words):
            return rank
    return len(PERSONAL_PRIORITY)


def derive_person_ids(values: pl.DataFrame) -> pl.Series:
    """One id per row from the strongest personal identifier present in that row."""
    ordered = sorted(values.columns, key=_strength)
    first = values.select(pl.coalesce([
        pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c).str.strip_chars()) for c in ordered
    ]).alias("v"))["v"]
    return first.map_elements(person_id, return_dtype=pl.Utf8, skip_nulls=True).alias("person")
