"""The printable check sheet: a self-contained HTML page (no scripts, no fetched fonts) holding what
the meeting works through, in its order: the numbers, the alerts, then the details (each point, the overdue
list, the buildings, the complaints still open), every row of each."""
from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; color: #1f2933; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.sub { color: #52606d; margin-top: 0; } .none { color: #3e7c59; }
table { border-collapse: collapse; width: 100%; margin-top: 0.6em; font-size: 0.92em; }
th, td { border: 1px solid #cbd2d9; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f6f9; } td.num { text-align: right; white-space: nowrap; }
li.error { color: #b5485d; } li.warning { color: #8a5a00; }
.sign { margin-top: 3em; display: flex; gap: 6em; }
@media print { body { margin: 1cm; } thead { display: table-header-group; } tr { break-inside: avoid; } }
"""


@dataclass(frozen=True)
class Section:
    title: str
    table: pd.DataFrame
    numeric_columns: set[str]
    empty_note: str     # what an empty section says (no overdue parcel is news worth printing)
    note: str = ""      # a line under the table (which feeds a 未导入 stands for, and the day each runs to)


def _table(section: Section) -> str:
    if section.table.empty:
        return f"<p class='none'>{html.escape(section.empty_note)}</p>"
    rows = []
    for _, r in section.table.iterrows():
        cells = "".join(f'<td class="num">{html.escape(str(r[c]))}</td>' if c in section.numeric_columns
                        else f"<td>{html.escape(str(r[c]))}</td>" for c in section.table.columns)
        rows.append(f"<tr>{cells}</tr>")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in section.table.columns)
    note = f"<p class='sub'>{html.escape(section.note)}</p>" if section.note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def check_sheet(title: str, subtitle: str, alerts_title: str, alerts: list[tuple[str, str]],
                sections: list[Section], signature: list[str], first: list[Section] | None = None) -> str:
    """`first`: the sections before the alerts (the numbers, as the meeting reads them); `sections` after."""
    alert_items = "".join(f'<li class="{html.escape(lvl)}">{html.escape(text)}</li>' for lvl, text in alerts)
    lead = "".join(f"<h2>{html.escape(s.title)}</h2>{_table(s)}" for s in first or [])
    body = "".join(f"<h2>{html.escape(s.title)}</h2>{_table(s)}" for s in sections)
    signs = "".join(f"<div>{html.escape(s)}：__________</div>" for s in signature)
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1><p class='sub'>{html.escape(subtitle)}</p>"
            f"{lead}<h2>{html.escape(alerts_title)}</h2><ul>{alert_items}</ul>{body}"
            f"<div class='sign'>{signs}</div></body></html>")
