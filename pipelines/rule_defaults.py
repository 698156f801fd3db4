"""The rules a community can change and their defaults, and the fixed definitions the metrics count
by (SPEC §5), written once.

The sql/ models read them through the build's template (`{{ rules.window_start }}`,
`{{ repeat_complaints }}` …: pipelines/build/sqlgen.py), the metric definitions, the alerts and the
dashboard through here. Nothing here imports the rest of the project, so any layer can.
"""
from __future__ import annotations

import datetime as dt

DEFAULT_RULES: dict = {
    "window_start": dt.time(9, 0),     # livestreams allowed from 09:00 …
    "window_end": dt.time(20, 0),      # … until 20:00
    "overdue_hours": 72.0,             # a parcel waiting longer than this is overdue
}

# Definitions, not settings: no community changes them.
# A building with this many livestream-noise complaints in a period, or more, is a "repeat building"
# (complaints.repeat_buildings in sql/marts/mart_complaints_period.sql; the alert and the follow-up list
# name the same buildings).
REPEAT_COMPLAINTS = 2
# A parcel point's peak stock ÷ capacity at which it is full: above it the point holds more parcels than
# it can (a point's state, the map's colour), and the over-capacity alert's default threshold.
FULL_CAPACITY = 1.0
# The cooperative's split where a community adopted none (SPEC §5): members, cooperative, fund, in percent.
# A community's own adoptions: pipelines/records/coop_split.py; applied per period by sql/marts/mart_coop_period.sql.
COOP_SPLIT = (70, 20, 10)
# The cooperative's booked sales and its shop's orders (channel coop_store) of a period differ by more than
# this share of the orders: the books and the shop do not agree (sql/marts/mart_coop_reconcile.sql).
COOP_RECONCILE_SHARE = 0.05
