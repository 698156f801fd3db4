"""A gathered brief drawn as a file: the workbook, the PDF or the share card (SPEC §8). The check pages'
buttons and `linli report` both call this; each format's code is imported only when it is drawn."""
from __future__ import annotations

FORMATS = ("xlsx", "pdf", "png")


def render(brief, kind: str) -> bytes:
    """The brief in one of FORMATS (the check pages' buttons call this too); a street comparison
    (pipelines/reports/street.py StreetView) is drawn by each format's street_* function."""
    from pipelines.reports.street import StreetView
    if isinstance(brief, StreetView):
        if kind == "xlsx":
            from pipelines.reports.xlsx import street_workbook_bytes
            return street_workbook_bytes(brief)
        if kind == "pdf":
            from pipelines.reports.pdf import street_pdf_bytes
            return street_pdf_bytes(brief)
        from pipelines.reports.png import street_png_bytes
        return street_png_bytes(brief)
    if kind == "xlsx":
        from pipelines.reports.xlsx import workbook_bytes
        return workbook_bytes(brief)
    if kind == "pdf":
        from pipelines.reports.pdf import pdf_bytes
        return pdf_bytes(brief)
    from pipelines.reports.png import png_bytes
    return png_bytes(brief)
