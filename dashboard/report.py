"""The printable check sheet: a self-contained HTML page (no scripts, no fetched fonts)."""
from __future__ import annotations

import html

import pandas as pd

STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; color: #1f2933; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } .sub { color: #52606d; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin-top: 1em; font-size: 0.95em; }
th, td { border: 1px solid #cbd2d9; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f6f9; } td.num { text-align: right; white-space: nowrap; }
li.error { color: #b5485d; } li.warning { color: #8a5a00; }
.sign { margin-top: 3em; display: flex; gap: 6em; } @media print { body { margin: 1cm; } }
"""


def check_sheet(title: str, subtitle: str, alerts_title: str, alerts: list[tuple[str, str]], table: pd.DataFrame,
                numeric_columns: set[str], signature: list[str]) -> str:
    rows = []
    for _, r in table.iterrows():
        cells = "".join(f'<td class="num">{html.escape(str(r[c]))}</td>' if c in numeric_columns
                        else f"<td>{html.escape(str(r[c]))}</td>" for c in table.columns)
        rows.append(f"<tr>{cells}</tr>")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    alert_items = "".join(f'<li class="{lvl}">{html.escape(text)}</li>' for lvl, text in alerts)
    signs = "".join(f"<div>{html.escape(s)}：__________</div>" for s in signature)
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1><p class='sub'>{html.escape(subtitle)}</p>"
            f"<h2>{html.escape(alerts_title)}</h2><ul>{alert_items}</ul>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<div class='sign'>{signs}</div></body></html>")
