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
/* Phones: the print hint names Ctrl+P, which a phone has not. */
@media (max-width: 640px) {
  .linli-print-hint { display: none; }
  /* Tables keep words whole (CJK broke anywhere: "代收点名/称", "167.2 小/时"): a value never breaks, a
     heading only between words; a table wider than the screen scrolls inside itself, not the page.
     12 px and tight padding so most fit 390 px without scrolling. */
  div[data-testid="stTable"] td, div[data-testid="stTable"] th { font-size: 12px; padding: 3px !important; }
  div[data-testid="stTable"] td, div[data-testid="stTable"] td * { white-space: nowrap !important; }
  div[data-testid="stTable"] th, div[data-testid="stTable"] th * { white-space: normal !important;
                                  word-break: keep-all !important; overflow-wrap: normal !important; }
  div[data-testid="stTable"] table { width: 100%; }
  div[data-testid="stTable"] { overflow-x: auto; max-width: 100%; }
  h1 { font-size: 1.6rem !important; }
  /* Metric tiles: compact, two a row, in the order ui.tiles wrote them (Streamlit stacks columns). */
  div[class*="st-key-linli_tiles"] div[data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  div[class*="st-key-linli_tiles"] div[data-testid="stColumn"] { flex: 1 1 calc(50% - 0.25rem) !important;
                                                                 min-width: calc(50% - 0.25rem) !important;
                                                                 max-width: calc(50% - 0.25rem) !important; }
  div[class*="st-key-linli_tiles"] div[data-testid="stColumn"]:not(:has([data-testid="stMetric"])) { display: none; }
  div[class*="st-key-linli_tiles"] div[data-testid="stMetric"] { padding: 0.3rem 0.4rem !important;
                                                                 min-height: 0 !important; height: auto !important; }
  div[class*="st-key-linli_tiles"] div[data-testid="stMetric"] > div { padding: 0 !important; }
  div[class*="st-key-linli_tiles"] [data-testid="stMetricValue"] { font-size: 1.35rem !important; padding: 0 !important; }
  div[class*="st-key-linli_tiles"] [data-testid="stMetricLabel"] p { font-size: 0.8rem !important; }
  div[class*="st-key-linli_tiles"] [data-testid="stMetricDelta"] { font-size: 0.75rem !important; }
  div[class*="st-key-linli_tiles"] [data-testid="stMetricChart"] { height: 26px !important; min-height: 0 !important;
                                                                    max-height: 26px !important; margin: 2px 0 0 !important;
                                                                    overflow: hidden; }
  div[class*="st-key-linli_tiles"] div[data-testid="stMetric"] > div:has([data-testid="stMetricChart"]) {
    height: auto !important; min-height: 0 !important; }
  div[class*="st-key-linli_tiles"] div[data-testid="stVerticalBlock"] { gap: 0.5rem; }
  div[class*="st-key-linli_tiles"] [data-testid="stMetricChart"] svg { height: 24px !important; }
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
