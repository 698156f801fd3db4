"""database.one_connection: a dashboard render's record reads share one opening of the store, closed when it ends."""
from __future__ import annotations

import duckdb

from pipelines import database
from pipelines.database import one_connection, reading, writing


def test_reads_within_share_one_opening_closed_at_the_end(tmp_path, monkeypatch):
    db = tmp_path / "s.duckdb"
    with writing(db) as con:
        con.execute("CREATE TABLE imports (id INTEGER)")
        con.execute("INSERT INTO imports VALUES (1), (2)")
    opened = []
    real = database.connect
    monkeypatch.setattr(database, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    with one_connection(db):
        assert opened == []     # nothing is opened until something reads
        for _ in range(3):
            with reading(db) as con:
                assert con.execute("SELECT sum(id) FROM imports").fetchone() == (3,)
        assert len(opened) == 1
        # still open: this process's read-write connection refuses a read-only one beside it
        try:
            duckdb.connect(str(db), read_only=True).close()
            still_open = False
        except duckdb.ConnectionException:
            still_open = True
        assert still_open
    # closed with the block: another connection (as another process's import would) opens at once
    duckdb.connect(str(db), read_only=True).close()
    with reading(db) as con:    # and without a hold each read opens and closes again
        assert con.execute("SELECT count(*) FROM imports").fetchone() == (2,)
    assert len(opened) == 2
    duckdb.connect(str(db), read_only=True).close()


def test_a_held_connection_gives_way_to_this_process_own_opening(tmp_path):
    """A page that imports (每月检查's feedback round) opens the store itself, read-only to compare the numbers:
    the connection kept open only by the render's hold is closed for it, and opened again by the next read."""
    db = tmp_path / "s.duckdb"
    with writing(db) as con:
        con.execute("CREATE TABLE imports (id INTEGER)")
    with one_connection(db):
        with reading(db) as con:
            assert con.execute("SELECT count(*) FROM imports").fetchone() == (0,)
        own = database.connect(db, read_only=True)   # would fail beside the held read-write connection
        assert own.execute("SELECT count(*) FROM imports").fetchone() == (0,)
        own.close()
        with reading(db) as con:
            assert con.execute("SELECT count(*) FROM imports").fetchone() == (0,)
