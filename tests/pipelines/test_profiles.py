"""Import profiles: the file format, the choice by headers, `--profile`, and the real public exports.

The counts for the real samples were worked out from the raw files with Python's csv module, apart
from Linli (e.g. NYC 311: 924 requests, 379 of them "Noise - Residential", 139 by PHONE, 480 with a
Closed Date).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.cli.main import main
from pipelines.errors import FileRefused, UserError
from pipelines.ingest import profiles
from pipelines.ingest.store import import_file
from tests.conftest import write

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="the real data samples are not on this machine")


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ---- the format ------------------------------------------------------------------------------------

KUAITUANTUAN = """
name = "快团团导出"
kind = "orders"
date_format = "%m/%d/%Y %I:%M %p"
nulls = ["nan"]

[columns]
"跟团号" = "order_id"
"团长" = "seller_id"
"下单时间" = "ordered_at"
"订单金额" = "amount_yuan"
"订单状态" = "status"

[constants]
community_id = "A"
channel = "group_buy"

[filter]
"订单状态" = ["已支付", "已退款", "已取消*"]

[values.status]
"已取消*" = "cancelled"
"""

KTT_FILE = """
跟团号,团长,下单时间,订单金额,订单状态,备注
1,S1,06/03/2025 09:05 PM,12.5,已支付,nan
2,S1,06/03/2025 12:10 AM,8,已取消（超时）,
3,S2,06/04/2025 12:30 PM,20,待付款,
4,S2,6/4/2025 1:00 PM,-3,已支付,联系 13800138000
"""


def test_profile_round_trips_through_its_toml(tmp_path):
    p = profiles.from_dict(__import__("tomllib").loads(KUAITUANTUAN), "t")
    saved = profiles.save(tmp_path / "x.duckdb", p)
    assert saved == tmp_path / "profiles" / "快团团导出.toml"
    again = profiles.load(saved)
    assert again.columns == p.columns and again.values == p.values and again.filter == p.filter
    assert (again.date_format, again.nulls, again.constants) == ("%m/%d/%Y %I:%M %p", ("nan",),
                                                                 {"community_id": "A", "channel": "group_buy"})


@pytest.mark.parametrize("text, words", [
    ('kind = "orders"\n[columns]\n"单号" = "order_no"', ["order_no", "order_id"]),
    ('kind = "parcel"\n', ["kind"]),
    ('kind = "orders"\nskip = 2\n', ["skip", "skip_rows"]),
    ('kind = "orders"\nyear = 2022\n', ["year", "date_format"]),
    ('kind = "orders"\n[columns\n', ["TOML"]),
])
def test_a_wrong_profile_says_which_setting_to_fix(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as err:
        profiles.load(path)
    assert "bad.toml" in err.value.zh and all(w in err.value.zh for w in words)


def test_profile_maps_headers_values_dates_constants_and_filters(tmp_path):
    db = tmp_path / "t.duckdb"
    profiles.save(db, profiles.from_dict(__import__("tomllib").loads(KUAITUANTUAN), "t"))
    # community A's profile, chosen by the headers for an import into A
    report = import_file(db, "orders", write(tmp_path / "ktt.csv", KTT_FILE), allowed_communities=["A"])
    # row 4 (待付款) is filtered out; row 5's amount is negative and is quarantined under the file's header
    assert report.profile == "快团团导出"
    assert (report.rows_read, report.rows_new, len(report.quarantined)) == (3, 2, 1)
    assert "第 5 行" in report.quarantined[0]["reason_zh"] and "“订单金额”列" in report.quarantined[0]["reason_zh"]
    got = rows(db, "SELECT order_id, community_id, channel, status, ordered_at::VARCHAR, amount_yuan, _extra "
                   "FROM cur_orders ORDER BY order_id")
    # "nan" is an empty cell; 12:10 AM is ten past midnight
    assert got == [("1", "A", "group_buy", "paid", "2025-06-03 21:05:00", 12.5, '{"备注":null}'),
                   ("2", "A", "group_buy", "cancelled", "2025-06-03 00:10:00", 8.0, '{"备注":null}')]
    # personal-data rules hold for profiled files: the phone in the free-text note is masked in quarantine
    raw = rows(db, "SELECT raw FROM quarantine")[0][0]
    assert "13800138000" not in raw and "138****8000" in raw


def test_order_lines_add_up_to_one_order_and_skip_rows_skips_the_title(tmp_path):
    p = profiles.from_dict({"kind": "orders", "skip_rows": 1, "lines": ["amount_yuan", "item_count"],
                            "columns": {"单号": ["order_id", "status"], "时间": "ordered_at", "数量": "item_count"},
                            "multiply": {"amount_yuan": ["数量", "单价"]},
                            "constants": {"community_id": "A", "seller_id": "S", "channel": "other"},
                            "values": {"status": {"C*": "cancelled", "*": "paid"}},
                            "absolute": ["amount_yuan", "item_count"]}, "lines")
    f = write(tmp_path / "lines.csv", """
        单号,时间,数量,单价
        单号,时间,数量,单价
        100,2025-06-03 10:00,2,1.5
        C101,2025-06-03 11:00,-1,4
        100,2025-06-03 10:00,1,7
        102,2025-06-03 12:00,1,abc
        """)
    report = import_file(tmp_path / "t.duckdb", "orders", f, profile=p)
    assert (report.rows_read, report.rows_new, len(report.quarantined)) == (3, 2, 1)
    assert "第 6 行" in report.quarantined[0]["reason_zh"] and "数量×单价" in report.quarantined[0]["reason_zh"]
    assert rows(tmp_path / "t.duckdb", "SELECT order_id, status, amount_yuan, item_count FROM cur_orders ORDER BY 1") == [
        ("100", "paid", 10.0, 3), ("C101", "cancelled", 4.0, 1)]


def test_a_year_missing_from_dates_comes_from_the_profile(tmp_path):
    p = profiles.from_dict({"kind": "parcels", "date_format": "%m-%d %H:%M:%S", "year": 2024, "nulls": ["nan"],
                            "columns": {"单": "parcel_id", "到": "arrived_at", "取": "picked_up_at"},
                            "constants": {"community_id": "A", "point_id": "P"}}, "y")
    f = write(tmp_path / "p.csv", "单,到,取\n1,02-29 08:00:00,02-29 09:30:00\n2,03-01 10:00:00,nan\n")
    import_file(tmp_path / "t.duckdb", "parcels", f, profile=p)
    assert rows(tmp_path / "t.duckdb", "SELECT parcel_id, arrived_at::VARCHAR, picked_up_at::VARCHAR "
                                       "FROM cur_parcels ORDER BY 1") == [
        ("1", "2024-02-29 08:00:00", "2024-02-29 09:30:00"), ("2", "2024-03-01 10:00:00", None)]


# ---- choice by headers and the command line --------------------------------------------------------

def test_the_most_specific_profile_whose_headers_the_file_has_is_chosen():
    small = profiles.from_dict({"kind": "orders", "columns": {"单号": "order_id"}}, "small")
    big = profiles.from_dict({"kind": "orders", "headers": ["单号", "团长", "备注"], "columns": {"单号": "order_id"}}, "big")
    assert profiles.choose([small, big], ["单号", "团长", "备注 "]).name == "big"
    assert profiles.choose([small, big], ["单号", "团长"]).name == "small"
    assert profiles.choose([small, big], ["订单号"]) is None


def test_a_profile_that_does_not_fit_the_file_is_refused_with_the_missing_columns(tmp_path):
    with pytest.raises(FileRefused) as err:
        import_file(tmp_path / "t.duckdb", "orders", write(tmp_path / "o.csv", "单号,团长\n1,2\n"), profile="nyc311")
    assert "nyc311" in err.value.zh and "投诉数据" in err.value.zh


@needs_realdata
def test_cli_ingest_with_profile_and_an_unknown_profile(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    nyc = REALDATA / "nyc311_noise" / "311_Service_Requests_2022-05-01_0000-0206.csv"
    assert main(["--db", str(db), "ingest", "complaints", str(nyc), "--profile", "nyc311"]) == 0
    out = capsys.readouterr().out
    assert "导入编号 1" in out and "读取 924 行" in out and "使用的导入档案：nyc311" in out
    assert main(["--db", str(db), "ingest", "complaints", str(nyc), "--profile", "没有这个"]) == 1
    err = capsys.readouterr().err
    assert "没有名为“没有这个”的导入档案" in err and "nyc311" in err


# ---- the real public exports, each through its shipped profile, chosen by its headers ----------------

@needs_realdata
def test_nyc311_requests_become_complaints(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "complaints", REALDATA / "nyc311_noise" / "311_Service_Requests_2022-05-01_0000-0206.csv")
    assert report.profile == "nyc311"
    assert (report.rows_read, report.rows_new, len(report.quarantined)) == (924, 924, 0)
    assert "Incident Address" in report.dropped_columns       # an address, personal by header
    got = dict(rows(db, "SELECT category, count(*) FROM cur_complaints GROUP BY 1"))
    assert got == {"livestream_noise": 379, "other": 545}
    assert rows(db, "SELECT count(*) FILTER (WHERE source = 'hotline'), count(resolved_at), "
                    "min(received_at)::VARCHAR, max(received_at)::VARCHAR FROM cur_complaints") == [
        (139, 480, "2022-05-01 00:00:03", "2022-05-01 02:06:26")]
    # 12:00:03 AM is just after midnight, and 12:07:46 AM the same night
    assert rows(db, "SELECT received_at::VARCHAR, resolved_at::VARCHAR FROM cur_complaints "
                    "WHERE complaint_id = '54046813'") == [("2022-05-01 00:00:09", "2022-05-01 00:07:46")]


@needs_realdata
def test_lade_deliveries_become_parcels(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "parcels", REALDATA / "lade_delivery_jilin" / "delivery_jl_first426.csv")
    assert (report.profile, report.rows_read, report.rows_new, len(report.quarantined)) == ("lade_delivery", 426, 426, 0)
    assert rows(db, "SELECT count(DISTINCT building_id), min(arrived_at)::VARCHAR, max(arrived_at)::VARCHAR, "
                    "count(*) FILTER (WHERE picked_up_at < arrived_at) FROM cur_parcels") == [
        (28, "2022-05-16 09:12:00", "2022-10-19 08:39:00", 0)]
    assert rows(db, "SELECT arrived_at::VARCHAR, picked_up_at::VARCHAR FROM cur_parcels WHERE parcel_id = '3322376'") == [
        ("2022-09-25 08:08:00", "2022-09-25 11:32:00")]
    # the recipients' coordinates are not stored (not even inside _extra)
    assert rows(db, "SELECT count(*) FROM cur_parcels WHERE _extra LIKE '%lng%' OR _extra LIKE '%43.8%'") == [(0,)]


@needs_realdata
def test_uci_invoice_lines_become_orders(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "orders", REALDATA / "uci_online_retail" / "online_retail_sample.csv")
    assert (report.profile, report.rows_read, report.rows_new, len(report.quarantined)) == (
        "uci_online_retail", 2231, 2231, 0)
    assert "CustomerID" in report.dropped_columns
    got = {s: (n, round(a, 2), i) for s, n, a, i in rows(
        db, "SELECT status, count(*), sum(amount_yuan), sum(item_count) FROM cur_orders GROUP BY 1")}
    assert got == {"paid": (2181, 48353.14, 25239), "cancelled": (50, 10849.89, 644)}
    # a quoted description with a doubled quote and a comma did not shift the columns
    assert rows(db, "SELECT ordered_at::VARCHAR, amount_yuan FROM cur_orders WHERE order_id = '545464'") == [
        ("2011-03-03 09:10:00", 7.9)]


@needs_realdata
def test_oulad_registrations_become_training_rows(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "training", REALDATA / "oulad_courses" / "studentRegistration.csv")
    assert (report.profile, report.rows_read, report.rows_new, len(report.quarantined)) == (
        "oulad_registrations", 12489, 12489, 0)
    assert rows(db, "SELECT session_date::VARCHAR, count(*), count(DISTINCT session_id) FROM cur_training "
                    "GROUP BY 1 ORDER BY 1") == [("2013-10-01", 6476, 6), ("2014-10-01", 6013, 6)]
    assert rows(db, "SELECT count(*), count(DISTINCT session_id), count(*) FILTER (WHERE NOT attended) "
                    "FROM cur_training") == [(12489, 12, 9)]
    assert rows(db, "SELECT session_id FROM cur_training WHERE participant_id = '11391'") == [("AAA 2013J",)]
