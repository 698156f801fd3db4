"""A large CSV is imported a chunk at a time (pipelines/ingest/chunked.py, staging.py): the store, the
report and the quarantine are exactly those of the file read whole, wherever the chunks are cut."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.errors import FileRefused
from pipelines.feeds import FEEDS
from pipelines.ingest import chunked
from pipelines.ingest.readers import RawTable
from pipelines.ingest.staging import Staging
from pipelines.ingest.store import import_file

WHOLE = 1 << 40
ORDERS = ("A社区订单导出\n"
          "订单号,社区编号,团长编号,渠道,下单时间,实付金额,状态,备注\n"
          "O1,A,S1,团购,2025/6/3 14:05,12.50,已支付,门口\n"                  # row 3: O1 again in row 6
          'O2,A,S1,团购,2025/6/3 14:06,13,已支付,"两行\n备注"\n'              # row 4: a quoted newline
          "O3,A,S2,直播,不是日期,14,已支付,电话13800138000\n"                  # row 5: quarantined
          "O1,A,S1,团购,2025/6/3 14:07,15,已退款,更正\n"                      # row 6: wins over row 3
          "O4,B,S3,合作社,2025/6/4 09:00,16,已支付,邻里互助\n"
          "O5,B,S3,合作社,2025/6/4 09:30,-1,已支付,\n"                         # row 8: negative amount
          "O4,B,S3,合作社,2025/6/4 10:00,17,已支付,再次更正\n")                 # row 9: wins over row 7
DATA = ORDERS.encode("gbk")


def snapshot(db: Path, kind: str = "orders") -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall()))
               for t in (f"raw_{kind}", f"cur_{kind}", f"seen_{kind}", f"cur_changes_{kind}", "quarantine",
                         "person_links")}
        out["imports"] = con.execute("SELECT import_id, kind, file_name, file_sha256, encoding, header_row, rows_read, "
                                     "rows_new, rows_replaced, rows_unchanged, rows_quarantined FROM imports").fetchall()
        return out
    finally:
        con.close()


def imported(tmp_path: Path, name: str, data: bytes, chunk_bytes: int, monkeypatch, kind: str = "orders"):
    """The report and store of importing `data` (twice: the second is a no-op) with chunks of `chunk_bytes`."""
    monkeypatch.setattr(chunked, "CHUNK_BYTES", chunk_bytes)
    folder = tmp_path / f"{name}-{chunk_bytes}"
    folder.mkdir()
    path = folder / "o.csv"
    path.write_bytes(data)
    expected = RawTable if chunk_bytes >= len(data) else chunked.CsvChunks
    assert isinstance(chunked.open_table(path, kind), expected)
    reports = [import_file(folder / "s.duckdb", kind, path) for _ in range(2)]
    said = [(r.summary("en"), r.column_lines("en"), r.quarantined) for r in reports]
    return said, snapshot(folder / "s.duckdb", kind)


def test_chunks_cut_anywhere_import_as_the_file_read_whole(tmp_path, monkeypatch):
    whole = imported(tmp_path, "whole", DATA, WHOLE, monkeypatch)
    said = whole[0][0]
    assert said[0] == "'o.csv' imported (import #1): 7 rows read, 3 new, 0 corrected, 0 unchanged, 4 quarantined."
    assert [(q["row"], q["reason_en"].split(": ", 1)[1]) for q in said[2]] == [
        (3, "same id as row 6; row 6 is used"),
        (5, "column '下单时间': unrecognised value, expected a date/time such as 2025-06-03 14:05, 2025/6/3 14:05 "
            "or 2025年6月3日 14:05"),
        (7, "same id as row 9; row 9 is used"),
        (8, "column '实付金额': must not be negative")]
    assert "Columns with phone/ID numbers masked: 备注 (1 cells)" in said[1]
    assert whole[0][1][0] == "'o.csv' is identical to import #1; nothing changed."
    # where the first read stops: inside the quoted newline, between a GBK character's two bytes, right
    # after row 3 (so O1's earlier row and its later one are in different chunks), inside row 7
    cuts = {"in the quoted field": DATA.index("两行\n".encode("gbk")) + 5,
            "inside a character": DATA.index("邻里".encode("gbk")) + 1,
            "after row 3": DATA.index(b"O2"), "in row 7": DATA.index(b"O4") + 3}
    for where, size in cuts.items():
        assert imported(tmp_path, where.replace(" ", "_"), DATA, size, monkeypatch) == whole, where
    for size in range(40, len(DATA), 61):
        assert imported(tmp_path, "every", DATA, size, monkeypatch) == whole, size


def test_a_column_of_phone_numbers_after_the_first_chunk_is_dropped_as_read_whole(tmp_path, monkeypatch):
    # the first chunk's 备用 cells are words; the file's are mostly phone numbers: dropped, as read whole
    rows = ["O1,A,S1,团购,2025/6/3 14:05,12,已支付,留言", "O2,A,S1,团购,2025/6/3 14:05,12,已支付,留言"]
    rows += [f"O{k},A,S1,团购,2025/6/3 14:05,12,已支付,1390013{k:04d}" for k in range(3, 12)]
    data = ("订单号,社区编号,团长编号,渠道,下单时间,实付金额,状态,备用\n" + "\n".join(rows) + "\n").encode()
    whole = imported(tmp_path, "whole", data, WHOLE, monkeypatch)
    assert "Columns with personal data, not stored: 备用" in whole[0][0][1]
    assert imported(tmp_path, "chunks", data, data.index(b"O3"), monkeypatch) == whole


TRAINING = ("session_id,community_id,course_type,session_date,手机,身份证号,attended\n"
            "T1,A,silver_digital,2025-06-03,13800138000,,是\n"                       # row 2: a phone alone
            "T1,A,silver_digital,2025-06-03,,,是\n"                                  # row 3: no one
            "T2,A,silver_digital,2099-06-10,13900139000,,是\n"                       # row 4: out of range
            "T2,A,silver_digital,2025-06-10,13800138000,11010519491231002X,是\n"     # row 5: its ID card too
            "T2,A,silver_digital,2025-06-10,138-0013-8000,,否\n")                    # row 6: row 5's person again
TRAINING_DATA = TRAINING.encode()


def test_a_person_in_two_chunks_has_the_id_the_file_read_whole_gives(tmp_path, monkeypatch):
    # a person's id depends on every row of the file: rows with an ID card and a phone go first, so the
    # phone alone in row 2 takes the id row 5's ID card gives, whichever chunk each is in
    whole = imported(tmp_path, "whole", TRAINING_DATA, WHOLE, monkeypatch, "training")
    assert [(q["row"], q["reason_en"].split(": ", 1)[1].split(" (")[0]) for q in whole[0][0][2]] == [
        (3, "column '学员编号': a required value is missing"),
        (4, "column 'session_date': the date is out of range"),
        (5, "same id as row 6; row 6 is used")]
    con = duckdb.connect(str(tmp_path / f"whole-{WHOLE}" / "s.duckdb"), read_only=True)
    ids = con.execute("SELECT session_id, participant_id FROM cur_training ORDER BY session_id").fetchall()
    raw = con.execute("SELECT raw FROM quarantine WHERE row_number = 5").fetchone()[0]
    con.close()
    assert len(ids) == 2 and ids[0][1] == ids[1][1] and ids[0][1] in raw and "\\u0000" not in raw
    for size in (TRAINING_DATA.index(b"T1,A,silver_digital,2025-06-03,,"), TRAINING_DATA.index(b"T2"),
                 TRAINING_DATA.index(b"T2,A,silver_digital,2025-06-10,138-")):
        assert imported(tmp_path, "chunks", TRAINING_DATA, size, monkeypatch, "training") == whole, size


def test_a_person_id_put_into_a_quarantined_row_is_masked_as_the_row_was():
    # the row as given was masked with a placeholder where its id goes: an id whose digits read as a phone
    # number is masked as it would have been in place
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE person_ids AS SELECT 7::BIGINT AS _row, 'Pe9e5b13340525821' AS pid")
    staging = Staging(con, FEEDS["training"])
    staging.pending = True
    given = pl.DataFrame({"_row": [7], "raw": ['{"participant_id":"\\u00007","attended":"是"}']})
    assert staging.with_people(given)["raw"].to_list() == ['{"participant_id":"Pe9e5b133****5821","attended":"是"}']
    con.close()


def test_bytes_neither_utf8_nor_gbk_in_a_later_chunk_are_refused_as_read_whole(tmp_path, monkeypatch):
    data = ("订单号,社区编号,团长编号,渠道,下单时间,实付金额,状态\n"
            + "".join(f"O{k},A,S1,group_buy,2025-06-03 14:05,12,paid\n" for k in range(20))).encode()
    data += b"O99,A,S1,group_buy,2025-06-03 14:05,12,paid\xff\n"
    messages = []
    for size in (WHOLE, 100):
        monkeypatch.setattr(chunked, "CHUNK_BYTES", size)
        path = tmp_path / f"o{size}.csv"
        path.write_bytes(data)
        with pytest.raises(FileRefused) as refused:
            import_file(tmp_path / f"s{size}.duckdb", "orders", path, display_name="o.csv")
        messages.append(str(refused.value))
    assert messages[0] == messages[1] and "line 22 " in messages[0]


def test_the_upload_preview_of_a_file_in_chunks_is_that_of_the_file_read_whole(tmp_path, monkeypatch):
    from pipelines.ingest import browser_upload
    seen = []
    for size in (WHOLE, DATA.index(b"O2")):
        monkeypatch.setattr(chunked, "CHUNK_BYTES", size)
        found = browser_upload.preview(browser_upload.Upload("o.csv", DATA), "orders", None, tmp_path / "t.duckdb")
        seen.append((found.fates, found.rows.to_dict("list"), found.headers))
    assert seen[0] == seen[1]
    assert ("备注", "masked", "1") in seen[0][0] and seen[0][1]["_row"] == [3, 4, 5, 6, 7, 8, 9]


KILL_SCRIPT = """
import sys, time
from pipelines.ingest import chunked, store
chunked.CHUNK_BYTES = 64
real_store_rows = store.store_rows
def slow_store_rows(*args, **kwargs):
    real_store_rows(*args, **kwargs)     # every row written inside the open transaction
    print("stored", flush=True)
    time.sleep(60)                      # killed here, before the commit
store.store_rows = slow_store_rows
store.import_file(sys.argv[1], "orders", sys.argv[2])
"""


def test_a_chunked_import_killed_before_commit_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    db = tmp_path / "s.duckdb"
    first = tmp_path / "first.csv"
    first.write_bytes(b"order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"
                      b"O1,A,S1,group_buy,2025-06-02 10:00,100,paid\n")
    import_file(db, "orders", first)
    before = snapshot(db)
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    big = tmp_path / "o.csv"
    big.write_bytes(DATA)
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(big)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2], env=dict(os.environ))
    assert proc.stdout.readline().strip() == "stored"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(db) == before
    monkeypatch.setattr(chunked, "CHUNK_BYTES", 64)
    report = import_file(db, "orders", big)     # and the store takes the import afterwards
    assert (report.rows_new, report.rows_replaced) == (2, 1)
