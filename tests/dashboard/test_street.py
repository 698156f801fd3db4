"""街道对比 as a street official sees it, on a street whose communities have data to different weeks:
A has the newest week alone, B runs a week less, C stopped importing two weeks before that.

Completeness is the `coverage` table's (SPEC §6): a week the files were imported after is complete for the
feeds a community has rows in; a community with no data in a week at all is behind for it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines.records import users
from tests.conftest import build_store

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse 9"
COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,花溪街道,1000,26.57,106.71
B,B社区,花溪街道,3000,26.58,106.72
C,C社区,花溪街道,1000,26.59,106.73
D,D社区,金桥街道,800,26.60,106.74
"""
# Weeks (Mondays): 2 June, 9 June, 16 June, 23 June 2025. A runs to 23 June 09:00 (the week of 23 June is
# A's alone), B to 16 June 12:00, C to 9 June 08:00; D is another street's.
COMPLAINTS = """
complaint_id,community_id,received_at,category,source
1,A,2025-06-03 10:00,other,hotline
2,A,2025-06-10 10:00,other,hotline
3,A,2025-06-11 10:00,other,hotline
4,A,2025-06-17 10:00,other,hotline
5,A,2025-06-23 09:00,other,hotline
1,B,2025-06-04 10:00,other,hotline
2,B,2025-06-10 10:00,other,hotline
3,B,2025-06-11 10:00,other,hotline
4,B,2025-06-12 10:00,other,hotline
5,B,2025-06-13 10:00,other,hotline
6,B,2025-06-16 09:00,other,hotline
7,B,2025-06-16 10:00,other,hotline
8,B,2025-06-16 11:00,other,hotline
9,B,2025-06-16 12:00,other,hotline
1,C,2025-06-05 10:00,other,hotline
2,C,2025-06-09 08:00,other,hotline
1,D,2025-06-24 10:00,other,hotline
"""


@pytest.fixture(scope="module")
def street_db(tmp_path_factory):
    db = build_store(tmp_path_factory.mktemp("street"), {"communities": COMMUNITIES, "complaints": COMPLAINTS})
    users.add(db, "gz", "official", PASSWORD, street="花溪街道")
    return db


@pytest.fixture
def db(street_db, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(street_db))
    return street_db


@pytest.fixture
def offered(monkeypatch):
    """File names of the downloads the page offers."""
    names: list[str] = []
    original = streamlit.download_button

    def record(label, data, *args, **kwargs):
        names.append(kwargs.get("file_name"))
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", record)
    return names


def as_official(db, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh", **params})
    for key, value in auth.session_for(users.lookup(db, "gz")).items():
        at.session_state[key] = value
    at.switch_page("screens/street.py").run()   # straight to the page, as a link opens it
    assert not at.exception, [e.value for e in at.exception]
    return at


def picker(at, label):
    return next(s for s in at.selectbox if s.label == label)


def grid(at):
    return at.dataframe[0].value


def bar_order(at) -> list[str]:
    chart = next(c for c in at.get("vega_lite_chart"))
    import json
    spec = json.loads(chart.proto.spec)
    return spec["encoding"]["y"]["sort"]


def test_the_street_opens_on_the_latest_week_most_of_its_communities_have_complete(db):
    at = as_official(db, m="complaints.count")
    # the sidebar's community (A) has the week of 23 June, but A alone: the street opens on 16 June
    assert picker(at, "对比时段").value == "2025-06-16"
    table = grid(at)
    assert list(table["社区"]) == ["B社区", "A社区", "C社区"]          # D is another street's
    # C's data ends on 9 June: listed with the day, not ranked, and never shown as complete
    warning = "\n".join(w.value for w in at.warning)
    assert "C社区：数据截至2025年6月9日" in warning
    assert list(table["排名"]) == ["1", "2", "—"]
    assert list(table["本期数据"]) == ["完整", "完整", "截至2025年6月9日，不完整"]
    assert list(table["投诉总数（所选）"]) == ["4", "1", "未导入"]            # never 0, never blank
    # one order: the bars run as the table does (C has no bar: no data that week)
    assert bar_order(at) == ["B社区", "A社区"]


def test_any_period_can_be_picked_and_a_partial_one_says_how_many_are_missing(db):
    at = as_official(db, m="complaints.count")
    options = picker(at, "对比时段").options          # every week any community has, newest first
    assert options[0] == "2025年第26周 · 6月23日–6月29日（2 个社区不完整）"
    assert options[1] == "2025年第25周 · 6月16日–6月22日（1 个社区不完整）"
    assert options[2] == "2025年第24周 · 6月9日–6月15日（全部完整）"
    at = picker(at, "对比时段").set_value("2025-06-23").run()
    table = grid(at)
    assert list(table["排名"]) == ["1", "—", "—"] and table["社区"].iloc[0] == "A社区"
    warning = "\n".join(w.value for w in at.warning)
    assert "B社区：数据截至2025年6月16日" in warning and "C社区：数据截至2025年6月9日" in warning
    assert at.query_params["sp"] == "2025-06-23"                   # the choice stays in the URL


def test_the_measure_says_what_it_is_and_how_the_order_runs(db):
    at = as_official(db, m="per1k.complaints", sp="2025-06-09")
    captions = "\n".join(c.value for c in at.caption)
    assert "投诉数（每千户）：本期投诉总数÷社区户数×1000" in captions
    assert "数值越高越需要关注" in captions
    table = grid(at)
    # A: 2 complaints / 1,000 households = 2.00; B: 4 / 3,000 = 1.33; C: 1 / 1,000
    assert list(table["社区"]) == ["A社区", "B社区", "C社区"]
    assert list(table["投诉数（每千户）（所选）"]) == ["2.00", "1.33", "1.00"]
    at = as_official(db, m="complaints.count")
    assert "绝对数" in "\n".join(c.value for c in at.caption)


def test_each_community_has_its_trend_of_complete_weeks(db):
    table = grid(as_official(db, m="complaints.count"))
    trend = dict(zip(table["社区"], table["近12期走势"]))
    assert list(trend["A社区"]) == [1.0, 2.0, 1.0] and list(trend["B社区"]) == [1.0, 4.0, 4.0]
    assert list(trend["C社区"]) == [1.0, 1.0]


def test_the_street_brief_is_offered_named_by_street_and_period(db, offered):
    as_official(db, m="complaints.count")
    assert {"花溪街道_2025年第25周_街道对比.xlsx", "花溪街道_2025年第25周_街道对比.pdf",
            "花溪街道_2025年第25周_街道对比.png"} <= set(offered)
    assert not any(n and n.endswith(".csv") and re.search(r"[A-Za-z]_\d{4}-", n) for n in offered)


def test_the_check_pages_briefs_are_named_in_chinese_by_community_and_period(db, offered):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh", "c": "A", "g": "week", "p": "2025-06-09"})
    for key, value in auth.session_for(users.lookup(db, "gz")).items():
        at.session_state[key] = value
    at.switch_page("screens/weekly.py").run()   # straight to the page, as a link opens it
    assert not at.exception, [e.value for e in at.exception]
    assert {"A社区_2025年第24周_每周检查简报.xlsx", "A社区_2025年第24周_每周检查简报.pdf",
            "A社区_2025年第24周_每周检查简报.png", "A社区_2025年第24周_每周检查.html"} <= set(offered)
    assert not [n for n in offered if n and n.startswith("brief_") or n.endswith(".html") and n.startswith("check_")]
