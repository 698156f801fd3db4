"""What a meeting brief is: its headline numbers, alerts, detail tables and records, ready to be drawn as
a workbook, a PDF or a share card (xlsx.py, pdf.py, png.py). content.py gathers one."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from pipelines.present import format as fmt
from pipelines.present.alerts import Alert
from pipelines.present.i18n import t

TREND_PERIODS = 12
# The share card's few numbers: what the group acts on in that meeting (SPEC §1: parcel point weekly,
# noise feedback monthly). Metrics the registry lacks are skipped, so the list may name newer ones.
CARD = {"week": ["complaints.noise_outside_hours", "parcels.peak_occupancy_ratio", "parcels.overdue",
                 "complaints.count", "complaints.open_at_end"],
        "month": ["complaints.noise_outside_hours", "feedback.dissatisfied_share", "parcels.overdue_rate",
                  "complaints.count", "training.participants"]}
# The charts of the PDF: (title key, metrics) drawn over the last TREND_PERIODS periods
CHARTS = [("brief.chart.noise", ["complaints.noise", "complaints.noise_outside_hours"]),
          ("brief.chart.peak", ["parcels.peak_occupancy_ratio"])]


@dataclass(frozen=True)
class Headline:
    metric: str
    name: str
    kind: str              # unit kind of the registry: count, rate, hours, yuan, per1k
    good: int              # 1 higher is better, -1 lower is better, 0 neither
    value: float | None
    previous: float | None
    # the metric's feed is not brought up to the period (SPEC §6): 未导入, not 0 and no change; `value` is None
    not_imported: bool = False

    @property
    def change(self) -> float | None:
        return None if self.value is None or self.previous is None else self.value - self.previous

    def shown(self, lang: str) -> str:
        """The value as the brief prints it: 未导入 where the feed is not imported (never 0)."""
        return t("tile.not_imported", lang) if self.not_imported else fmt.shown(self.metric, self.value, lang)

    def shown_change(self, lang: str) -> str | None:
        """The change as printed (+1, −¥50.00), or None: none where either period has no number."""
        return None if self.not_imported else fmt.delta(self.metric, self.value, self.previous, lang)


@dataclass(frozen=True)
class Table:
    """A detail table: Chinese headers, values as numbers; `rates` are columns of shares (0.75 = 75 %).
    Text is kept as it came: the workbook neutralises formula-like cells as it writes them (xlsx.py)."""
    title: str
    frame: pd.DataFrame
    rates: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Brief:
    lang: str
    community: str
    community_name: str
    grain: str
    period: dt.date
    label: str                       # 2025年第23周 · 6月2日–6月8日 (with the data end when partial)
    previous_label: str | None
    partial: bool
    headlines: tuple[Headline, ...]
    card: tuple[str, ...]
    alerts: tuple[Alert, ...]
    series: pd.DataFrame             # period_start, metric, value for the trend charts
    details: tuple[Table, ...]
    actions: Table
    cases: Table
    built_at: dt.datetime | None
    notes: tuple[str, ...] = field(default=())
    # the report to the street office (issue 19): the text the community saved, else the draft
    # (pipelines/reports/draft.py); None where it was not asked for (an English brief, a test's brief)
    report: str | None = None
    # the feeds of the period's numbers the community never imported at all (no data yet), as against those
    # brought up to an earlier period: a community that keeps no cooperative books has no fund to report
    no_data: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return t(f"brief.title.{self.grain}", self.lang, community=self.community_name)

    def headline(self, metric: str) -> Headline | None:
        return next((h for h in self.headlines if h.metric == metric), None)

    def tr(self, key: str, **values) -> str:
        return t(key, self.lang, **values)
