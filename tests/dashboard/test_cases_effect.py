"""The effect chart on the 协商议题 page (issue 16 item 7): every week since the agreement, ticks on Mondays in
the app's Chinese date style, and the latest weeks' mean drawn over them."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from dashboard.parts.case_detail import effect_chart
from pipelines.present.i18n import t
from pipelines.records.effect import effect

AGREED = dt.date(2026, 3, 16)      # a Monday
SERIES = [3, 2, 3, 2, 3, 2, 3, 2] + [0, 1, 0, 0, 1, 0, 0, 0] + [3, 2, 3, 2, 3, 5, 3, 2]


def test_the_chart_shows_the_rebound_with_monday_ticks_in_chinese():
    weeks = [(AGREED + dt.timedelta(weeks=k - 8), v) for k, v in enumerate(SERIES)]
    e = effect("complaints.noise_outside_hours", weeks, AGREED)
    v = SimpleNamespace(lang="zh", tr=lambda key, **values: t(key, "zh", **values))
    spec = effect_chart(v, e).to_dict()
    layers = spec["layer"]
    axis = layers[0]["encoding"]["x"]["axis"]
    assert axis["format"] == "%-m月%-d日"
    ticks = [dt.date(d["year"], d["month"], d["date"]) for d in axis["values"]]
    assert ticks[0] == dt.date(2026, 1, 19) and all(d.weekday() == 0 for d in ticks) and len(ticks) <= 9
    data = spec["datasets"]
    rows = [r for rows in data.values() for r in rows if "side" in r]
    sides = {r["side"] for r in rows}
    assert sides == {"方案前", "方案后", "之后"}
    # the 8 rebound weeks are drawn, and the latest window's mean (23/8) across them
    assert sorted(r["value"] for r in rows if r["window"] == "later") == sorted(SERIES[16:])
    assert sorted(r["week"][:10] for r in rows if r["window"] == "latest") == [
        str(AGREED + dt.timedelta(weeks=k)) for k in range(8, 16)]
    assert {r["mean"] for r in rows if r.get("window") == "latest"} == {2.875}
