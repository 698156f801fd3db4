"""What every `linli` command shares: the database it works on and the language it answers in."""
from __future__ import annotations

import os
from pathlib import Path

from pipelines.database import default_path


def db_path(args) -> Path:
    """--db, else LINLI_DB, else data/linli.duckdb (SPEC §2)."""
    return Path(args.db) if args.db else default_path()


def ui_lang() -> str:
    """LINLI_LANG=en answers in English; Chinese otherwise."""
    return "en" if os.environ.get("LINLI_LANG", "zh").lower().startswith("en") else "zh"
