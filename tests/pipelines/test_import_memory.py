"""A chunked import caps DuckDB's memory while it runs and puts the cap back after: the setting belongs to the
database instance every connection of the process shares, so two imports at once (two uploads on the dashboard)
must leave it as it was before the first, whichever ends first."""
from __future__ import annotations

import threading

from pipelines import database
from pipelines.ingest import chunked, store

HEADER = "order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"


def orders(first: int) -> bytes:
    return (HEADER + "".join(f"O{k},A,S1,group_buy,2025-06-03 14:05,12,paid\n"
                             for k in range(first, first + 20))).encode()


def test_two_imports_at_once_leave_the_memory_limit_as_it_was(tmp_path, monkeypatch):
    db = tmp_path / "s.duckdb"
    seen, again = tmp_path / "seen.csv", tmp_path / "new.csv"
    seen.write_bytes(orders(0))
    again.write_bytes(orders(100))
    monkeypatch.setattr(chunked, "CHUNK_BYTES", 100)
    store.import_file(db, "orders", seen)
    held = database.connect(db)      # the dashboard's connection: it keeps the instance and its settings alive
    before = held.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    # each import stops in its first chunk until let go: B starts while A runs, A ends first, then B
    inside = {name: threading.Event() for name in "AB"}
    go = {name: threading.Event() for name in "AB"}
    real_tables = chunked.CsvChunks.tables

    def tables(self):
        name = "A" if self.path == again else "B"
        for n, table in enumerate(real_tables(self)):
            if n == 0:
                inside[name].set()
                assert go[name].wait(30)
            yield table

    monkeypatch.setattr(chunked.CsvChunks, "tables", tables)
    reports = {}
    threads = {"A": threading.Thread(target=lambda: reports.setdefault("A", store.import_file(db, "orders", again))),
               "B": threading.Thread(target=lambda: reports.setdefault("B", store.import_file(db, "orders", seen)))}
    threads["A"].start()
    assert inside["A"].wait(30)
    threads["B"].start()
    assert inside["B"].wait(30)
    go["A"].set()
    threads["A"].join(30)
    go["B"].set()
    threads["B"].join(30)
    assert reports["A"].rows_new == 20 and reports["B"].already_imported_as == 1
    assert held.execute("SELECT current_setting('memory_limit')").fetchone()[0] == before
    held.close()
