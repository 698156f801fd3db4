"""What every `linli` command shares: the database it works on and the language it answers in."""
from __future__ import annotations

from pathlib import Path

from pipelines.database import default_path
from pipelines.errors import ui_lang  # noqa: F401  (the commands' language, from here with their --db)


def db_path(args) -> Path:
    """--db, else LINLI_DB, else data/linli.duckdb (SPEC §2)."""
    return Path(args.db) if args.db else default_path()
