"""Issue 16 item 1 as the director met it: one more week of parcels and complaints imported, orders and
training not yet. SPEC §6: a feed not brought up to a period shows 未导入 there (never 0, never a fall), the
pages open on the latest complete period, and the incomplete one, when chosen, names the feeds behind and
the date each runs to.

The store (community A): weeks W1 (2–8 June 2025) and W2 (9–15 June) of every feed, imported Monday 16 June
08:00; then W3 (16–22 June) of parcels and complaints only, imported Monday 23 June 08:00.
- orders run to Sat 14 June 10:00, training to Wed 11 June: both complete for W1, W2 (data to the last day
  or the import of 16 June), not for W3 (their last file came before W3 ended).
- parcels and complaints have events on Sunday 22 June: complete for W3.
- jobs and feedback were never imported: 未导入 in every week, but they hold no week back.
"""
from __future__ import annotations

import duckdb
import pytest

from pipelines.build.runner import build
from pipelines.ingest.store import import_file
from pipelines.present.i18n import t
from tests.conftest import write
from tests.dashboard.test_pages import open_page

COMMUNITIES = """
community_id,name,street,households
A,A社区,金桥街道,1000
"""
POINTS = """
point_id,community_id,name,kind,capacity
P1,A,东门驿站,station,10
"""
ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
O1,A,S1,group_buy,2025-06-03 10:00,100,1,paid
O2,A,S1,group_buy,2025-06-05 10:00,60,1,paid
O3,A,S2,group_buy,2025-06-10 10:00,30,1,paid
O4,A,S2,group_buy,2025-06-14 10:00,20,1,paid
"""
TRAINING = """
session_id,community_id,course_type,session_date,participant_id,age_band,attended
T1,A,silver_digital,2025-06-04,P1,70+,是
T1,A,silver_digital,2025-06-04,P2,60-69,是
T2,A,silver_digital,2025-06-11,P1,70+,是
"""
PARCELS = """
parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at
K1,A,P1,中通,2025-06-03 09:00,2025-06-03 18:00
K2,A,P1,中通,2025-06-15 09:00,2025-06-15 18:00
"""
PARCELS_W3 = """
parcel_id,community_id,point_id,carrier,arrived_at,picked_up_at
K3,A,P1,中通,2025-06-17 09:00,2025-06-17 18:00
K4,A,P1,中通,2025-06-22 09:00,2025-06-22 18:00
"""
COMPLAINTS = """
complaint_id,community_id,received_at,category,source
C1,A,2025-06-04 21:00,livestream_noise,wechat
C2,A,2025-06-15 21:00,livestream_noise,wechat
"""
COMPLAINTS_W3 = """
complaint_id,community_id,received_at,category,source
C3,A,2025-06-22 21:00,livestream_noise,wechat
"""
W2, W3 = "2025-06-09", "2025-06-16"
W2_NAME, W3_NAME = "2025年第24周 · 6月9日–6月15日", "2025年第25周 · 6月16日–6月22日"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("not_imported")
    db = folder / "t.duckdb"
    stamps = {}
    for name, kind, text, at in [("communities", "communities", COMMUNITIES, "2025-06-01 08:00"),
                                 ("points", "points", POINTS, "2025-06-01 08:00"),
                                 ("orders", "orders", ORDERS, "2025-06-16 08:00"),
                                 ("training", "training", TRAINING, "2025-06-16 08:00"),
                                 ("parcels", "parcels", PARCELS, "2025-06-16 08:00"),
                                 ("complaints", "complaints", COMPLAINTS, "2025-06-16 08:00"),
                                 ("parcels_w3", "parcels", PARCELS_W3, "2025-06-23 08:00"),
                                 ("complaints_w3", "complaints", COMPLAINTS_W3, "2025-06-23 08:00")]:
        stamps[import_file(db, kind, write(folder / f"{name}.csv", text)).import_id] = at
    con = duckdb.connect(str(db))
    for import_id, at in stamps.items():   # the times a director would have imported them
        con.execute("UPDATE imports SET imported_at = ?::TIMESTAMP WHERE import_id = ?", [at, import_id])
    con.close()
    build(db, full=True)
    return db


@pytest.fixture(autouse=True)
def _db(store, monkeypatch):
    monkeypatch.setenv("LINLI_DB", str(store))


def tiles(at) -> dict:
    return {m.label: m for m in at.metric}


def test_kpi_itself_still_counts_the_week_s_orders_as_zero(store):
    con = duckdb.connect(str(store), read_only=True)
    got = dict(con.execute("""SELECT metric, value FROM kpi WHERE community_id = 'A' AND grain = 'week'
                              AND period_start = DATE '2025-06-16' AND metric IN ('orders.count', 'parcels.arrived')""").fetchall())
    con.close()
    assert got == {"orders.count": 0, "parcels.arrived": 2}    # SPEC §5 unchanged: the pages overlay coverage


def test_the_overview_opens_on_the_latest_complete_week():
    at = open_page("overview", c="A", g="week")
    assert at.sidebar.selectbox[1].value == W2
    assert at.caption[0].value == f"A社区 · {W2_NAME}"
    shown = tiles(at)
    assert (shown["订单数"].value, shown["订单数"].delta) == ("2", "0")         # 2 orders, as in W1
    assert shown["到件数"].value == "1"
    assert not any(t("tile.not_imported", "zh") in w.value for w in at.warning)


def test_the_week_not_yet_imported_shows_orders_and_training_as_not_imported_not_zero():
    at = open_page("overview", c="A", g="week", p=W3)
    shown = tiles(at)
    for name in ("订单数", "成交额", "出席人数"):
        assert shown[name].value == "未导入", name
        assert not shown[name].delta, name                                  # no change against W2, no red fall
    assert "订单数据只到2025年6月14日" in shown["订单数"].help
    assert "培训签到数据只到2025年6月11日" in shown["出席人数"].help
    # the sparkline holds the weeks the feed has, never a 0 for the week not imported
    assert list(shown["订单数"].proto.chart_data) == [2.0, 2.0]
    assert list(shown["成交额"].proto.chart_data) == [160.0, 50.0]
    # the feeds that are up to date show their numbers and their change
    assert (shown["到件数"].value, shown["到件数"].delta) == ("2", "+1")
    assert shown["直播噪音投诉"].value == "1"
    # never imported: not a number either
    assert shown["新就业人数"].value == "未导入"


def test_the_incomplete_week_is_labelled_naming_the_feeds_behind_and_their_dates():
    at = open_page("overview", c="A", g="week", p=W3)
    assert at.caption[0].value == f"A社区 · {W3_NAME} · 不完整"
    note = next(w.value for w in at.warning if "还不完整" in w.value)
    assert note.startswith(f"{W3_NAME}还不完整：订单数据截至2025年6月14日；培训签到数据截至2025年6月11日。")
    assert "快递" not in note and "投诉" not in note
    side = [c.value for c in at.sidebar.caption]
    assert "本期不完整：订单数据截至2025年6月14日；培训签到数据截至2025年6月11日。" in side


def test_the_picker_offers_every_week_with_short_labels_and_says_it_can_be_searched():
    at = open_page("overview", c="A", g="week")
    picker = at.sidebar.selectbox[1]
    assert picker.options == ["2025年第25周（不完整）", W2_NAME, "2025年第23周 · 6月2日–6月8日"]   # as shown
    assert picker.format_func(W3) == "2025年第25周（不完整）"     # short: a longer label was cut in the sidebar
    assert picker.format_func(W2) == W2_NAME
    assert "共 3 期" in picker.help


def test_orders_page_says_the_week_is_not_imported_rather_than_listing_no_sellers():
    at = open_page("orders", c="A", g="week", p=W3)
    assert tiles(at)["订单数"].value == "未导入"
    assert any(i.value == t("feed.not_imported", "zh", feed="订单") for i in at.info)


def test_training_page_and_its_alerts_name_what_is_not_imported():
    at = open_page("training", c="A", g="week", p=W3)
    infos = [i.value for i in at.info]
    assert t("feed.not_imported", "zh", feed="培训签到") in infos      # not "no data to draw"
    assert t("chart.empty", "zh") not in infos
    assert t("alerts.none_behind", "zh", feeds="订单数据截至2025年6月14日；培训签到数据截至2025年6月11日") in infos


def test_in_english_too():
    at = open_page("overview", lang="en", c="A", g="week", p=W3)
    orders = next(m for m in at.metric if m.label == "Orders")
    assert orders.value == "Not imported" and not orders.delta
    assert any("is not complete yet: Orders data to 14 Jun 2025; Training data to 11 Jun 2025." in w.value
               for w in at.warning), [w.value for w in at.warning]
