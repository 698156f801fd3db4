"""The brief's governance sections: open action items and consultation cases (SPEC §8), from the store's records."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..i18n import t
from .content import Table

ACTION_COLUMNS = ["action_id", "title", "metric", "subject", "owner", "due_on", "status"]
CASE_COLUMNS = ["case_id", "title", "step", "agreed_on", "solution"]


def actions_table(src, community: str, lang: str, today: dt.date | None = None) -> Table:
    rows = pd.DataFrame(columns=ACTION_COLUMNS)
    return Table(t("brief.sheet.actions", lang), _headed(rows, "brief.action", lang))


def cases_table(src, community: str, lang: str) -> Table:
    rows = pd.DataFrame(columns=CASE_COLUMNS)
    return Table(t("brief.sheet.cases", lang), _headed(rows, "brief.case", lang))


def _headed(df: pd.DataFrame, prefix: str, lang: str) -> pd.DataFrame:
    return df.rename(columns={c: t(f"{prefix}.{c}", lang) for c in df.columns})
