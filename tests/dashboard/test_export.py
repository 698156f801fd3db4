"""CSV downloads: a spreadsheet must open them as data, never run a cell as a formula (SPEC §6)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipelines.present.export import csv_bytes, neutralise

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


def test_text_cells_that_start_a_formula_get_an_apostrophe_and_numbers_stay_numbers():
    df = pd.DataFrame({
        "名称": ['=HYPERLINK("http://x")', "=cmd|' /C calc'!A0", "@SUM(A1)", "+1", "-x", "\tx", "\rx", "东门驿站"],
        "金额": [-5.5, -1.0, 0.0, 1.0, 2.5, 3.0, -0.25, 10.0],
        "件数": [-3, -2, -1, 0, 1, 2, 3, 4],
    })
    text = csv_bytes(df).decode("utf-8")
    assert text.startswith("\ufeff")                      # the BOM that makes Excel read UTF-8
    assert text[1:].split("\r\n") == [
        "名称,金额,件数",
        '"\'=HYPERLINK(""http://x"")",-5.5,-3',
        "'=cmd|' /C calc'!A0,-1.0,-2",
        "'@SUM(A1),0.0,-1",
        "'+1,1.0,0",
        "'-x,2.5,1",
        "'\tx,3.0,2",
        "\"'\rx\",-0.25,3",                                # quoted, so the CR cannot split the row
        "东门驿站,10.0,4",
        "",
    ]


def test_text_that_looks_like_a_negative_number_is_still_text_and_is_neutralised():
    # only a numeric column holds numbers; "-5" typed into a text column is text to a spreadsheet too
    df = pd.DataFrame({"编号": ["-5", "007"], "值": pd.array([-5, None], dtype="Int64")})
    assert csv_bytes(df).decode("utf-8-sig").split("\r\n")[1:3] == ["'-5,-5", "007,"]


def test_headers_and_mixed_columns_are_neutralised_too():
    df = pd.DataFrame({"=A1": ["x"], "混合": [pd.NA]}).astype(object)
    df.loc[0, "混合"] = "@x"
    assert csv_bytes(df).decode("utf-8-sig").split("\r\n")[:2] == ["'=A1,混合", "x,'@x"]
    assert [neutralise(v) for v in [-1, None, "a-b", "", "'=x"]] == [-1, None, "a-b", "", "'=x"]


def test_no_page_writes_a_csv_or_offers_a_download_except_through_the_shared_helper():
    # brief_buttons.py offers the meeting brief, whose workbook neutralises every text cell (pipelines/reports/xlsx.py)
    allowed = {"export.py": "to_csv(", "ui.py": "download_button(", "checks.py": "download_button(",
               "brief_buttons.py": "download_button("}
    for path in [*DASHBOARD.rglob("*.py"), *(DASHBOARD.parent / "pipelines").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        for call in ("to_csv(", "to_excel(", "download_button("):
            if call in source:
                assert allowed.get(path.name) == call, f"{path.relative_to(DASHBOARD.parent)} calls {call}"
    # the one HTML download (the printable check sheet) is built by pipelines/present/check_sheet.py, which escapes
    assert re.search(r"download_button\(v\.tr\(\"download\.report\"\), page\.encode",
                     (DASHBOARD / "parts" / "checks.py").read_text(encoding="utf-8"))
