"""Readers on real-shaped files: encodings, title lines, Chinese headers, Excel date cells."""
from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import polars as pl
import pytest

from pipelines.errors import FileRefused
from pipelines.ingest.readers import read_table
from pipelines.ingest.validate import check
from tests.conftest import write

GBK_COMPLAINTS = """
A社区7月投诉登记表
编号,社区,受理时间,发生时间,类型,楼栋编号,来源,办结时间
T1,A,2025年7月3日 21:05,2025/7/3 20:40,直播噪音,3栋,12345热线,2025-07-04 09:00
T2,A,2025/7/5 10:00,,快递堆放,1栋,微信群,
"""


def test_gbk_csv_with_title_line_and_chinese_headers(tmp_path):
    path = write(tmp_path / "投诉.csv", GBK_COMPLAINTS, "gbk")
    raw = read_table(path, "complaints")
    assert raw.encoding == "GB18030/GBK"
    assert raw.header_row == 2
    assert raw.frame["_row"].to_list() == [3, 4]
    out = check(raw)
    assert out.rejected.height == 0
    row = out.accepted.row(0, named=True)
    assert row["received_at"] == dt.datetime(2025, 7, 3, 21, 5)
    assert row["occurred_at"] == dt.datetime(2025, 7, 3, 20, 40)
    assert row["category"] == "livestream_noise"
    assert row["source"] == "hotline"
    assert out.accepted["category"].to_list() == ["livestream_noise", "parcel_pileup"]


def test_utf8_bom_csv(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes("\ufeff订单号,社区编号,商户编号,渠道,下单时间,实付金额,状态\nO1,A,S1,直播,2025-06-03 14:05,¥12.50,已完成\n"
                     .encode("utf-8"))
    raw = read_table(path, "orders")
    assert raw.encoding == "UTF-8 (BOM)"
    row = check(raw).accepted.row(0, named=True)
    assert (row["channel"], row["status"], row["amount_yuan"]) == ("livestream", "paid", 12.5)


def test_encoding_is_detected_from_bytes_not_from_the_name(tmp_path):
    path = write(tmp_path / "utf8-named.csv", GBK_COMPLAINTS, "gb18030")
    assert read_table(path, "complaints").encoding == "GB18030/GBK"


def test_xlsx_with_title_row_and_date_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["A社区6月培训签到表"])
    ws.append(["场次编号", "社区编号", "课程类型", "上课日期", "学员编号", "年龄段", "是否签到"])
    ws.append(["S1", "A", "银发触网", dt.datetime(2025, 6, 3), "P1", "70岁以上", "是"])
    ws.append([None] * 7)
    ws.append(["S1", "A", "银发触网", "2025年6月3日", "P2", "60-69", "否"])
    wb.save(tmp_path / "train.xlsx")
    raw = read_table(tmp_path / "train.xlsx", "training")
    assert raw.header_row == 2
    assert raw.frame["_row"].to_list() == [3, 5]      # the blank sheet row 4 keeps its number
    out = check(raw)
    assert out.accepted["session_date"].to_list() == [dt.date(2025, 6, 3)] * 2
    assert out.accepted["age_band"].to_list() == ["70+", "60-69"]
    assert out.accepted["attended"].to_list() == [True, False]


def test_bad_values_name_the_row_and_column_in_both_languages(tmp_path):
    path = write(tmp_path / "o.csv", """
        订单号,社区编号,商户编号,渠道,下单时间,实付金额,状态
        O1,A,S1,团购,2025-06-03 25:99,10,已支付
        O2,A,S1,团购,2025-06-03 10:00,-3,已支付
        O3,A,S1,快手,2025-06-03 10:00,3,已支付
        O4,A,S1,团购,2025-06-03 10:00,3,已支付
    """)
    out = check(read_table(path, "orders"))
    assert out.accepted["order_id"].to_list() == ["O4"]
    reasons = dict(zip(out.rejected["_row"].to_list(), out.rejected["reason_zh"].to_list()))
    assert "“下单时间”列" in reasons[2] and "无法识别" in reasons[2]
    assert "“实付金额”列：不能为负数" in reasons[3]
    assert "“渠道”列" in reasons[4]
    assert "column '渠道'" in out.rejected["reason_en"][2]


def test_picked_up_before_arrival_is_rejected(tmp_path):
    path = write(tmp_path / "p.csv", """
        运单号,社区编号,代收点编号,入库时间,取件时间
        K1,A,P1,2025-06-03 10:00,2025-06-03 09:59
        K2,A,P1,2025-06-03 10:00,2025-06-03 10:00
    """)
    out = check(read_table(path, "parcels"))
    assert out.accepted["parcel_id"].to_list() == ["K2"]
    assert "早于“入库时间”" in out.rejected["reason_zh"][0]


def test_missing_required_column_refuses_the_file(tmp_path):
    path = write(tmp_path / "o.csv", """
        订单号,社区编号,渠道,下单时间,实付金额,状态
        O1,A,团购,2025-06-03 10:00,10,已支付
    """)
    with pytest.raises(FileRefused) as err:
        read_table(path, "orders")
    assert "商户编号" in err.value.zh and "o.csv" in err.value.zh
    assert "seller_id" in err.value.en


def test_file_with_no_header_is_refused(tmp_path):
    path = write(tmp_path / "x.csv", "hello,world\n1,2\n")
    with pytest.raises(FileRefused):
        read_table(path, "orders")


def test_personal_columns_become_keyed_ids_and_are_not_kept(tmp_path):
    from pipelines.ingest.store import import_file
    path = write(tmp_path / "t.csv", """
        场次编号,社区编号,课程类型,上课日期,姓名,手机号,是否签到
        S1,A,银发触网,2025-06-03,王芳,138 0013 8000,是
        S2,A,银发触网,2025-06-10,王芳,+8613800138000,是
    """)
    assert read_table(path, "training").personal == ["姓名", "手机号"]
    db = tmp_path / "t.duckdb"
    import_file(db, "training", path)
    con = duckdb.connect(str(db), read_only=True)
    ids = [r[0] for r in con.execute("SELECT participant_id FROM cur_training ORDER BY session_id").fetchall()]
    con.close()
    assert ids[0] == ids[1] and ids[0].startswith("P") and len(ids[0]) == 17
    assert b"13800138000" not in db.read_bytes() and "王芳".encode() not in db.read_bytes()


def test_realdata_nyc311_dates_parse(tmp_path):
    # US-style exports (MM/DD/YYYY hh:mm:ss AM) read as wall-clock times
    from pipelines.ingest import parse
    s = pl.Series(["05/01/2022 12:00:03 AM", "05/01/2022 01:10:00 PM"])
    assert parse.timestamp(s).to_list() == [dt.datetime(2022, 5, 1, 0, 0, 3), dt.datetime(2022, 5, 1, 13, 10)]


def test_placeholders_mean_empty_and_not_yet_picked_up(tmp_path):
    path = write(tmp_path / "p.csv", """
        运单号,社区编号,代收点编号,快递公司,入库时间,取件时间
        K1,A,P1,-,2025-06-03 10:00,未取件
        K2,A,P1,中通,2025-06-03 10:00,—
    """)
    out = check(read_table(path, "parcels"))
    assert out.rejected.height == 0
    assert out.accepted["picked_up_at"].to_list() == [None, None]
    assert out.accepted["carrier"].to_list() == [None, "中通"]


def test_chinese_commas_in_text_do_not_fool_the_separator(tmp_path):
    path = write(tmp_path / "c.csv", """
        A社区投诉登记表，2025年6月，共两条，请核对，谢谢，，，
        编号,社区编号,受理时间,类型
        T1,A,2025-06-03 10:00,其他
    """, "gbk")
    out = check(read_table(path, "complaints"))
    assert out.accepted["complaint_id"].to_list() == ["T1"]


def test_tab_separated_export(tmp_path):
    path = write(tmp_path / "o.txt", "订单号\t社区编号\t商户编号\t渠道\t下单时间\t实付金额\t状态\n"
                                     "O1\tA\tS1\t团购\t2025-06-03 10:00\t1,234.50\t已支付\n")
    row = check(read_table(path, "orders")).accepted.row(0, named=True)
    assert row["amount_yuan"] == 1234.5


def test_english_enum_words_in_any_case_or_spacing(tmp_path):
    path = write(tmp_path / "c.csv", """
        complaint_id,community_id,received_at,category,source
        T1,A,2025-06-03 10:00,Livestream Noise,WeChat
    """)
    row = check(read_table(path, "complaints")).accepted.row(0, named=True)
    assert (row["category"], row["source"]) == ("livestream_noise", "wechat")


def test_second_sheet_by_name(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["说明：第二页是数据"])
    ws = wb.create_sheet("数据")
    ws.append(["订单号", "社区编号", "商户编号", "渠道", "下单时间", "实付金额", "状态"])
    ws.append(["O1", "A", "S1", "直播", dt.datetime(2025, 6, 3, 14, 5), 9.9, "已支付"])
    wb.save(tmp_path / "o.xlsx")
    with pytest.raises(FileRefused):
        read_table(tmp_path / "o.xlsx", "orders")
    row = check(read_table(tmp_path / "o.xlsx", "orders", sheet="数据")).accepted.row(0, named=True)
    assert row["ordered_at"] == dt.datetime(2025, 6, 3, 14, 5)
