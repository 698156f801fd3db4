"""Date fields read the Chinese way (issue 16, smaller items): every st.date_input takes year/month/day
(2025/06/02) and says so in its help; in Chinese an empty one shows 年 / 月 / 日, not "yyyy / mm / dd"."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.present.i18n import t

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _db(fixture_db, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(fixture_db))


def open_page(page: str, lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": lang, "c": "A", "g": "week", "p": "2025-06-02"})
    at.switch_page(f"screens/{page}.py").run()   # straight to the page, as a link opens it
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_date_input_in_the_dashboard_is_given_its_format_and_a_help():
    calls = []
    for path in (ROOT / "dashboard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "date_input":
                given = {k.arg: k.value for k in node.keywords}
                fmt = given.get("format")
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}",
                              isinstance(fmt, ast.Constant) and fmt.value == "YYYY/MM/DD", "help" in given))
    assert len(calls) >= 8
    assert [c for c in calls if not (c[1] and c[2])] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ["weekly", "cases"])
def test_date_fields_take_year_month_day_and_say_so(page, lang):
    at = open_page(page, lang)
    fields = at.date_input
    assert fields, "the page has a date field"
    for field in fields:
        assert field.proto.format == "YYYY/MM/DD"
        assert field.proto.help == t("date.help", lang)
    assert "2025/06/02" in t("date.help", lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_date_field_shows_nian_yue_ri_in_chinese(lang):
    at = open_page("weekly", lang)
    assert any(f.value is None for f in at.date_input)          # 截止日期 starts empty
    styles = "".join(getattr(e.proto, "body", "") for e in at.get("html"))
    assert ('[data-type="year"][data-placeholder="true"]::after { content: "年"; }' in styles) == (lang == "zh")
