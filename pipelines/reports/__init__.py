"""The meeting brief (SPEC §8): one Brief (brief.py) gathered by content.py from the snapshot reader and
the records, drawn by xlsx.py, pdf.py and png.py (render.py picks one); fonts.py finds the Chinese font.
`linli report` (pipelines/cli/report.py) and the check pages' buttons (dashboard/parts/brief_buttons.py,
which hands in the dashboard's cached, scope-checked queries) both use it.
"""
