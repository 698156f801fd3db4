"""Complete and partial periods (SPEC §6), the grain a check page works at, and URL values that name nothing.

The store: A's parcels run to Thursday 12 June 2025 15:00 (a pickup) and were imported that afternoon, so
the week of 9 June and the month of June are partial for A (SPEC §6: its parcels are not brought up to them)
and it opens on the week of 2 June and on May. The orders file, A's to 10 June and B's to Monday 16 June, was
imported on Monday 16 June at noon, after the week of 9 June ended: that week is complete for both feeds'
orders, and for B (no parcels) complete; June is not (its orders run to 16 June, imported before June ended).
"""
from __future__ import annotations

import pytest

from pipelines.present import format as fmt
from pipelines.present.i18n import t
from tests.conftest import build_store
from tests.dashboard.test_pages import open_page

COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,金桥街道,1000,26.57,106.71
B,B社区,金桥街道,1000,26.58,106.72
"""
POINTS = """
point_id,community_id,name,kind,capacity
P1,A,东门驿站,station,10
"""
ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
O1,A,S1,group_buy,2025-05-05 10:00,100,1,paid
O2,A,S1,group_buy,2025-06-03 10:00,50,1,paid
O3,A,S2,group_buy,2025-06-10 09:00,30,1,paid
O4,B,S3,group_buy,2025-05-06 10:00,20,1,paid
O5,B,S3,group_buy,2025-06-10 10:00,20,1,paid
O6,B,S3,group_buy,2025-06-16 10:00,20,1,paid
"""
PARCELS = """
parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at
K1,A,P1,中通,2025-06-11 09:00,2025-06-12 15:00
"""

WEEK_23 = "2025年第23周 · 6月2日–6月8日"
WEEK_24 = "2025年第24周 · 6月9日–6月15日"
PARTIAL = " · 不完整"
IMPORTED_AT = {"communities": "2025-05-01 09:00", "points": "2025-05-01 09:00", "orders": "2025-06-16 12:00",
               "parcels": "2025-06-12 16:00"}


@pytest.fixture(scope="module")
def thursday_db(tmp_path_factory):
    import duckdb

    from pipelines.build.runner import build
    db = build_store(tmp_path_factory.mktemp("thursday"), {
        "communities": COMMUNITIES, "points": POINTS, "orders": ORDERS, "parcels": PARCELS})
    con = duckdb.connect(str(db))   # when a director would have imported each file (the store stamps the clock)
    for kind, at in IMPORTED_AT.items():
        con.execute("UPDATE imports SET imported_at = ?::TIMESTAMP WHERE kind = ?", [at, kind])
    con.close()
    build(db, full=True)
    return db


@pytest.fixture(autouse=True)
def _db(thursday_db, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(thursday_db))


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_a_store_whose_data_ends_on_a_thursday_opens_on_the_previous_complete_week():
    at = open_page("overview", c="A", g="week")
    assert at.caption[0].value == f"A社区 · {WEEK_23}"
    assert at.sidebar.selectbox[1].value == "2025-06-02"
    assert not any("不完整" in w for w in warnings(at))


def test_the_month_opens_on_the_latest_complete_month():
    at = open_page("overview", c="A", g="month")
    assert at.caption[0].value == "A社区 · 2025年5月"


def test_the_partial_week_can_be_chosen_and_is_labelled_with_its_data_end():
    at = open_page("overview", c="A", g="week", p="2025-06-09")
    assert at.caption[0].value == f"A社区 · {WEEK_24}{PARTIAL}"
    assert any("还不完整：快递包裹数据截至2025年6月12日。" in w for w in warnings(at))
    assert at.query_params["p"] in ("2025-06-09", ["2025-06-09"])   # the URL keeps the chosen period
    assert not any("网址" in w for w in warnings(at))                 # and a known one gives no note


def test_the_period_picker_marks_the_partial_period():
    at = open_page("overview", c="A", g="month")
    picker = at.sidebar.selectbox[1]
    assert picker.format_func("2025-06-01") == "2025年6月（不完整）"
    assert picker.format_func("2025-05-01") == "2025年5月"


def test_a_tile_of_a_feed_complete_in_a_partial_week_shows_its_change_plainly():
    at = open_page("overview", c="A", g="week", p="2025-06-09")
    tile = next(m for m in at.metric if m.label == "订单数")      # orders are complete for the week: parcels are not
    assert (tile.value, tile.delta) == ("1", "0")                 # 1 order, as many as the week before
    assert tile.proto.delta_description == ""
    assert next(m for m in at.metric if m.label == "到件数").value == "未导入"
    complete = next(m for m in open_page("overview", c="A", g="week").metric if m.label == "订单数")
    assert complete.proto.delta_description == ""


def test_the_monthly_check_of_a_partial_month_says_so_and_is_not_all_clear():
    at = open_page("monthly", c="A", g="month", p="2025-06-01")
    assert at.caption[0].value == f"A社区 · 2025年6月{PARTIAL}"
    assert any("2025年6月还不完整：订单数据截至2025年6月10日；快递包裹数据截至2025年6月12日。" in w for w in warnings(at))
    assert not [s.value for s in at.success if s.value == t("alerts.none", "zh")]
    assert any("本期还不完整（订单数据截至2025年6月10日；快递包裹数据截至2025年6月12日）" in i.value for i in at.info)


def test_the_street_ranking_marks_a_partial_community_beside_a_complete_one():
    at = open_page("street", c="A", g="week", p="2025-06-09", sp="2025-06-09")   # the street's own period
    table = at.dataframe[0].value.set_index("社区")
    assert table.loc["A社区", "本期数据"] == "截至2025年6月12日，不完整"
    assert table.loc["B社区", "本期数据"] == "完整"
    assert any("A社区：快递包裹数据截至2025年6月12日" in w and "B社区" not in w for w in warnings(at))


def test_an_unknown_period_in_the_url_is_named_with_what_is_shown_instead():
    at = open_page("overview", c="A", g="week", p="2030-01-07")
    assert at.caption[0].value == f"A社区 · {WEEK_23}"
    assert any("2030-01-07" in w and WEEK_23 in w for w in warnings(at))


def test_an_unknown_community_in_the_url_is_named_with_what_is_shown_instead():
    at = open_page("overview", c="Z", g="week")
    assert any("“Z”" in w and "A社区" in w for w in warnings(at))


def test_the_monthly_check_opened_from_a_week_shows_its_month_in_the_sidebar_too():
    at = open_page("monthly", c="A", g="week", p="2025-05-26")
    assert at.sidebar.radio[1].value == "month"
    assert at.sidebar.selectbox[1].value == "2025-05-01"
    assert at.caption[0].value == "A社区 · 2025年5月"


def test_the_weekly_check_opened_from_a_month_shows_its_week_in_the_sidebar_too():
    at = open_page("weekly", c="B", g="month", p="2025-06-01")
    assert at.sidebar.radio[1].value == "week"
    assert at.sidebar.selectbox[1].value == "2025-05-26"       # the week holding June 1st, a Sunday
    assert at.caption[0].value == "B社区 · 2025年第22周 · 5月26日–6月1日"


def test_a_complete_week_does_not_carry_into_a_partial_month():
    at = open_page("monthly", c="A", g="week", p="2025-06-02")   # June is partial for A: May is shown
    assert at.sidebar.selectbox[1].value == "2025-05-01"


def test_an_empty_noise_hour_chart_is_a_note_and_an_empty_table_too():
    at = open_page("complaints", c="A", g="week", p="2025-06-02")   # no complaints at all
    infos = [i.value for i in at.info]
    assert t("noise.none", "zh") in infos and t("table.empty", "zh") in infos
    assert not at.dataframe


def test_pickers_have_a_chinese_placeholder():
    at = open_page("street", c="A", g="week", p="2025-06-02")
    assert {s.placeholder for s in at.selectbox} == {"请选择"}


def test_the_print_hint_fits_a_phone_too():
    at = open_page("weekly", c="A", g="week", p="2025-06-02")
    # an HTML paragraph of class linli-print-hint, which the phone stylesheet hides (dashboard/style.py)
    hint = next(h.proto.body for h in at.get("html") if "Ctrl+P" in h.proto.body)
    assert "linli-print-hint" in hint and "手机" in hint and "打印" in hint


@pytest.mark.parametrize("now,before,shown", [(0.1, 0.1004, "0 个百分点"), (0.2, 0.1, "+10.0 个百分点")])
def test_a_rate_change_that_rounds_to_nothing_shows_no_change(now, before, shown):
    assert fmt.delta("orders.refund_rate", now, before, "zh") == shown
    assert fmt.unchanged("orders.refund_rate", now, before) == (shown == "0 个百分点")


def test_lines_never_show_below_zero_and_counts_get_whole_ticks():
    import pandas as pd

    from pipelines.present import charts
    df = pd.DataFrame({"x": ["a", "b", "c"], "y": [0.0, 3.0, 0.0], "s": ["新增商户"] * 3, "o": [1, 2, 3]})
    spec = charts.lines(df, "x", "y", "s", "时间", "数值", "类别", order="o").to_dict()
    assert spec["encoding"]["y"]["scale"]["domainMin"] == 0
    assert spec["mark"]["interpolate"] == "linear"
    bars = charts.bars(df, "x", "y", "课程", "出席人数").to_dict()
    assert bars["encoding"]["y"]["axis"]["tickMinStep"] == 1


def test_data_short_of_a_periods_last_day_shows_the_time_that_leaves_it_incomplete():
    import datetime as dt

    from pipelines.present.periods import period_label
    assert period_label("week", dt.date(2025, 6, 9), dt.datetime(2025, 6, 14, 21, 0), "zh") == \
        "2025年第24周 · 6月9日–6月15日（数据截至6月14日，不完整）"
    # SPEC §6: an event on the period's last day completes it (data that ends on Sunday evening)
    assert period_label("week", dt.date(2025, 6, 9), dt.datetime(2025, 6, 15, 21, 0), "zh") == \
        "2025年第24周 · 6月9日–6月15日"


def test_switching_to_month_opens_the_latest_complete_month_not_the_partial_one():
    at = open_page("overview", c="A", g="week")
    at.sidebar.radio[1].set_value("month").run()
    assert at.caption[0].value == "A社区 · 2025年5月"
    assert at.sidebar.selectbox[1].value == "2025-05-01"


def test_an_unknown_grain_in_the_url_is_named_too():
    at = open_page("overview", "en", c="A", g="year")
    assert any("“year”" in w and "Week" in w for w in warnings(at))
