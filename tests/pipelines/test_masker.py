"""Issue 15 item 6: one masker. Every path that masks a text (the import's polars expression, a
message's file name, a stored file name, an action item's or case's free text) gives the same
answer for every format in one table, and leaves ordinary numbers alone."""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import personal
from pipelines.errors import safe_text
from pipelines.ingest.store import import_file
from pipelines.records.actions import clean

# input -> masked output. The digits kept are the first three and last four, as written
# (full-width stays full-width); separators inside the number go, a country code stays.
FORMATS = [
    ("13912345678", "139****5678"),
    ("139/1234/5678", "139****5678"),
    ("139·1234·5678", "139****5678"),
    ("(139)12345678", "(139)****5678"),
    ("（139）1234 5678", "（139）****5678"),
    ("139_1234_5678", "139****5678"),
    ("139.1234.5678", "139****5678"),
    ("139 1234 5678", "139****5678"),
    ("139-1234-5678", "139****5678"),
    ("139—1234—5678", "139****5678"),
    ("１３９１２３４５６７８", "１３９****５６７８"),
    ("１３９－１２３４－５６７８", "１３９****５６７８"),
    ("+86 139 1234 5678", "+86 139****5678"),
    ("+86(139)1234-5678", "+86(139)****5678"),
    ("86-13912345678", "86-139****5678"),
    ("8613912345678", "86139****5678"),
    ("0086 13912345678", "0086 139****5678"),
    ("110105194912310021", "110***********0021"),
    ("11010519491231002X", "110***********002X"),
    ("11010519491231002x", "110***********002x"),
    ("110105 19491231 002X", "110***********002X"),
    ("110105-19491231-0021", "110***********0021"),
    ("110105/1949/1231/002x", "110***********002x"),
    ("110105·19491231·0021", "110***********0021"),
    ("110105_19491231_0021", "110***********0021"),
    ("110105.19491231.0021", "110***********0021"),
    ("１１０１０５１９４９１２３１００２Ｘ", "１１０***********００２Ｘ"),
    # typed by hand or pasted from a web page: spaces around a dash, two spaces, invisible joiners
    ("139 - 1234 - 5678", "139****5678"),
    ("139  1234  5678", "139****5678"),
    ("139   1234   5678", "139****5678"),
    ("139 / 1234 / 5678", "139****5678"),
    ("139\u200b1234\u200b5678", "139****5678"),
    ("139\u20601234\u20605678", "139****5678"),
    ("\ufeff139\u200c1234\u200d5678", "\ufeff139****5678"),
    ("110105 - 19491231 - 002X", "110***********002X"),
    ("13912345678，13812345678、13712345678", "139****5678，138****5678、137****5678"),
    ("身份证110105194912310021电话13912345678", "身份证110***********0021电话139****5678"),
    # ordinary numbers stay as they are
    ("12345.67", "12345.67"),
    ("2025-06-02", "2025-06-02"),
    ("2025/06/02 13:45", "2025/06/02 13:45"),
    ("2025-06-02 2025-06-03 12:00", "2025-06-02 2025-06-03 12:00"),
    ("ORD-2025-000123", "ORD-2025-000123"),
    ("100101", "100101"),
    ("09:00-20:00", "09:00-20:00"),
    ("139123456789", "139123456789"),                 # 12 digits: no mobile number
    ("12912345678", "12912345678"),                   # 12x is no mobile prefix
    ("13,912,345,678", "13,912,345,678"),             # an amount with thousands separators
    ("1101051949123100210", "1101051949123100210"),   # 19 digits: no ID number
    ("2025 - 06 - 02", "2025 - 06 - 02"),
]
IDS = [f"f{i}" for i in range(len(FORMATS))]


def in_text(value: str) -> str:
    return f"请联系{value}谢谢"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, str]:
    """Every format in the free-text column of one imported file, as the store keeps it."""
    folder = tmp_path_factory.mktemp("masker")
    path = folder / "feedback.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["编号", "社区编号", "回访日期", "评价", "意见"])
        for i, (given, _) in enumerate(FORMATS):
            out.writerow([f"f{i}", "A", "2025-06-02", "满意", in_text(given)])
    db = folder / "t.duckdb"
    import_file(db, "feedback", path)
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT response_id, comment FROM raw_feedback").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize(("rid", "expected"), [(i, e) for i, (_, e) in zip(IDS, FORMATS)], ids=IDS)
def test_the_import_masks_each_format(imported, rid, expected):
    assert imported[rid] == in_text(expected)


@pytest.mark.parametrize(("given", "expected"), FORMATS, ids=IDS)
def test_the_polars_expression_masks_each_format(given, expected):
    assert pl.select(personal.mask(pl.lit(in_text(given)))).item() == in_text(expected)


@pytest.mark.parametrize(("given", "expected"), FORMATS, ids=IDS)
def test_a_message_masks_each_format(given, expected):
    assert safe_text(in_text(given)) == in_text(expected)


@pytest.mark.parametrize(("given", "expected"), FORMATS, ids=IDS)
def test_a_stored_file_name_masks_each_format(given, expected):
    assert personal.personal_safe_name(f"{given}.csv") == f"{expected}.csv"


@pytest.mark.parametrize(("given", "expected"), FORMATS, ids=IDS)
def test_an_action_items_text_masks_each_format(given, expected):
    assert clean(in_text(given)) == in_text(expected)


@pytest.mark.parametrize(("given", "expected"), FORMATS, ids=IDS)
def test_contains_personal_agrees_with_the_masker(given, expected):
    assert personal.contains_personal(given) is (given != expected)


@pytest.mark.parametrize("text", ["139/1234/5678", "+86 139 1234 5678", "11010519491231002x", "１３９１２３４５６７８"])
def test_a_bare_number_is_an_identifier_and_one_inside_words_is_not(text):
    assert personal.is_identifier(text) and personal.is_identifier(f" {text} ")
    assert not personal.is_identifier(f"联系人{text}")


def test_messages_still_drop_control_characters_and_the_text_is_kept_elsewhere():
    assert safe_text("\x1b[31m张三13912345678.csv") == "[31m张三139****5678.csv"
    assert clean("  第一段\n第二段（电话 139 1234 5678）  ") == "第一段\n第二段（电话 139****5678）"
    with pytest.raises(Exception, match="2000"):
        clean("长" * 2001)


def test_no_other_module_keeps_its_own_phone_pattern():
    """The masker's patterns live in pipelines/masking.py only (personal.py's are for linking a person's
    identifiers, digits only); a second copy of the masker is how three drifted apart."""
    root = Path(__file__).resolve().parents[2]
    own = [p for folder in ("pipelines", "dashboard") for p in (root / folder).rglob("*.py")
           if p.name not in ("masking.py", "personal.py") and ("1[3-9]" in p.read_text(encoding="utf-8")
                                           or "IN_TEXT" in p.read_text(encoding="utf-8"))]
    assert own == []


def test_polars_and_python_read_the_patterns_alike_on_random_text():
    """The same pattern strings run on two regex engines: they must agree on any text, not only the table's."""
    import random
    rng = random.Random(15)
    alphabet = list("0123456789" * 6 + "１３９８６Ｘ xX+-/._·（）()\u3000\x1c\n号电话")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 40))) for _ in range(3000)]
    texts += [rng.choice(["1", "13", "139", "86139"]) + "".join(rng.choice("0123456789 -") for _ in range(20))
              for _ in range(3000)]
    by_polars = pl.Series(texts).to_frame("t").select(personal.mask(pl.col("t")))["t"].to_list()
    differ = [(t, p, personal.mask_text(t)) for t, p in zip(texts, by_polars) if p != personal.mask_text(t)]
    assert differ == []
    found = pl.Series(texts).to_frame("t").select(personal.holds_personal_value(pl.col("t")))["t"].to_list()
    assert found == [personal.contains_personal(t) for t in texts] and sum(found) > 200
