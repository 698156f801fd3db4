"""What the `coverage` table (sql/marts/coverage.sql) means where numbers are shown, for the pages and the
briefs alike: which feeds are not imported to a period (their metrics read 未导入, SPEC §6), and those
feeds in words."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.metrics import feed_of
from pipelines.present import format as fmt
from pipelines.present.i18n import label, t

Behind = tuple[str, "dt.datetime | None"]     # a feed and the time its data runs to (None: no data yet)


def missing_by_period(cov: pd.DataFrame) -> dict[dt.date, frozenset[str]]:
    """period -> the feeds not complete for it, from snapshot_reader.coverage's rows; every period the
    table holds has an entry (empty where all feeds are complete)."""
    missing: dict = {}
    late = ~cov["complete"]
    for start, feed in zip(cov["period_start"][late], cov["feed"][late]):
        missing.setdefault(start, set()).add(feed)
    return {start: frozenset(missing.get(start, ())) for start in cov["period_start"].unique()}


def not_imported(metrics, behind, missing_now) -> list[Behind]:
    """The feeds of `metrics` whose numbers read 未导入 in a period: those behind it, with the day their data
    runs to, then the feeds missing there that hold no period back (never imported: no data yet)."""
    used = list(dict.fromkeys(feed_of(m) for m in metrics))
    late = [(feed, end) for feed, end in behind if feed in used]
    return late + [(feed, None) for feed in used if feed in missing_now and feed not in dict(late)]


def behind_text(behind, lang: str) -> str:
    """订单数据截至1月4日、培训签到数据截至1月1日: each feed behind and the day its data runs to."""
    return t("behind.sep", lang).join(
        t("behind.feed", lang, feed=label("kind", feed, lang), end=fmt.date(end, lang)) if end is not None
        else t("behind.none", lang, feed=label("kind", feed, lang)) for feed, end in behind)
