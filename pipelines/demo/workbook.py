"""The demo's .xlsx files, written as openpyxl's write-only mode writes them, in a fraction of its time.

openpyxl builds an XML element per cell (about 45 µs each), which made the training sign-in sheet the
slowest file of the demo to write. The demo's sheets need one sheet of text, numbers and date-time
cells; this writes the same parts (inline strings, date-times as serial days under the
"yyyy-mm-dd h:mm:ss" format, numbers as their repr) with one string per row.
tests/pipelines/test_demo_tables.py reads each demo workbook and its openpyxl twin to the same table.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

from openpyxl.utils.datetime import to_excel as excel_serial   # a date as Excel counts it (not a frame written out)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml":
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
    "_rels/.rels":
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml":
        f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
        '</workbook>',
    "xl/_rels/workbook.xml.rels":
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/></Relationships>',
    "xl/styles.xml":
        f'<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="1"><font><name val="Calibri"/><family val="2"/><sz val="11"/></font></fonts>'
        '<fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
}


def _column(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else _column(i // 26 - 1) + chr(ord("A") + i % 26)


def _cell(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        return f'<c r="{ref}" s="1" t="n"><v>{excel_serial(value)}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="2" t="n"><v>{excel_serial(value)}</v></c>'
    return f'<c r="{ref}" t="n"><v>{value!r}</v></c>'


def workbook(rows: Iterable[Sequence]) -> bytes:
    """One sheet (Sheet1) holding `rows` from A1: text, int, float, bool, date and datetime cells; None
    leaves a cell empty."""
    out = [f'<worksheet xmlns="{MAIN}"><sheetData>']
    columns: list[str] = []
    for r, row in enumerate(rows, start=1):
        while len(columns) < len(row):
            columns.append(_column(len(columns)))
        out.append(f'<row r="{r}">' + "".join(_cell(f"{columns[i]}{r}", v) for i, v in enumerate(row)) + "</row>")
    out.append("</sheetData></worksheet>")
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in PARTS.items():
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), text, zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.xml", (1980, 1, 1, 0, 0, 0)), "".join(out),
                   zipfile.ZIP_DEFLATED)
    return data.getvalue()
