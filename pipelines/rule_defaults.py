"""The rules a community can change, and their defaults (SPEC §5), written once.

`sql/intermediate/community_rules_effective.sql` reads them through the build's template
(`{{ rules.window_start }}` …), the metric definitions and the dashboard through here.
"""
from __future__ import annotations

import datetime as dt

DEFAULT_RULES: dict = {
    "window_start": dt.time(9, 0),     # livestreams allowed from 09:00 …
    "window_end": dt.time(20, 0),      # … until 20:00
    "overdue_hours": 72.0,             # a parcel waiting longer than this is overdue
}
