"""Issue 16 item 1 on the check pages: 本期数字, its CSV and the printable sheet show 未导入 for a feed not
brought up to the period (never 0, never a change), naming the feed and the day its data runs to; the
downloads are named in Chinese by community, period and content (store: tests/dashboard/test_not_imported.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.dashboard.test_not_imported import W2, W3, store  # noqa: F401  (the module's store fixture)
from tests.dashboard.test_pages import open_page, table_text


@pytest.fixture
def downloads(store, monkeypatch):  # noqa: F811
    from dashboard.parts import ui
    monkeypatch.setenv("LINLI_DB", str(store))
    got: dict = {}
    real = ui.download_csv
    monkeypatch.setattr(ui, "download_csv", lambda label, df, file_name, key=None: (
        got.__setitem__(key, (file_name, df)), real(label, df, file_name, key)))
    return got


def numbers_table(at) -> pd.DataFrame:
    return next(table_text(x) for x in at.table if "变化" in table_text(x).columns).set_index("指标")


def test_the_weekly_check_shows_orders_not_imported_without_a_change_and_parcels_with_theirs(downloads):
    at = open_page("weekly", c="A", g="week", p=W3)
    shown = numbers_table(at)
    assert list(shown.loc["订单数", ["本期", "上期", "变化"]]) == ["未导入", "2", "—"]
    assert list(shown.loc["成交额", ["本期", "变化"]]) == ["未导入", "—"]
    assert list(shown.loc["到件数", ["本期", "上期", "变化"]]) == ["2", "1", "+1"]
    # named: the feed and its data end (training lags too, but the weekly numbers hold none of its metrics)
    caption = "“未导入”的指标没有本期数字（不是 0），也不与上期比较：订单数据截至2025年6月14日。导入后即更新。"
    assert caption in [c.value for c in at.caption], [c.value for c in at.caption if "未导入" in c.value]
    # the CSV: numbers stay numbers, an empty cell (not 0) and no change where not imported, and a note saying why
    name, csv = downloads["dl_check_week"]
    assert name == "A社区_2025年第25周_本期数字.csv"
    csv = csv.set_index("指标")
    assert pd.isna(csv.loc["订单数", "本期"]) and pd.isna(csv.loc["订单数", "变化"]) and csv.loc["订单数", "上期"] == 2
    assert csv.loc["订单数", "说明"].startswith("未导入：订单数据只到2025年6月14日")
    assert (csv.loc["到件数", "本期"], csv.loc["到件数", "变化"], csv.loc["到件数", "说明"]) == (2, 1, "")


def test_the_complete_week_is_unchanged(downloads):
    at = open_page("weekly", c="A", g="week", p=W2)
    shown = numbers_table(at)
    assert list(shown.loc["订单数", ["本期", "上期", "变化"]]) == ["2", "2", "0"]
    assert not any("未导入" in c.value for c in at.caption)
    assert downloads["dl_check_week"][0] == "A社区_2025年第24周_本期数字.csv"


def test_the_printable_sheet_says_not_imported_and_why(store, monkeypatch):  # noqa: F811
    import streamlit as st
    monkeypatch.setenv("LINLI_DB", str(store))
    sheets = {}
    real = st.download_button

    def capture(label, data, *args, **kwargs):
        sheets[kwargs.get("key")] = (kwargs.get("file_name"), data)
        return real(label, data, *args, **kwargs)
    monkeypatch.setattr(st, "download_button", capture)
    open_page("weekly", c="A", g="week", p=W3)
    name, page = sheets["report_week"]
    page = page.decode("utf-8")
    assert name == "A社区_2025年第25周_每周检查.html"
    assert "<td>订单数</td><td class=\"num\">未导入</td><td class=\"num\">2</td><td class=\"num\">—</td>" in page
    assert "<td>到件数</td><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">+1</td>" in page
    assert "也不与上期比较：订单数据截至2025年6月14日。" in page


def test_every_download_of_the_weekly_check_is_named_by_community_period_and_content(downloads):
    open_page("weekly", c="A", g="week", p=W2)
    # check_week_A_2025-06-09.csv, check_followup_1_A_… said nothing to a reader of Chinese
    assert {key: name for key, (name, _) in downloads.items()} == {
        "dl_check_week": "A社区_2025年第24周_本期数字.csv",
        "dl_check_points": "A社区_2025年第24周_各代收点：峰值占用与超时包裹.csv",
        "dl_check_followup_1": "A社区_2025年第24周_需要跟进的投诉.csv"}


def test_a_data_page_s_download_is_named_from_the_catalog(downloads):
    open_page("parcels", c="A", g="week", p=W2)
    assert downloads["dl_point_occupancy"][0] == "A社区_2025年第24周_代收点占用.csv"
    open_page("parcels", lang="en", c="A", g="week", p=W2)
    assert downloads["dl_point_occupancy"][0].endswith("_Point occupancy.csv")


def test_the_monthly_check_names_every_feed_behind_and_one_never_imported(downloads):
    at = open_page("monthly", c="A", g="month")
    shown = numbers_table(at)
    assert list(shown.loc["订单数", ["本期", "变化"]]) == ["未导入", "—"]
    assert list(shown.loc["新就业人数", ["本期", "变化"]]) == ["未导入", "—"]
    assert ("“未导入”的指标没有本期数字（不是 0），也不与上期比较：订单数据截至2025年6月14日；快递包裹数据截至2025年6月22日；"
            "投诉数据截至2025年6月22日；培训签到数据截至2025年6月11日；就业安置尚无数据；合作社账目尚无数据。导入后即更新。") in \
        [c.value for c in at.caption]   # the public fund's numbers (issue 20) read 未导入 too: no books imported
    assert downloads["dl_check_month"][0] == "A社区_2025年6月_本期数字.csv"
