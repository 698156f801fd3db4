"""Issue 15 item 4: headers are data. A register without a header row is refused, never read with its
first resident as column names; a phone or ID number in a header is masked wherever the header goes."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.cli.main import main
from pipelines.errors import FileRefused
from pipelines.ingest.browser_upload import Upload, preview
from pipelines.ingest.profiles import Profile
from pipelines.ingest.readers import read_table
from pipelines.ingest.store import import_file
from tests.conftest import write

PHONE, IDCARD, NAME = "13912345678", "110105194912310021", "张三丰"
SECRETS = (PHONE, IDCARD, "19491231", NAME, "13812345679", "19500101", "李四光")
REGISTER = (f"{NAME},{PHONE},{IDCARD},银发触网,2025-06-02,是\n"
            "李四光,13812345679,11010519500101002X,理财,2025-06-03,否\n")
TRAINING = "场次编号,社区编号,课程类型,上课日期,学员编号,是否签到\nS1,A,理财,2025-06-02,P1,是\n"


def _varchar_values(db: Path) -> list[str]:
    """Every VARCHAR value of every table of the store."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = []
        for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                          "WHERE data_type = 'VARCHAR' AND table_schema = 'main'").fetchall():
            out += [v for (v,) in con.execute(f'SELECT "{column}" FROM "{table}"').fetchall() if v is not None]
        return out
    finally:
        con.close()


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture
def store(tmp_path) -> Path:
    """A store that already holds one good import, so every table exists to be scanned."""
    db = tmp_path / "store" / "t.duckdb"
    db.parent.mkdir()
    import_file(db, "training", write(tmp_path / "good.csv", TRAINING))
    return db


def _files_written(tmp_path: Path, inputs: set[Path]) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p not in inputs}


@pytest.mark.parametrize(("lang", "words"), [("zh", ("没有表头行", "第 1 行", "加一行列名")),
                                             ("en", ("no header row", "row 1 ", "Add a row of column names"))])
def test_a_register_without_a_header_row_is_refused_and_nothing_of_it_is_kept(
        tmp_path, store, capsys, monkeypatch, lang, words):
    monkeypatch.setenv("LINLI_LANG", lang)
    register = write(tmp_path / "register.csv", REGISTER)
    before = _varchar_values(store)
    assert main(["--db", str(store), "ingest", "training", str(register)]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words), err
    assert _leaks(err) == []
    after = _varchar_values(store)
    assert after == before and _leaks("\n".join(after)) == []
    for path, data in _files_written(tmp_path, {register}).items():
        assert not any(s.encode() in data for s in SECRETS), path


def test_the_refusal_names_the_first_row_that_is_data_below_a_title(tmp_path):
    path = write(tmp_path / "r.csv", "A社区7月培训签到表\n" + REGISTER)
    with pytest.raises(FileRefused) as err:
        read_table(path, "training")
    assert "第 2 行" in err.value.zh and "row 2 " in err.value.en


def test_an_excel_register_without_a_header_row_is_refused(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["培训签到"])
    sheet.append([])
    for line in REGISTER.splitlines():
        sheet.append(line.split(","))
    sheet.append(["王五", 13712345670, 110105195501010021, "理财", "2025-06-04", "是"])   # numbers, as Excel keeps them
    book.save(tmp_path / "r.xlsx")
    with pytest.raises(FileRefused) as err:
        read_table(tmp_path / "r.xlsx", "training")
    assert "第 3 行" in err.value.zh and _leaks(err.value.zh + err.value.en) == []
    sheet.delete_rows(3, 2)      # only the row of numbers is left
    book.save(tmp_path / "r.xlsx")
    with pytest.raises(FileRefused) as err:
        read_table(tmp_path / "r.xlsx", "training")
    assert "没有表头行" in err.value.zh and "第 3 行" in err.value.zh


def test_a_profile_made_from_a_data_row_does_not_turn_it_into_headers(tmp_path, store):
    """The finding itself: the upload page offered the first resident as column names and saved them."""
    made_from_data = Profile(name="reg", kind="training", headers=(NAME, PHONE, IDCARD, "银发触网"),
                             columns={PHONE: ("participant_id",), "银发触网": ("course_type",),
                                      "2025-06-02": ("session_date",), "是": ("attended",)},
                             constants={"community_id": "A", "session_id": "S9"})
    before = _varchar_values(store)
    for profile in (made_from_data, Profile(**{**made_from_data.__dict__, "skip_rows": 0})):
        with pytest.raises(FileRefused) as err:
            import_file(store, "training", write(tmp_path / "register.csv", REGISTER), profile=profile)
        assert "第 1 行" in err.value.zh
    assert _varchar_values(store) == before


@pytest.mark.parametrize("cell", [PHONE, "139 1234 5678", IDCARD, "110105-19491231-002x"])
def test_a_header_row_with_a_bare_phone_or_id_number_is_data(tmp_path, cell):
    path = write(tmp_path / "c.csv", f"编号,社区编号,受理时间,类型,{cell}\nC1,A,2025-06-03 10:00,其他,某某\n")
    with pytest.raises(FileRefused) as err:
        read_table(path, "complaints")
    assert "没有表头行" in err.value.zh


def test_a_number_inside_a_header_is_masked_in_extra_quarantine_report_and_preview(tmp_path):
    db = tmp_path / "t.duckdb"
    path = write(tmp_path / "c.csv", f"编号,社区编号,受理时间,类型,备注{PHONE},联系人{IDCARD}\n"
                                     "C1,A,2025-06-03 10:00,其他,请回电,某某\n"
                                     "C2,A,2025-13-03 10:00,其他,再回电,某某\n")
    raw = read_table(path, "complaints")
    assert raw.source_headers[-2:] == ["备注139****5678", "联系人110***********0021"]
    report = import_file(db, "complaints", path)
    assert "备注139****5678" in report.kept_columns and "联系人110***********0021" in report.dropped_columns
    assert _leaks(report.summary("zh") + report.summary("en") + json.dumps(report.__dict__, default=str,
                                                                            ensure_ascii=False)) == []
    con = duckdb.connect(str(db), read_only=True)
    try:
        extra = con.execute("SELECT _extra FROM raw_complaints").fetchall()
        quarantined = con.execute("SELECT raw FROM quarantine").fetchall()
    finally:
        con.close()
    assert extra == [('{"备注139****5678":"请回电"}',)]
    assert len(quarantined) == 1 and json.loads(quarantined[0][0])["备注139****5678"] == "再回电"
    assert _leaks("\n".join(_varchar_values(db))) == []


def test_the_upload_page_offers_no_resident_as_column_names(tmp_path, store):
    """The page's mapping editor starts from the guessed header row: never a row of data."""
    seen = preview(Upload("register.csv", ("培训签到\n" + REGISTER).encode()), "training", None, store)
    assert isinstance(seen.refused, FileRefused) and "第 2 行" in seen.refused.zh
    assert seen.headers == ["培训签到"]
    assert _leaks(" ".join(seen.headers) + seen.refused.zh + seen.refused.en) == []
    masked = preview(Upload("c.csv", f"编号,社区编号,受理时间,类型,备注{PHONE}\nC1,A,2025-06-03 10:00,其他,请回电\n".encode()),
                     "complaints", None, store)
    assert masked.headers[-1] == "备注139****5678" and [f[0] for f in masked.fates][-1] == "备注139****5678"
