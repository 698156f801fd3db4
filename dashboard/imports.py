"""The dashboard's import and undo: the store's import (or undo), then a rebuild, as `linli ingest` then
`linli build` do. Who may import into which community is decided by the caller from the one access policy
(pipelines/records/access.py) and passed on as `allowed_communities`, which the store enforces."""
from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.build.runner import build
from pipelines.errors import FileRefused, UserError
from pipelines.ingest import browser_upload, profiles
from pipelines.ingest.store import complete_kpi, import_file, kpi_changes, undo


@dataclass
class Outcome:
    file_name: str
    report: object | None = None          # store.ImportReport
    refused: FileRefused | UserError | None = None
    changed: list = field(default_factory=list)   # store.KpiChange: numbers of complete periods the import moved


def run_import(db_path, upload: browser_upload.Upload, kind: str, profile: profiles.Profile | None, user: str | None = None,
               progress=None, allowed_communities=None) -> Outcome:
    """Import one upload and rebuild, as `linli ingest` then `linli build` would. `allowed_communities`
    goes to the store, which refuses a file with any other community's row (None: no limit)."""
    step = progress or (lambda fraction, stage: None)
    # the numbers of the periods already complete, to say afterwards which of them the import moved
    before = complete_kpi(db_path, allowed_communities)
    try:
        with browser_upload.on_disk(upload) as path:
            report = import_file(db_path, kind, path, display_name=upload.name, profile=profile, user=user,
                                 progress=lambda f, stage: step(f * 0.8, stage),
                                 allowed_communities=allowed_communities)
    except (FileRefused, UserError) as exc:
        return Outcome(upload.name, refused=exc)
    step(0.85, "build")
    build(db_path)
    changed = kpi_changes(before, complete_kpi(db_path, allowed_communities))
    step(1.0, "done")
    return Outcome(upload.name, report=report, changed=changed)


def undo_import(db_path, import_id: int, user: str | None = None, allowed_communities=None) -> str:
    """Undo and rebuild; the store raises UserError for an import not all of `allowed_communities`."""
    name = undo(db_path, import_id, user=user, allowed_communities=allowed_communities)
    build(db_path)
    return name
