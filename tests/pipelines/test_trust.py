"""Issue 6: no silent data loss, no personal data on disk, hostile files refused with a clear message.

Each test reproduces one finding of the issue on a small hand-made file and asserts what SPEC §3/§4 say.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.build.runner import build, current_snapshot
from pipelines.errors import FileRefused
from pipelines.ingest import readers
from pipelines.ingest.readers import read_table
from pipelines.ingest.store import import_file, undo
from pipelines.personal import KeyRefused
from tests.conftest import Kpi, write


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# 1. ids are scoped to their community ------------------------------------------------------

def test_two_communities_numbering_complaints_alike_keep_all_of_them(tmp_path):
    db = tmp_path / "t.duckdb"
    a = "编号,社区编号,受理时间,类型\n" + "".join(f"{i},A,2025-06-0{i} 10:00,直播噪音\n" for i in range(1, 6))
    b = "编号,社区编号,受理时间,类型\n" + "".join(f"{i},B,2025-06-0{i} 11:00,其他\n" for i in range(1, 4))
    import_file(db, "complaints", write(tmp_path / "a.csv", a))
    report = import_file(db, "complaints", write(tmp_path / "b.csv", b))
    assert (report.rows_new, report.rows_replaced) == (3, 0)
    assert rows(db, "SELECT community_id, count(*) FROM cur_complaints GROUP BY 1 ORDER BY 1") == [("A", 5), ("B", 3)]
    build(db)
    kpi = Kpi(db)
    assert kpi("A", "month", "2025-06-01", "complaints.count") == 5
    assert kpi("B", "month", "2025-06-01", "complaints.count") == 3


def test_a_fix_for_one_community_does_not_clear_another_communitys_quarantined_row(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "complaints", write(tmp_path / "b.csv", "编号,社区编号,受理时间,类型\n7,B,昨天,其他\n"))
    import_file(db, "complaints", write(tmp_path / "a.csv", "编号,社区编号,受理时间,类型\n7,A,2025-06-03 10:00,其他\n"))
    build(db)
    assert rows(db, "SELECT community_id, row_number FROM quarantine_open") == [("B", 2)]
    import_file(db, "complaints", write(tmp_path / "b2.csv", "编号,社区编号,受理时间,类型\n7,B,2025-06-03 10:00,其他\n"))
    build(db)
    assert rows(db, "SELECT count(*) FROM quarantine_open") == [(0,)]


# 2. undo is exact ------------------------------------------------------------------------------

ORDERS_HEAD = "order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"


def _orders(ids_amounts) -> str:
    return ORDERS_HEAD + "".join(f"{i},A,S1,group_buy,2025-06-03 10:00,{a},paid\n" for i, a in ids_amounts)


def test_undo_leaves_the_rows_a_later_import_also_brought(tmp_path):
    db = tmp_path / "t.duckdb"
    first = import_file(db, "orders", write(tmp_path / "1.csv", _orders([("U1", 1), ("U2", 2), ("U3", 3)])))
    import_file(db, "orders", write(tmp_path / "2.csv", _orders([("U1", 1), ("U2", 2), ("U3", 30), ("U4", 4)])))
    undo(db, first.import_id)
    assert rows(db, "SELECT order_id, amount_yuan FROM cur_orders ORDER BY 1") == [
        ("U1", 1), ("U2", 2), ("U3", 30), ("U4", 4)]


def test_undo_of_the_later_import_restores_the_earlier_rows(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "orders", write(tmp_path / "1.csv", _orders([("U1", 1), ("U2", 2), ("U3", 3)])))
    second = import_file(db, "orders", write(tmp_path / "2.csv", _orders([("U1", 1), ("U2", 2), ("U3", 30), ("U4", 4)])))
    undo(db, second.import_id)
    assert rows(db, "SELECT order_id, amount_yuan FROM cur_orders ORDER BY 1") == [("U1", 1), ("U2", 2), ("U3", 3)]


# 3, 4. Excel read by content, every column as text ------------------------------------------------

def _with_stale_dimension(path: Path, ref: str = "A1:G2") -> None:
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), parts[sheet])
    assert f'ref="{ref}"'.encode() in parts[sheet]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def test_excel_rows_past_a_stale_declared_size_are_all_read(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["A社区6月订单"])
    ws.append(["订单号", "社区编号", "商户编号", "渠道", "下单时间", "实付金额", "状态"])
    for i in range(300):
        ws.append([f"O{i}", "A", "S1", "团购", dt.datetime(2025, 6, 3, 10, 0), i, "已支付"])
    wb.save(tmp_path / "o.xlsx")
    _with_stale_dimension(tmp_path / "o.xlsx")
    raw = read_table(tmp_path / "o.xlsx", "orders")
    assert raw.frame.height == 300
    assert raw.frame["_row"].to_list()[:2] == [3, 4] and raw.frame["_row"].to_list()[-1] == 302


def test_excel_column_empty_for_its_first_rows_and_filled_later_imports(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "社区编号", "受理时间", "类型", "办结时间", "备注"])
    for i in range(250):
        late = dt.datetime(2025, 6, 4, 9, 0) if i >= 200 else None
        ws.append([f"C{i}", "A", dt.datetime(2025, 6, 3, 10, 0), "其他", late, "已回访" if i >= 240 else None])
    wb.save(tmp_path / "c.xlsx")
    db = tmp_path / "t.duckdb"
    report = import_file(db, "complaints", tmp_path / "c.xlsx")
    assert (report.rows_new, len(report.quarantined)) == (250, 0)
    assert rows(db, "SELECT count(resolved_at), min(resolved_at) FROM cur_complaints") == [
        (50, dt.datetime(2025, 6, 4, 9, 0))]


# 5. personal data never reaches the disk as it came ------------------------------------------------

PHONE, PHONE2, IDCARD = "13800138000", "13912345678", "11010519491231002X"


def _text_values(db: Path) -> str:
    """Every text value of every table and view of a database, joined."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = []
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            for row in con.execute(f'SELECT * FROM "{table}"').fetchall():
                out.extend(str(v) for v in row if v is not None)
        return "\n".join(out)
    finally:
        con.close()


def test_personal_headers_values_and_ids_are_never_stored(tmp_path):
    db = tmp_path / "t.duckdb"
    complaints = write(tmp_path / "c.csv", f"""
        编号,社区编号,受理时间,类型,联系人,微信号,收件人,收货人,买家昵称,投诉人,收货地址,Name,备注
        {PHONE2},A,2025-06-03 10:00,直播噪音,张三,zhangsan88,李四,王五,小花猫,赵六,幸福路8号,Li Lei,请回电 138 0013 8000
        C2,A,2025-06-03 11:00,直播噪音,张三,zhangsan88,李四,王五,小花猫,赵六,幸福路8号,Li Lei,身份证{IDCARD}
        C3,A,不是日期,直播噪音,张三,zhangsan88,李四,王五,小花猫,赵六,幸福路8号,Li Lei,电话{PHONE}
    """)
    report = import_file(db, "complaints", complaints)
    assert len(report.quarantined) == 1
    assert set(report.dropped_columns) == {"联系人", "微信号", "收件人", "收货人", "买家昵称", "投诉人", "收货地址", "Name"}
    assert report.masked_columns == {"备注": 3}
    assert report.hashed_columns == ["编号"]
    training = write(tmp_path / "t.csv", f"""
        场次编号,社区编号,课程类型,上课日期,学员编号（手机号）,是否签到
        S1,A,银发触网,2025-06-03,{PHONE},是
        S1,A,银发触网,2025-06-03,{PHONE2},否
    """)
    import_file(db, "training", training)
    build(db)
    assert rows(db, "SELECT _extra FROM cur_complaints ORDER BY _row")[0][0] == '{"备注":"请回电 138****8000"}'
    assert rows(db, "SELECT count(DISTINCT participant_id) FROM cur_training") == [(2,)]
    for text in (_text_values(db), _text_values(current_snapshot(db))):
        for value in (PHONE, PHONE2, IDCARD, "138 0013 8000", "张三", "zhangsan88", "李四", "王五", "小花猫",
                      "赵六", "幸福路8号", "Li Lei"):
            assert value not in text, value
    for path in (db, current_snapshot(db)):
        data = path.read_bytes()
        for value in (PHONE, PHONE2, IDCARD, "张三", "幸福路8号"):
            assert value.encode() not in data, (path, value)


def test_an_unknown_column_of_phone_numbers_is_dropped_and_named(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "orders", write(tmp_path / "o.csv", ORDERS_HEAD.strip() + ",团员\n"
                                             f"O1,A,S1,group_buy,2025-06-03 10:00,5,paid,{PHONE}\n"
                                             f"O2,A,S1,group_buy,2025-06-03 10:00,5,paid,{PHONE2}\n"))
    assert report.dropped_columns == ["团员"]
    assert PHONE not in _text_values(db)


# 7. one person, one id ------------------------------------------------------------------------

def test_id_card_and_phone_in_one_file_link_the_person_across_files(tmp_path):
    db = tmp_path / "t.duckdb"
    head = "场次编号,社区编号,课程类型,上课日期,{},是否签到\n"
    import_file(db, "training", write(tmp_path / "1.csv", head.format("身份证号,手机号")
                                      + f"S1,A,银发触网,2025-06-03,{IDCARD},{PHONE},是\n"))
    import_file(db, "training", write(tmp_path / "2.csv", head.format("联系电话")
                                      + "S2,A,银发触网,2025-06-10,１３８－００１３－８０００,是\n"))
    import_file(db, "training", write(tmp_path / "3.csv", head.format("证件号码")
                                      + f"S3,A,银发触网,2025-06-17,{IDCARD.lower()},是\n"))
    ids = rows(db, "SELECT session_id, participant_id FROM cur_training ORDER BY 1")
    assert len({pid for _, pid in ids}) == 1 and ids[0][1].startswith("P")
    assert rows(db, "SELECT count(*) FROM person_links") == [(2,)]
    build(db)
    assert Kpi(db)("A", "month", "2025-06-01", "training.participants") == 1


# 6. the key ----------------------------------------------------------------------------------

def _training(tmp_path, n: int) -> Path:
    return write(tmp_path / f"t{n}.csv", "场次编号,社区编号,课程类型,上课日期,手机号,是否签到\n"
                                        f"S{n},A,银发触网,2025-06-03,{PHONE},是\n")


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "person.key"
    monkeypatch.setenv("LINLI_KEY_FILE", str(path))
    return path


def test_a_deleted_key_is_refused_not_recreated(tmp_path, key_file):
    db = tmp_path / "t.duckdb"
    import_file(db, "training", _training(tmp_path, 1))
    assert key_file.stat().st_mode & 0o077 == 0 and len(bytes.fromhex(key_file.read_text().strip())) == 32
    key_file.unlink()
    with pytest.raises(KeyRefused) as err:
        import_file(db, "training", _training(tmp_path, 2))
    assert "找不到密钥文件" in err.value.zh and not key_file.exists()
    assert rows(db, "SELECT count(*) FROM imports") == [(1,)]


def test_a_different_key_is_refused(tmp_path, key_file):
    db = tmp_path / "t.duckdb"
    import_file(db, "training", _training(tmp_path, 1))
    key_file.write_text(os.urandom(32).hex())
    with pytest.raises(KeyRefused) as err:
        import_file(db, "training", _training(tmp_path, 2))
    assert "不是这个数据库使用的那一把" in err.value.zh


@pytest.mark.parametrize("content, mode, words", [
    (b"", 0o600, "文件是空的"), (b"\n", 0o600, "文件是空的"), (b"e2260dd938fa7b10", 0o600, "密钥太短"),
    (b"d9aae4ef3f0b507b00b798e83a6ed17ec3c848075e2c2d6e9332870c2cbabba2", 0o644, "其他用户也能读取"), (b"\xff\xfe not a key", 0o600, "不是十六进制"),
    (b"zz" * 32, 0o600, "不是十六进制")])
def test_unusable_key_files_are_refused_with_a_message(tmp_path, key_file, content, mode, words):
    key_file.parent.mkdir()
    key_file.write_bytes(content)
    key_file.chmod(mode)
    with pytest.raises(KeyRefused) as err:
        import_file(tmp_path / "t.duckdb", "training", _training(tmp_path, 1))
    assert words in err.value.zh and str(key_file) in err.value.zh


def test_a_file_with_no_personal_data_needs_no_key(tmp_path, key_file):
    import_file(tmp_path / "t.duckdb", "orders", write(tmp_path / "o.csv", _orders([("O1", 1)])))
    assert not key_file.exists()


# 10. size guards ----------------------------------------------------------------------------------

def _xlsx_with_sheet_xml(path: Path, sheet_xml: bytes, shared: bytes | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["订单号", "社区编号"])
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = sheet_xml
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return path


SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
         b'spreadsheetml/2006/main"><dimension ref="A1:B1"/><sheetData>%s</sheetData></worksheet>')


def test_a_stray_cell_at_the_last_column_is_refused_without_reading_the_grid(tmp_path):
    xml = SHEET % (b'<row r="1"><c r="A1" t="inlineStr"><is><t>order_id</t></is></c></row>'
                   b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    path = _xlsx_with_sheet_xml(tmp_path / "o.xlsx", xml)
    assert path.stat().st_size < 10_000
    with pytest.raises(FileRefused) as err:
        read_table(path, "orders")
    assert "16,384 列" in err.value.zh and "o.xlsx" in err.value.zh


def test_a_cell_beyond_excels_limit_is_refused(tmp_path):
    big = b"x" * 400_000
    xml = SHEET % b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    shared = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              b'count="1" uniqueCount="1"><si><t>' + big + b'</t></si></sst>')
    with pytest.raises(FileRefused) as err:
        read_table(_xlsx_with_sheet_xml(tmp_path / "o.xlsx", xml, shared), "orders")
    assert "32,767" in err.value.zh


def test_a_sparse_sheet_within_limits_is_read_row_by_row(tmp_path):
    cells = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>complaint_id</t></is></c><c r="B1" t="inlineStr"><is>'
             b'<t>community_id</t></is></c><c r="C1" t="inlineStr"><is><t>received_at</t></is></c>'
             b'<c r="D1" t="inlineStr"><is><t>category</t></is></c></row>'
             b'<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="B2" t="inlineStr"><is><t>A</t></is></c>'
             b'<c r="C2" t="inlineStr"><is><t>2025-06-03 10:00</t></is></c><c r="D2" t="inlineStr"><is><t>other</t>'
             b'</is></c></row><row r="900000"><c r="ALL900000" t="inlineStr"><is><t>stray</t></is></c></row>')
    raw = read_table(_xlsx_with_sheet_xml(tmp_path / "c.xlsx", SHEET % cells), "complaints")
    assert raw.frame["complaint_id"].to_list() == ["C1"]


def test_a_device_or_an_oversized_file_is_refused(tmp_path, monkeypatch):
    with pytest.raises(FileRefused) as err:
        read_table("/dev/zero", "orders")
    assert "不是一个普通文件" in err.value.zh
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    with pytest.raises(FileRefused) as err:
        read_table(write(tmp_path / "o.csv", _orders([("O1", 1), ("O2", 2)])), "orders")
    assert "上限" in err.value.zh


# 11. implausible dates -----------------------------------------------------------------------------

def test_dates_out_of_range_are_quarantined_with_that_reason(tmp_path):
    tomorrow_plus = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    db = tmp_path / "t.duckdb"
    report = import_file(db, "parcels", write(tmp_path / "p.csv", f"""
        parcel_id,community_id,point_id,arrived_at
        K1,A,P1,2052-06-03 10:00
        K2,A,P1,1999-12-31 23:59
        K3,A,P1,{tomorrow_plus} 10:00
        K4,A,P1,2025-06-03 10:00
    """))
    assert [q["row"] for q in report.quarantined] == [2, 3, 4]
    assert all("超出可信范围" in q["reason_zh"] for q in report.quarantined)
    build(db)
    assert rows(db, "SELECT min(period_start), max(period_start) FROM kpi WHERE grain = 'month'") == [
        (dt.date(2025, 6, 1), dt.date(2025, 6, 1))]


# 13. the smaller ones ---------------------------------------------------------------------------

def test_control_characters_never_reach_ids_or_messages(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "orders", write(tmp_path / "o.csv", ORDERS_HEAD
                                             + "O\x001,A,S1,group_buy,2025-06-03 10:00,1,paid\n"
                                             + "O2,A,S1,\x1b[31mgroup_buy,2025-06-03 10:00,1,paid\n"))
    assert rows(db, "SELECT order_id FROM cur_orders") == [("O1",)]
    assert len(report.quarantined) == 1 and "\x1b" not in report.quarantined[0]["reason_zh"]
    assert rows(db, "SELECT json_extract_string(raw, '$.channel') FROM quarantine") == [("[31mgroup_buy",)]


def test_a_header_only_file_is_refused(tmp_path):
    with pytest.raises(FileRefused) as err:
        read_table(write(tmp_path / "o.csv", ORDERS_HEAD), "orders")
    assert "没有任何数据行" in err.value.zh


@pytest.mark.parametrize("name, data, words", [
    ("o.xlsx", ORDERS_HEAD.encode(), "不是 Excel 工作簿"), ("o.csv", b"%PDF-1.7\n...", "PDF 文档"),
    ("o.csv", b"\x89PNG\r\n\x1a\n....", "PNG 图片"), ("o.xlsx", b"PK\x03\x04garbage", "已损坏")])
def test_files_that_are_not_csv_or_xlsx_say_what_they_are(tmp_path, name, data, words):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(FileRefused) as err:
        read_table(tmp_path / name, "orders")
    assert words in err.value.zh


def test_mixed_encodings_name_the_line(tmp_path):
    data = (ORDERS_HEAD + "O1,A,S1,团购,2025-06-03 10:00,1,paid\n").encode("utf-8") \
        + "O2,A,S1,团购,2025-06-03 10:00,1,paid\n".encode("gbk") + b"O3,A,S1,\xff\xff,2025-06-03,1,paid\n"
    (tmp_path / "o.csv").write_bytes(data)
    with pytest.raises(FileRefused) as err:
        read_table(tmp_path / "o.csv", "orders")
    assert "第 3 行" in err.value.zh     # where the GBK line begins


def test_a_quarantined_row_keeps_the_files_other_columns_masked(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "complaints", write(tmp_path / "c.csv", f"""
        编号,社区编号,受理时间,类型,投诉人,备注
        X1,A,2025-13-40 10:00,直播噪音,张三,请回电{PHONE}
    """))
    (raw,) = rows(db, "SELECT raw FROM quarantine")[0]
    assert '"complaint_id":"X1"' in raw and '"备注":"请回电138****8000"' in raw and "张三" not in raw


def test_two_people_sharing_a_phone_stay_two_people(tmp_path):
    db = tmp_path / "t.duckdb"
    other = "110105195001010011"
    report = import_file(db, "training", write(tmp_path / "1.csv", f"""
        场次编号,社区,课程类型,上课日期,姓名,身份证号,联系电话,是否出席
        S1,A,银发触网,2025-06-03,张三,{IDCARD.lower()},{PHONE},是
        S1,A,银发触网,2025-06-03,李四,{other},{PHONE},是
    """))
    assert (report.rows_new, len(report.quarantined)) == (2, 0)
    import_file(db, "training", write(tmp_path / "2.csv", f"场次编号,社区,课程类型,上课日期,身份证号,是否出席\n"
                                                          f"S2,A,银发触网,2025-06-10,{other},是\n"))
    ids = dict(rows(db, "SELECT session_id || '/' || _row, participant_id FROM cur_training"))
    assert ids["S1/2"] != ids["S1/3"] and ids["S2/2"] == ids["S1/3"]


@pytest.mark.parametrize("written", ["110105 19491231 002X", "110105-19491231-002x", "ID11010519491231002X"])
def test_id_numbers_in_groups_are_recognised(tmp_path, written):
    db = tmp_path / "t.duckdb"
    import_file(db, "training", write(tmp_path / "t.csv", "场次编号,社区编号,课程类型,上课日期,学员编号,是否签到,备注\n"
                                      f"S1,A,银发触网,2025-06-03,{written},是,证件 {written}\n"))
    text = _text_values(db)
    assert "19491231" not in text
    assert rows(db, "SELECT participant_id LIKE 'P%' FROM cur_training") == [(True,)]


def test_a_phone_number_in_an_amount_column_is_quarantined_masked(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "orders", write(tmp_path / "o.csv", ORDERS_HEAD + f"O1,A,S1,group_buy,2025-06-03 10:00,{PHONE},paid\n"
                                             "O2,A,S1,group_buy,2025-06-03 10:00,5,paid\n"))
    assert [q["row"] for q in report.quarantined] == [2] and "手机号" in report.quarantined[0]["reason_zh"]
    assert PHONE not in _text_values(db)


# A header row with a phone number in a cell is data, refused (tests/pipelines/test_headers_are_data.py).
@pytest.mark.parametrize("header", ["Street Address", "Consignee", "Recipient", "buyername", "业主", "来电人", "用户名",
                                    "抖音号", "房号", "客户"])
def test_more_personal_headers_are_dropped(tmp_path, header):
    report = import_file(tmp_path / "t.duckdb", "complaints", write(tmp_path / "c.csv",
                         f"编号,社区编号,受理时间,类型,{header}\nC1,A,2025-06-03 10:00,其他,某某\n"))
    assert header in report.dropped_columns
    assert "某某" not in _text_values(tmp_path / "t.duckdb")


def test_a_cell_of_many_small_rich_text_runs_is_refused(tmp_path):
    runs = b"<r><t>" + b"x" * 200 + b"</t></r>"
    xml = SHEET % (b'<row r="1"><c r="A1" t="inlineStr"><is>' + runs * 30_000 + b"</is></c></row>")
    path = _xlsx_with_sheet_xml(tmp_path / "o.xlsx", xml)
    assert path.stat().st_size < 200_000
    with pytest.raises(FileRefused) as err:
        read_table(path, "orders")
    assert "32,767" in err.value.zh


def test_a_second_community_column_does_not_pose_as_the_rows_community(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "complaints", write(tmp_path / "c.csv", "编号,社区,受理时间,类型,community_id\n1,A,2025-13-03 10:00,噪音,B\n"))
    import_file(db, "complaints", write(tmp_path / "b.csv", "编号,社区,受理时间,类型\n1,B,2025-06-03 10:00,其他\n"))
    build(db)
    assert rows(db, "SELECT community_id FROM quarantine_open") == [("A",)]


def test_a_workbook_named_xls_is_read_as_the_workbook_it_is(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "社区编号", "受理时间", "类型"])
    wb.active.append(["C1", "A", "2025-06-03 10:00", "其他"])
    wb.save(tmp_path / "c.xls")
    assert read_table(tmp_path / "c.xls", "complaints").frame["complaint_id"].to_list() == ["C1"]


def test_an_id_number_typed_as_an_excel_number_is_not_kept(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "社区编号", "受理时间", "类型", "备注"])
    wb.active.append(["C1", "A", "2025-06-03 10:00", "其他", 110105194912310021])
    wb.save(tmp_path / "c.xlsx")
    import_file(tmp_path / "t.duckdb", "complaints", tmp_path / "c.xlsx")
    assert "1949123" not in _text_values(tmp_path / "t.duckdb")


def test_messages_never_echo_escapes_or_phone_numbers_from_a_path(tmp_path):
    with pytest.raises(FileRefused) as err:
        read_table(tmp_path / f"missing\x1b[31m{PHONE}.csv", "orders")
    assert "\x1b" not in err.value.zh and PHONE not in err.value.zh and "138****8000" in err.value.zh


def test_undo_of_an_unknown_import_speaks_one_language(tmp_path, capsys, monkeypatch):
    from pipelines.cli.main import main
    import_file(tmp_path / "t.duckdb", "orders", write(tmp_path / "o.csv", _orders([("O1", 1)])))
    monkeypatch.setenv("LINLI_LANG", "en")
    assert main(["--db", str(tmp_path / "t.duckdb"), "undo", "99"]) == 1
    err = capsys.readouterr().err
    assert "no import #99" in err and "没有" not in err


def test_undo_of_the_import_that_linked_a_person_is_exact(tmp_path):
    db = tmp_path / "t.duckdb"
    head = "场次编号,社区编号,课程类型,上课日期,{},是否签到\n"
    linked = import_file(db, "training", write(tmp_path / "1.csv", head.format("身份证号,手机号")
                                               + f"S1,A,银发触网,2025-06-03,{IDCARD},{PHONE},是\n"))
    import_file(db, "training", write(tmp_path / "2.csv", head.format("手机号") + f"S2,A,银发触网,2025-06-10,{PHONE},是\n"))
    build(db)
    undo(db, linked.import_id)
    import_file(db, "training", write(tmp_path / "3.csv", head.format("手机号") + f"S3,A,银发触网,2025-06-17,{PHONE},是\n"))
    build(db)
    # as if the first import had never happened: the phone alone is one person, the same in S2 and S3
    alone = tmp_path / "alone.duckdb"
    import_file(alone, "training", tmp_path / "2.csv")
    import_file(alone, "training", tmp_path / "3.csv")
    query = "SELECT session_id, participant_id FROM cur_training ORDER BY 1"
    assert rows(db, query) == rows(alone, query)
    assert rows(db, "SELECT ident_hash, person_id FROM person_links ORDER BY 1") == \
        rows(alone, "SELECT ident_hash, person_id FROM person_links ORDER BY 1")
    assert Kpi(db)("A", "month", "2025-06-01", "training.participants") == 1


def test_a_row_quarantined_for_a_missing_community_closes_when_fixed(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "complaints", write(tmp_path / "c.csv", "编号,社区编号,受理时间,类型\n9,,2025-06-03 10:00,直播噪音\n"
                                                           "8,A,2025-06-03 10:00,直播噪音\n"))
    build(db)
    assert rows(db, "SELECT row_number FROM quarantine_open") == [(2,)]
    import_file(db, "complaints", write(tmp_path / "f.csv", "编号,社区编号,受理时间,类型\n9,A,2025-06-03 10:00,直播噪音\n"))
    build(db)
    assert rows(db, "SELECT count(*) FROM quarantine_open") == [(0,)]


def test_a_store_of_the_previous_schema_is_migrated(tmp_path):
    db = tmp_path / "t.duckdb"
    import_file(db, "complaints", write(tmp_path / "a.csv", "编号,社区编号,受理时间,类型\n1,A,2025-06-03 10:00,其他\n"
                                                           "2,A,坏日期,其他\n"))
    import_file(db, "complaints", write(tmp_path / "b.csv", "编号,社区编号,受理时间,类型\n1,B,2025-06-03 10:00,其他\n"))
    # what Linli before schema version 2 left: no meta, no links, no quarantine keys
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE linli_meta")
    con.execute("DROP TABLE person_links")
    con.execute("DROP VIEW raw_keys")
    con.execute("ALTER TABLE quarantine DROP COLUMN row_key")
    con.close()
    build(db)
    assert rows(db, "SELECT value FROM linli_meta WHERE name = 'schema_version'") == [("3",)]
    assert rows(db, "SELECT row_key FROM quarantine") == [("A\x1f2",)]
    assert rows(db, "SELECT community_id, complaint_id FROM cur_complaints ORDER BY 1") == [("A", "1"), ("B", "1")]
    import_file(db, "complaints", write(tmp_path / "fix.csv", "编号,社区编号,受理时间,类型\n2,A,2025-06-04 10:00,其他\n"))
    build(db)
    assert rows(db, "SELECT count(*) FROM quarantine_open") == [(0,)]


def test_without_linli_key_file_the_key_lives_in_the_users_configuration_folder(tmp_path, monkeypatch):
    from pipelines.personal import key_path
    monkeypatch.delenv("LINLI_KEY_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert key_path() == tmp_path / "cfg" / "linli" / "person.key"
    import_file(tmp_path / "t.duckdb", "training", _training(tmp_path, 1))
    assert (tmp_path / "cfg" / "linli" / "person.key").stat().st_mode & 0o077 == 0
