"""Fragments of SQL generated from the registries, filled into the model files at load time.

A model writes `{{ name }}` where a list or a number that the registries own belongs (the metrics
`kpi` collects, the times that span the period range, the rule defaults, the definitions of
pipelines/rule_defaults.py), so that adding a metric or a feed never means editing those lists by
hand, and a number the Python also uses is written once. Values are ours (registry names and
constants), never user input.
"""
from __future__ import annotations

import re

from pipelines.database import IMPORT_COMMUNITIES
from pipelines.feeds import FEEDS
from pipelines.metrics import PER_1K_HOUSEHOLDS, REGISTRY, marts
from pipelines.rule_defaults import COOP_RECONCILE_SHARE, COOP_SPLIT, DEFAULT_RULES, REPEAT_COMPLAINTS

PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
PERIOD_KEY = "(community_id, grain, period_start)"


def _alias(mart: str) -> str:
    return "m" + str(marts().index(mart))


def kpi_metric_columns() -> str:
    return ",\n           ".join(f'{_alias(m.mart)}.{m.column} AS "{m.key}"' for m in REGISTRY.values())


def kpi_mart_joins() -> str:
    return "\n    ".join(f"JOIN {mart} {_alias(mart)} USING {PERIOD_KEY}" for mart in marts())


def feed_time_bounds(read=lambda kind: f"stg_{kind}") -> str:
    """(community_id, feed, first_event, latest_event, rows) per event feed: the earliest and the latest of its
    times of SPEC §5's list (least and greatest ignore an empty picked_up_at / resolved_at), in one pass.
    `read(kind)`: the relation holding the feed's rows (its staging model; a city's lake reads its Parquet),
    None for a feed that has none."""
    parts = []
    for kind, feed in FEEDS.items():
        source = read(kind) if feed.is_event else None
        if source is None:
            continue
        # the least of each column's min is the min of each row's least (both skip NULLs): a min per column is
        # a plain aggregate, where least() per row cost a projection over 4 M parcels
        firsts = [f"min({c})::TIMESTAMP" for c in feed.period_times]
        latests = [f"max({c})::TIMESTAMP" for c in feed.period_times]
        first = firsts[0] if len(firsts) == 1 else f"least({', '.join(firsts)})"
        latest = latests[0] if len(latests) == 1 else f"greatest({', '.join(latests)})"
        parts.append(f"SELECT community_id, '{kind}' AS feed, {first} AS first_event, {latest} AS latest_event, "
                     f"count(*) AS rows FROM {source} GROUP BY community_id")
    return "\n    UNION ALL ".join(parts)


def event_feeds() -> str:
    """('orders'), ('parcels'), … : every event feed, as VALUES rows."""
    return ", ".join(f"('{kind}')" for kind, feed in FEEDS.items() if feed.is_event)


def feed_import_rows() -> str:
    """(community_id, feed, import_id) per event feed: which files brought rows of which community (every
    stored or seen version, so a file that only repeated rows it had counts too), as each import noted them
    (pipelines/ingest/store.py note_communities): a small table, where the versions are every row ever stored."""
    events = ", ".join(f"'{kind}'" for kind, feed in FEEDS.items() if feed.is_event)
    return f"SELECT DISTINCT community_id, kind AS feed, import_id FROM {IMPORT_COMMUNITIES} WHERE kind IN ({events})"


def event_communities() -> str:
    """Every community listed or holding events: int_feed_times has a row per community and event feed with rows,
    so the feeds' rows are not read again (a scan of every current row, on every build and increment)."""
    return "SELECT community_id FROM stg_communities\n    UNION SELECT community_id FROM int_feed_times"


def metric_keys() -> str:
    return ", ".join(f"('{key}')" for key in REGISTRY)


def metrics_where(predicate) -> str:
    keys = [key for key, m in REGISTRY.items() if predicate(m)]
    return ", ".join(f"'{k}'" for k in keys) or "NULL"


FRAGMENTS = {
    "kpi_metric_columns": kpi_metric_columns,
    "kpi_mart_joins": kpi_mart_joins,
    "event_communities": event_communities,
    "feed_time_bounds": feed_time_bounds,
    "event_feeds": event_feeds,
    "feed_import_rows": feed_import_rows,
    "metric_keys": metric_keys,
    "count_metrics": lambda: metrics_where(lambda m: m.unit == "count"),
    "share_metrics": lambda: metrics_where(lambda m: m.is_share),
    "rules.window_start": lambda: f"TIME '{DEFAULT_RULES['window_start']:%H:%M}'",
    "rules.window_end": lambda: f"TIME '{DEFAULT_RULES['window_end']:%H:%M}'",
    "rules.overdue_hours": lambda: f"{float(DEFAULT_RULES['overdue_hours']):g}",
    "repeat_complaints": lambda: f"{int(REPEAT_COMPLAINTS)}",
    "coop_split.members_pct": lambda: f"{COOP_SPLIT[0]}::DECIMAL(5, 2)",
    "coop_split.coop_pct": lambda: f"{COOP_SPLIT[1]}::DECIMAL(5, 2)",
    "coop_split.fund_pct": lambda: f"{COOP_SPLIT[2]}::DECIMAL(5, 2)",
    "coop_reconcile_share": lambda: f"{float(COOP_RECONCILE_SHARE):g}",
    "per_1k_measures": lambda: ", ".join(f"('{k}', '{m}')" for k, m in PER_1K_HOUSEHOLDS.items()),
}


def render(sql: str, where: str = "") -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in FRAGMENTS:
            raise ValueError(f"{where}: unknown placeholder {{{{ {name} }}}}")
        return FRAGMENTS[name]()
    return PLACEHOLDER.sub(fill, sql)
