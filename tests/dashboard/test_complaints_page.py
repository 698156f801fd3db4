"""噪音投诉 on the hand-worked fixture (issue 16, item 4): what needs attention comes before the tiles, and
最近投诉 lists the period's latest complaints newest first, with time, building, type and whether each
was resolved by the period's end, and a download."""
from __future__ import annotations

import re

import pytest

from pipelines.present.i18n import t
from tests.dashboard.test_pages import open_page, table_text


@pytest.fixture(autouse=True)
def _db(fixture_db, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(fixture_db))


def recent_table(at, lang):
    for found in at.table:
        shown = table_text(found)
        if t("col.handled", lang) in shown.columns:
            return shown
    raise AssertionError(f"no 最近投诉 table; tables: {[list(table_text(x).columns) for x in at.table]}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_latest_complaints_newest_first_with_building_type_and_whether_resolved(lang):
    at = open_page("complaints", lang, c="A", g="week", p="2025-06-02")
    assert not at.exception, [e.value for e in at.exception]
    assert t("complaints.h.recent", lang) in [h.value for h in at.subheader]
    shown = recent_table(at, lang)
    col = lambda key: [re.sub(r"\s", " ", x) for x in shown[t(key, lang)]]   # no-break spaces read as spaces
    # C5..C1 of the fixture, week of 2 June 2025 (C6 is the next week's; C9 is community B's)
    day = (lambda d, hm: f"6月{d}日 {hm}") if lang == "zh" else (lambda d, hm: f"{d} Jun {hm}")
    assert col("col.received_at") == [day(5, "10:00"), day(4, "10:00"), day(4, "09:30"), day(3, "10:00"),
                                      day(2, "20:00")]
    assert col("col.building_name") == ["—", "—", "2栋", "1栋", "1栋"]
    done = lambda d, hm: t("complaints.recent.done", lang, when=day(d, hm))
    # C4 was resolved at midnight ending the week: not by the period's end
    assert col("col.handled") == [done(5, "12:00"), t("complaints.recent.open", lang), done(4, "10:30"),
                                  t("complaints.recent.open", lang), done(2 + 1, "20:00")]
    assert len(set(col("col.category"))) == 3   # other, parcel pile-up, livestream noise, in words
    assert all(not re.fullmatch(r"[a-z_]+", c) for c in col("col.category"))
    assert any(b.label == t("download", lang) for b in at.get("download_button"))


def test_on_the_complaints_page_what_needs_attention_comes_before_the_tiles():
    at = open_page("complaints", "zh", c="A", g="week", p="2025-06-02")
    seen = [e.type if e.type == "metric" else "alerts" for e in _walk(at.main)
            if e.type == "metric" or (e.type == "subheader" and e.value == t("alerts.title", "zh"))]
    assert "metric" in seen and "alerts" in seen, seen
    assert seen.index("alerts") < seen.index("metric"), seen[:5]


def _walk(node):
    """Every element under `node`, in the order the page wrote them."""
    children = getattr(node, "children", None)
    if not children:
        yield node
        return
    for key in sorted(children):
        yield from _walk(children[key])


def test_backlog_and_resolution_time_are_drawn_on_axes_of_their_own_units():
    import json
    at = open_page("complaints", "zh", c="A", g="week", p="2025-06-02")
    titles = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        text = json.dumps(spec, ensure_ascii=False)
        if "数值" in text:   # the shared "value" axis 办结与积压 had, counts and hours on one scale
            titles.append("数值")
        for layer in [spec, *spec.get("layer", [])]:
            y = layer.get("encoding", {}).get("y", {})
            if y.get("title"):
                titles.append(y["title"])
    assert "数值" not in titles, titles
    assert t("chart.hours", "zh") in titles and t("chart.complaints", "zh") in titles, titles
