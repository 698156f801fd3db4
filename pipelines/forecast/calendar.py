"""The festival calendar (festivals.csv, shipped with the package) and a community's own events.

A festival's effect on parcels reaches past its last day (parcels arrive a few days after the orders), so
each occurrence covers its days and TAIL days after; the forecast learns an uplift per day counted from the
first of its main days (pipelines/forecast/model.py): 618's three main days and 双11's two then line up where
their parcels peak, a few days after the main days begin.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

FESTIVALS = Path(__file__).with_name("festivals.csv")
# days after a festival's last day that its parcels still arrive (the demo's lag is 3; couriers run late)
TAIL = 6
EVENT_KIND = "community"


@dataclass(frozen=True)
class Occurrence:
    name: str
    kind: str          # festivals of one kind may learn from each other (major_sale, minor_sale, holiday, community)
    starts_on: dt.date
    ends_on: dt.date
    main_from: dt.date | None = None    # the first main day (after a presale); None: the first day

    @property
    def reach_end(self) -> dt.date:
        """The last day its effect reaches (its tail's last)."""
        return self.ends_on + dt.timedelta(days=TAIL)

    def offset(self, day: dt.date) -> int | None:
        """The day counted from the first main day (0 on it, negative in the presale), or None outside its reach."""
        if self.starts_on <= day <= self.reach_end:
            return (day - (self.main_from or self.starts_on)).days
        return None


def festivals(path: Path = FESTIVALS) -> list[Occurrence]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return [Occurrence(r["name"], r["kind"], dt.date.fromisoformat(r["starts_on"]),
                           dt.date.fromisoformat(r["ends_on"]), dt.date.fromisoformat(r["main_from"])) for r in rows]


def community_occurrences(con, community_id: str) -> list[Occurrence]:
    """The community's own events (pipelines/records/events.py); none where the table was never made."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'community_events'").fetchall()[0][0]:
        return []
    rows = con.execute("SELECT name, kind, starts_on, ends_on FROM community_events WHERE community_id = ?",
                       [community_id]).fetchall()
    return [Occurrence(n, k or EVENT_KIND, s, e) for n, k, s, e in rows]


def all_community_occurrences(con) -> dict[str, list[Occurrence]]:
    """`community_occurrences` of every community at once, each in the order that one gives."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'community_events'").fetchall()[0][0]:
        return {}
    out: dict[str, list[Occurrence]] = {}
    for c, n, k, s, e in con.execute("SELECT community_id, name, kind, starts_on, ends_on FROM community_events "
                                     "ORDER BY community_id, event_id").fetchall():
        out.setdefault(c, []).append(Occurrence(n, k or EVENT_KIND, s, e))
    return out
