"""The import's cheap paths (issue 17 item 4) give what the general ones gave: each is checked against
values worked out by hand, and where a general path still exists, against it."""
from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines import masking
from pipelines.feeds import FEEDS
from pipelines.ingest import parse
from pipelines.ingest.readers import _cleaning_needs, _column_text, read_table
from pipelines.ingest.validate import check
from pipelines.ingest.xlsx import _text_runs
from tests.conftest import write


def test_mask_where_held_masks_only_the_cells_with_a_number_as_mask_does():
    cells = pl.Series("备注", ["电话13800138000", None, "门口", "", "身份证110105194912310021，手机139 1234 5678"])
    masked = masking.mask_where_held(cells)
    assert masked.to_list() == ["电话138****8000", None, "门口", "",
                                "身份证110***********0021，手机139****5678"]
    assert masked.to_list() == pl.select(masking.mask(pl.lit(cells))).to_series().to_list()
    assert cells[0] == "电话13800138000"          # the column given is left as it was
    plain = pl.Series("x", ["a", "b"])
    assert masking.mask_where_held(plain).to_list() == ["a", "b"]


def test_number_values_casts_plain_numbers_and_cleans_the_rest():
    text = pl.Series("金额", ["12", "12.50", "1,000", "1.2万", "¥5", "30元", "", None, "abc", "13800138000"])
    assert parse.number_values(text).to_list() == [12.0, 12.5, 1000.0, 12000.0, 5.0, 30.0, None, None, None,
                                                   13800138000.0]
    assert parse.number_values(text).to_list() == pl.select(parse.number(pl.lit(text))).to_series().to_list()
    assert parse.integer_values(pl.Series("件数", ["3", "3.5", "2万", "", "x"])).to_list() == [3, None, 20000, None, None]


def test_enum_words_parsed_once_each_give_what_every_cell_parsed_gives():
    channel = FEEDS["orders"].column("channel")
    text = pl.Series("渠道", ["团购", " 直播 ", "Livestream", None, "乱码", "团购", "团购", "合作社"] * 3)
    expected = ["group_buy", "livestream", "livestream", None, None, "group_buy", "group_buy", "coop_store"] * 3
    got = parse.by_distinct(text, lambda t: parse.enum(t, channel.enum), pl.Utf8)
    assert got.to_list() == expected
    assert got.to_list() == pl.select(parse.enum(pl.lit(text), channel.enum)).to_series().to_list()
    # mostly distinct values: every cell is parsed as before
    assert parse.by_distinct(pl.Series("x", ["是", "否"]), parse.boolean, pl.Boolean).to_list() == [True, False]


def test_a_timestamp_column_in_a_later_fast_format_and_mixed_forms():
    text = pl.Series("t", ["2025/06/03 14:05", "2025-06-03 14:05:09", "2025年6月3日 14:05", "2025-06-03", None, "x"])
    assert parse.timestamp(text).to_list() == [dt.datetime(2025, 6, 3, 14, 5), dt.datetime(2025, 6, 3, 14, 5, 9),
                                               dt.datetime(2025, 6, 3, 14, 5), dt.datetime(2025, 6, 3), None, None]


def test_cleaning_is_asked_of_each_column_and_done_where_needed(tmp_path):
    # spaces around one cell in a later row, a control character in an id, a neutralised cell, and
    # columns that need nothing; a title line and CRLF line ends
    text = ("A社区订单\r\n订单号,社区编号,团长编号,渠道,下单时间,实付金额,状态,备注\r\n"
            "O1,A,S1,团购,2025-06-03 14:05,12,已支付,门口\r\n"
            "O\x072,A,S1,团购,2025-06-03 14:06,13,已支付,  放门口 \r\n"
            "O3,A,S1,团购,2025-06-03 14:07,14,已支付,'=1+2\r\n")
    raw = read_table(write(tmp_path / "o.csv", text), "orders")
    assert raw.header_row == 2 and raw.frame["_row"].to_list() == [3, 4, 5]
    assert raw.frame["order_id"].to_list() == ["O1", "O2", "O3"]
    assert raw.frame["_extra"].to_list() == ['{"备注":"门口"}', '{"备注":"放门口"}', '{"备注":"=1+2"}']
    frame = pl.DataFrame({"a": ["x", " y"], "b": ["x", "y"], "c": ["x\x07", "y"], "d": ["'=1", "y"]})
    assert _cleaning_needs(frame, {"a": False, "b": False, "c": False, "d": True}) == {
        "a": (False, False, True), "b": (False, False, False), "c": (True, False, False), "d": (False, True, False)}


def test_gbk_file_with_fullwidth_comma_separator_and_a_phone_in_free_text(tmp_path):
    text = ("订单导出\n订单号，社区编号，团长编号，渠道，下单时间，实付金额，状态，备注\n"
            "O1，A，S1，团购，2025/06/03 14:05，12.50，已支付，电话13800138000\n"
            "O2，B，S2，直播，2025/06/03 15:00，8，已退款，\n")
    raw = read_table(write(tmp_path / "o.csv", text, "gbk"), "orders")
    assert raw.encoding == "GB18030/GBK" and raw.header_row == 2
    assert raw.masked == {"备注": 1}
    assert raw.frame["_extra"].to_list() == ['{"备注":"电话138****8000"}', '{"备注":null}']
    out = check(raw)
    assert out.rejected.height == 0
    assert out.accepted.select("order_id", "amount_yuan", "channel", "status", "ordered_at").rows() == [
        ("O1", 12.5, "group_buy", "paid", dt.datetime(2025, 6, 3, 14, 5)),
        ("O2", 8.0, "livestream", "refunded", dt.datetime(2025, 6, 3, 15, 0))]


def test_a_utf8_bom_file_is_read_from_its_bytes(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("\ufeff运单号,社区编号,代收点编号,入库时间\nK1,A,P1,2025-06-03 08:00:00\n".encode("utf-8"))
    raw = read_table(path, "parcels")
    assert raw.encoding == "UTF-8 (BOM)"
    assert raw.frame.select("parcel_id", "community_id", "point_id", "arrived_at").rows() == [
        ("K1", "A", "P1", "2025-06-03 08:00:00")]


def test_an_excel_date_column_with_midnights_given_as_dates_reads_as_each_cell_would():
    cells = [dt.date(2025, 1, 1), "", dt.datetime(2025, 1, 1, 0, 7), None, dt.datetime(2025, 3, 1, 23, 59, 59)]
    assert list(_column_text(cells)) == ["2025-01-01", "", "2025-01-01 00:07:00", None, "2025-03-01 23:59:59"]
    assert list(_column_text([dt.date(2025, 1, 1), None])) == ["2025-01-01", None]
    assert list(_column_text([dt.date(2025, 1, 1), "x"])) == ["2025-01-01", "x"]


def test_text_runs_are_the_pieces_split_at_each_angle_bracket_would_give():
    for chunk, first, longest in ((b"abc", 3, 3), (b"<", 0, 0), (b"ab<cde<f", 2, 3), (b"abcdef<g<", 6, 6),
                                  (b"a<bcdefgh", 1, 7), (b"<<x", 0, 1)):
        pieces = chunk.split(b"<")
        assert _text_runs(chunk) == (first, longest) == (len(pieces[0]), max(map(len, pieces)))
