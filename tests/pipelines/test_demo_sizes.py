"""`linli demo --weeks N` for any N: with 2 communities × 20 weeks ending 29 November 2026, community A's
placements had all not ended yet, and its empty 离职日期 column failed to stack beside B's dates."""
import datetime as dt

import polars as pl

from pipelines.demo.generate import write_demo_files


def test_a_community_whose_placements_all_continue_still_writes_its_jobs(tmp_path):
    write_demo_files(tmp_path / "demo", 2, 20, 7, end=dt.date(2026, 11, 29))
    jobs = pl.read_csv(tmp_path / "demo" / "就业安置台账.csv", encoding="gb18030", skip_rows=1, infer_schema=False)
    assert set(jobs["社区编号"]) == {"A", "B"}
    ended = jobs.filter(pl.col("离职日期").is_not_null())
    assert ended.height > 0 and ended["离职日期"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
