"""A date in a chart's tooltip is written as the pages write a date (2026年12月7日 in Chinese, 7 Dec 2026 in
English): left to itself Vega-Lite writes a temporal field in English (Dec 07, 2026). Every chart builder with a
temporal field in its tooltip, and the charts 快递代收点 draws, are read back from their Vega-Lite specs."""
from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.parts.case_detail import effect_chart
from pipelines.present import charts, outlook
from pipelines.present.i18n import t
from pipelines.records.effect import effect
from tests.dashboard.conftest import APP

DATE = {"zh": "%Y年%-m月%-d日", "en": "%-d %b %Y"}


def temporal_tips(spec) -> list[dict]:
    """Every tooltip field of a temporal type anywhere in a Vega-Lite spec (layers, facets, encodings)."""
    found = []
    if isinstance(spec, dict):
        tips = spec.get("tooltip")
        for tip in tips if isinstance(tips, list) else [tips] if isinstance(tips, dict) else []:
            if tip.get("type") == "temporal" or str(tip.get("field", "")).endswith(":T"):
                found.append(tip)
        for value in spec.values():
            found += temporal_tips(value)
    elif isinstance(spec, list):
        for value in spec:
            found += temporal_tips(value)
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_builder_writes_a_tooltips_date_in_the_pages_way(lang):
    days = pd.DataFrame({"day": pd.to_datetime(["2026-12-07", "2026-12-08"]), "v": [1, 2], "s": ["a", "a"]})
    built = [charts.lines(days, "day", "v", "s", "日", "值", "点", lang=lang),
             charts.stacked_bars(days, "day", "v", "s", "日", "值", "点", lang=lang)]
    ahead = pd.DataFrame({"day": [dt.date(2026, 12, 7)], "name": ["东门驿站"], "expected_ratio": [0.9],
                          "lower_peak": [80.0], "upper_peak": [100.0], "capacity": [100.0]})
    built.append(outlook.band_chart(ahead, "日期", "占用率", "代收点", "范围", lang))
    agreed = dt.date(2026, 3, 16)
    e = effect("complaints.noise_outside_hours", [(agreed + dt.timedelta(weeks=k - 8), 1) for k in range(16)], agreed)
    built.append(effect_chart(SimpleNamespace(lang=lang, tr=lambda key, **values: t(key, lang, **values)), e))
    for chart in built:
        tips = temporal_tips(chart.to_dict())
        assert tips and {tip.get("format") for tip in tips} == {DATE[lang]}, (lang, tips)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_parcels_page_daily_chart_writes_its_tooltips_date_in_the_ui_language(fixture_db, monkeypatch, lang):
    monkeypatch.setenv("LINLI_DB", str(fixture_db))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": lang, "c": "A", "g": "week", "p": "2025-06-02"})
    at.switch_page("screens/parcels.py").run()   # straight to the page, as a link opens it
    assert not at.exception, [e.message for e in at.exception]
    specs = [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]
    tips = [tip for spec in specs for tip in temporal_tips(spec)]
    assert tips and {tip.get("format") for tip in tips} == {DATE[lang]}
