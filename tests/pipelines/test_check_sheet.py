"""The printable check sheet: self-contained HTML, escaped, numbers right-aligned, every section."""
import pandas as pd

from pipelines.present.check_sheet import Section, check_sheet


def test_check_sheet_is_escaped_self_contained_html():
    table = pd.DataFrame({"指标": ["投诉<总数>"], "本期": ["4"], "定义": ["受理时间在本期的投诉数。"]})
    page = check_sheet("A社区 · 每周检查", "2025年第23周", "需要关注", [("error", "有 1 起夜间噪音 & 投诉")],
                       [Section("本期数字", table, {"本期"}, "—")], ["检查人"])
    assert page.startswith("<!doctype html>") and "<meta charset='utf-8'>" in page
    assert "投诉&lt;总数&gt;" in page and "夜间噪音 &amp; 投诉" in page
    assert '<td class="num">4</td>' in page
    assert "检查人：" in page
    assert "<script" not in page and "http" not in page      # prints offline, fetches nothing


def test_the_sheet_holds_the_overdue_list_and_says_when_a_section_is_empty():
    overdue = pd.DataFrame({"运单号": ["YT1", "YT2"], "代收点": ["东门驿站", "快递柜"], "等待（小时）": [80.5, 96.0]})
    page = check_sheet("t", "s", "需要关注", [], [Section("超时包裹清单（2 件）", overdue, {"等待（小时）"}, "—"),
                                                 Section("重复投诉楼栋", pd.DataFrame(), set(), "本期没有重复投诉的楼栋。")], [])
    assert "<h2>超时包裹清单（2 件）</h2>" in page and "<td>YT2</td><td>快递柜</td><td class=\"num\">96.0</td>" in page
    assert "<p class='none'>本期没有重复投诉的楼栋。</p>" in page
