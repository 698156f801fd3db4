"""The page's own CSS: what Ctrl+P prints (no sidebar, no toolbar, tables whole) and what a phone shows."""
from __future__ import annotations

import streamlit as st

CSS = """
<style>
@media print {
  section[data-testid="stSidebar"], header[data-testid="stHeader"], div[data-testid="stToolbar"],
  div[data-testid="stDecoration"], div[data-testid="stStatusWidget"], .stDownloadButton, .stButton,
  div[data-testid="stExpander"], .linli-print-hint { display: none !important; }
  .block-container, div[data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
  div[data-testid="stTable"] table { font-size: 10pt; } thead { display: table-header-group; }
  tr, div[data-testid="stAlert"], div[data-testid="stVegaLiteChart"] { break-inside: avoid; }
  div[data-testid="stDataFrame"] { break-inside: avoid; }
}
/* Phones: the print hint names Ctrl+P, which a phone has not; tables wrap instead of hiding columns. */
@media (max-width: 640px) {
  .linli-print-hint { display: none; }
  /* 12 px and tight padding: the street table's eleven columns fit 390 px instead of running off it */
  div[data-testid="stTable"] td, div[data-testid="stTable"] th { white-space: normal; word-break: break-word;
                                                                 font-size: 12px; padding: 3px !important; }
  div[data-testid="stTable"] table { width: 100%; }
  div[data-testid="stTable"] { overflow-x: auto; }
  h1 { font-size: 1.6rem !important; }
}
.linli-print-hint { color: #52606d; font-size: 0.875rem; }
</style>
"""


# Streamlit's file uploader writes "Upload" and "200MB per file • CSV, XLSX" in English whatever the
# app's language; in Chinese its words are swapped for ours (the sizes are SPEC §4's).
UPLOADER_ZH = """
<style>
[data-testid="stFileUploaderDropzone"] button p { font-size: 0 !important; }
[data-testid="stFileUploaderDropzone"] button p::after { content: "选择文件"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0 !important; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: "把文件拖到这里，或点“选择文件” · 每个不超过 200 MB · CSV、XLSX"; font-size: 0.875rem; color: #52606d; }
</style>
"""


# An empty date field says "yyyy / mm / dd" whatever the app's language (Streamlit gives its fields the
# en-US locale); in Chinese it says 年 / 月 / 日, as a zh-CN date field does. A typed date shows as typed.
DATE_ZH = """
<style>
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder="true"] { font-size: 0 !important; }
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder="true"]::after { font-size: 0.875rem; }
[data-testid="stDateInputField"] [data-type="year"][data-placeholder="true"]::after { content: "年"; }
[data-testid="stDateInputField"] [data-type="month"][data-placeholder="true"]::after { content: "月"; }
[data-testid="stDateInputField"] [data-type="day"][data-placeholder="true"]::after { content: "日"; }
</style>
"""


def apply(lang: str = "zh") -> None:
    st.html(CSS + (UPLOADER_ZH + DATE_ZH if lang == "zh" else ""))
