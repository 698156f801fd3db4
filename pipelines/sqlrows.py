"""Reading single results from DuckDB without leaving a result pending.

DuckDB 2 keeps a half-read result open after fetchone() and refuses register() and some other
calls on that connection until it is drained, so one-row reads fetch everything (one row anyway).
"""
from __future__ import annotations


def first(cursor) -> tuple | None:
    rows = cursor.fetchall()
    return rows[0] if rows else None


def scalar(cursor):
    row = first(cursor)
    return row[0] if row else None
