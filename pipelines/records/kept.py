"""Tables that hold what people recorded rather than what they imported (SPEC §8, §9).

`linli build` never rebuilds them, and no re-import, undo or demo run may change or
lose them. Each module that creates such a table lists it here, so the demo (which
starts the imported data afresh) and the snapshot publisher know what to carry over.
"""
from __future__ import annotations

# Add a table name here when a module creates a table of records (governance, users, audit).
KEPT_TABLES: tuple[str, ...] = ("audit_log", "users", "login_failures",
                               # the rules a community set (pipelines/ingest/store.py set_rules), of every
                               # community, also those the demo does not know
                               "community_rules",
                               "alert_rules", "alert_rules_history", "community_rules_history",
                               # governance records: pipelines/records/actions.py, pipelines/records/cases.py
                               "action_items", "action_items_history", "consult_cases", "consult_parties",
                               "consult_meetings", "consult_metrics", "consult_timeline", "consult_history",
                               # the cooperative's split, one row per adoption (pipelines/records/coop_split.py)
                               "coop_split",
                               # the reports to the street office (pipelines/records/reports.py), and the
                               # deliveries of the scheduled briefs (pipelines/reports/deliver.py)
                               "reports", "reports_history", "deliveries",
                               # a community's own events for the forecasts (pipelines/records/events.py)
                               "community_events")
