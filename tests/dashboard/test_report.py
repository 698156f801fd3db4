"""The printable check sheet: self-contained HTML, escaped, numbers right-aligned."""
import pandas as pd

from dashboard.report import check_sheet


def test_check_sheet_is_escaped_self_contained_html():
    table = pd.DataFrame({"指标": ["投诉<总数>"], "本期": ["4"], "定义": ["受理时间在本期的投诉数。"]})
    page = check_sheet("A社区 · 每周检查", "2025年第23周", "需要关注", [("error", "有 1 起夜间噪音 & 投诉")],
                       table, {"本期"}, ["检查人"])
    assert page.startswith("<!doctype html>") and "<meta charset='utf-8'>" in page
    assert "投诉&lt;总数&gt;" in page and "夜间噪音 &amp; 投诉" in page
    assert '<td class="num">4</td>' in page
    assert "检查人：" in page
    assert "<script" not in page and "http" not in page      # prints offline, fetches nothing
