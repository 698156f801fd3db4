"""The check pages in the order a meeting runs (issue 16, item 3): the numbers with their change, 需要关注,
整改事项, the sheet and briefs, then the details; a long detail list shows its first 10 rows, the rest one
tap away and every row in the download."""
from __future__ import annotations

import pytest

from tests.dashboard.test_checks import open_page, table


def headings(at) -> list[str]:
    """The page's headings in the order they are drawn (the element tree, depth first)."""
    return [e.value for e in at.main if e.type in ("header", "subheader")]


def positions(found: list[str], wanted: list[str]) -> list[int]:
    return [next(i for i, h in enumerate(found) if h.startswith(w)) for w in wanted]


MEETING = ["本期数字", "需要关注", "整改事项", "会议简报", "明细"]


def test_the_weekly_check_runs_numbers_alerts_actions_files_then_details(fixture_db, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(fixture_db))
    at = open_page("weekly", c="A", g="week", p="2025-06-02")
    found = headings(at)
    details = ["各代收点", "超时包裹清单", "重复投诉楼栋", "需要跟进的投诉"]
    at_ = positions(found, MEETING + details)
    assert at_ == sorted(at_), found
    # the numbers lead with their change; their definitions are one tap away, not a column three lines tall
    numbers = table(at, "上期")
    assert list(numbers.columns) == ["指标", "本期", "上期", "变化"]
    assert (numbers.iloc[0]["指标"], numbers.iloc[0]["本期"]) == ("到件数", "5")
    assert "这些数字怎么算" in [e.label for e in at.expander]


def test_the_monthly_check_runs_in_the_same_order(fixture_db, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(fixture_db))
    at = open_page("monthly", c="A", g="month", p="2025-06-01")
    found = headings(at)
    details = ["时段外噪音投诉与直播时段规则", "本月、上月与去年同月", "需要跟进的投诉"]
    at_ = positions(found, MEETING + details)
    assert at_ == sorted(at_), found


# 13 parcels wait at 东门驿站 from 2 June and are never picked up; one more, picked up, ends the week's data
LONG_POINTS = """
point_id,community_id,name,kind,capacity
PA,A,东门驿站,station,50
"""
LONG_PARCELS = "parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at\n" + "".join(
    f"L{i:02d},A,PA,中通,2025-06-02 {8 + i // 2:02d}:{30 * (i % 2):02d},\n" for i in range(13)) + \
    "L99,A,PA,中通,2025-06-08 22:00,2025-06-08 23:00\n"


@pytest.fixture(scope="module")
def long_db(tmp_path_factory):
    from tests.conftest import build_store
    from tests.pipelines import test_kpi as fx
    return build_store(tmp_path_factory.mktemp("long"), {"communities": fx.COMMUNITIES, "points": LONG_POINTS,
                                                         "parcels": LONG_PARCELS})


def test_a_long_list_shows_ten_rows_and_the_rest_behind_one_tap_and_all_in_the_download(long_db, monkeypatch):
    from dashboard.parts import ui
    downloads = {}
    real = ui.download_csv
    monkeypatch.setattr(ui, "download_csv", lambda label, df, file_name, key=None: (
        downloads.__setitem__(key, df), real(label, df, file_name, key)))
    monkeypatch.setenv("LINLI_DB", str(long_db))
    at = open_page("weekly", c="A", g="week", p="2025-06-02")
    assert "超时包裹清单（13 件）" in headings(at)
    shown = table(at, "运单号")
    # the longest waits first: L00 arrived 08:00, L01 08:30 … the first ten on the page
    assert list(shown["运单号"]) == [f"L{i:02d}" for i in range(10)]
    (more,) = [e for e in at.expander if e.label.startswith("显示其余")]
    assert more.label == "显示其余 3 行（共 13 行；下载的表格含全部）"
    rest = more.table[0].value
    assert list(rest["运单号"]) == ["L10", "L11", "L12"]
    assert list(downloads["dl_check_overdue"]["运单号"]) == [f"L{i:02d}" for i in range(13)]
