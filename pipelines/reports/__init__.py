"""The meeting brief (SPEC §8): one Brief gathered from the pages' own queries, written as xlsx, PDF or PNG.

content.py gathers; xlsx.py, pdf.py and png.py only lay out what it gathered; fonts.py finds the Chinese
font; cli.py is `linli report`. None of them imports Streamlit (the check pages' buttons live in
dashboard/brief_buttons.py), so the command works without a running server.
"""
