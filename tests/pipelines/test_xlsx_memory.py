"""Reading an .xlsx costs memory for the cells kept, not for the shape the sheet has or claims.

A 617 KB workbook of 20,000 rows x 1,000 cells of `<v>1</v>` once took 1.43 GB (calamine builds the
whole grid at ~70 bytes a cell). Each read runs in a fresh interpreter whose own high-water mark
(VmHWM; ru_maxrss would carry a forked parent's size) is compared with its size before reading.
"""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
BUDGET_MB = 120        # growth while reading; the interpreter with polars loaded is ~100 MB before it


def _workbook(path: Path, rows) -> Path:
    """A minimal workbook whose one sheet is the given XML rows (streamed: 20,000 wide rows are 600 KB zipped)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                   f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                   '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{PKG}"><Relationship '
                   f'Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><dimension ref="A1:ALL20000"/><sheetData>'
                     .encode())
            for row in rows:
                fh.write(row)
            fh.write(b"</sheetData></worksheet>")
    return path


def _text_cells(values) -> bytes:
    return b"".join(b'<c t="inlineStr"><is><t>' + v.encode() + b"</t></is></c>" for v in values)


CHILD = """
import json, sys
from pathlib import Path
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
from pipelines.errors import FileRefused
from pipelines.ingest.readers import read_table
from pipelines.ingest.xlsx import read_rows
import polars, python_calamine, openpyxl
before = hwm()
path = Path(sys.argv[1])
out = {}
try:
    raw = read_table(path, "complaints")
    out["rows"] = raw.frame.height
    out["ids"] = raw.frame["complaint_id"].head(2).to_list() + raw.frame["complaint_id"].tail(1).to_list()
    out["extra"] = raw.frame["_extra"].drop_nulls().unique().to_list()
except FileRefused as exc:
    out["refused"] = exc.en
head, numbers = read_rows(path, path.name, None)
out["head"] = [len(head), sorted({str(v) for r in head for v in r}), numbers[:2]]
out["before_mb"], out["peak_mb"] = before, hwm()
print(json.dumps(out))
"""


def _read_in_child(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{path.name}: {found['before_mb']:.0f} MB before reading, peak {found['peak_mb']:.0f} MB")
    return found


def test_a_small_workbook_of_twenty_million_cells_is_read_in_bounded_memory(tmp_path):
    path = _workbook(tmp_path / "ones.xlsx", (b"<row>" + b"<c><v>1</v></c>" * 1_000 + b"</row>" for _ in range(20_000)))
    assert path.stat().st_size < 1_000_000
    found = _read_in_child(path)
    # no header among the first 30 rows: refused, having read those rows and no more
    assert "no header row for complaints found in the first 30 rows" in found["refused"]
    assert found["head"] == [30, ["1"], [1, 2]]
    assert found["peak_mb"] - found["before_mb"] < BUDGET_MB, found


@pytest.mark.parametrize("wide_at", [1, 20_000])
def test_a_few_wide_rows_do_not_widen_what_is_kept(tmp_path, wide_at):
    header = _text_cells(["complaint_id", "community_id", "received_at", "category"])

    def rows():
        yield b'<row r="1">' + header + b"</row>"
        for k in range(1, 20_001):
            cells = [f"C{k}", "A", "2025-06-03 10:00", "other"]
            wide = b"<c><v>1</v></c>" * 996 if k in (wide_at, wide_at - 1) else b""
            yield f'<row r="{k + 1}">'.encode() + _text_cells(cells) + wide + b"</row>"

    found = _read_in_child(_workbook(tmp_path / f"wide_{wide_at}.xlsx", rows()))
    assert found["rows"] == 20_000 and found["ids"] == ["C1", "C2", "C20000"]
    assert found["extra"] == []          # the cells beyond the header's columns are not kept
    assert found["peak_mb"] - found["before_mb"] < BUDGET_MB, found
