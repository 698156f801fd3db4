"""ui.chart draws a chart's Vega-Lite spec made once per arguments (ui.once): the same element st.altair_chart draws
of the chart itself, without building the chart again at every rerun."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

BUILT: list[tuple] = []


def counted_bars(*args, **kwargs):
    from pipelines.present import charts
    BUILT.append(args[1:])
    return charts.bars(*args, **kwargs)


def _page():
    from types import SimpleNamespace

    import pandas as pd
    import streamlit as st

    from dashboard.parts import ui
    from pipelines.present import charts
    from tests.dashboard.test_chart_once import counted_bars
    df = pd.DataFrame({"name": ["甲社区", "乙社区"], "value": [3.0, 5.5]})
    st.altair_chart(charts.bars(df, "name", "value", "社区", "数值", horizontal=True), width="stretch")
    ui.chart(SimpleNamespace(), ui.once(counted_bars)(df, "name", "value", "社区", "数值", horizontal=True), True)


def test_the_cached_spec_is_the_element_altair_chart_draws_and_is_built_once():
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception
    direct, cached = at.get("vega_lite_chart")
    assert cached.proto.spec == direct.proto.spec
    assert [(d.name, d.data.data) for d in cached.proto.datasets] == [(d.name, d.data.data) for d in direct.proto.datasets]
    assert len(direct.proto.datasets) == 1
    at.run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 2
    assert BUILT == [("name", "value", "社区", "数值")]   # the rerun drew it from the cache
