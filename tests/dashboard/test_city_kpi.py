"""`linli serve --kpi-from DIR` (issue 18 item 4): 总览 and 街道对比 read a kpi built elsewhere.

The lake is written as `linli lake export` writes it, and its kpi/ as the Spark build does (Parquet partitioned by
grain), from the store's own kpi with the noise complaints changed by hand: the local store says A had 1 noise
complaint in the week of 9 June, the lake says 11, so a page showing 11 read the lake. Three communities: A and B
on 花溪街道, C on 金桥街道; every feed (complaints only) runs to Monday 16 June, so the weeks of 2 and 9 June are
complete and the week of 16 June is not.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines.build.runner import current_snapshot
from pipelines.cli import main as cli
from pipelines.lake.export import export_lake
from pipelines.records import users
from tests.conftest import build_store

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse 9"
COMMUNITIES = """
community_id,name,street,households,lat,lon
A,A社区,花溪街道,1000,26.57,106.71
B,B社区,花溪街道,4000,26.58,106.72
C,C社区,金桥街道,500,26.59,106.73
"""
COMPLAINTS = """
complaint_id,community_id,received_at,category,source
1,A,2025-06-03 21:00,livestream_noise,hotline
2,A,2025-06-10 21:00,livestream_noise,hotline
3,A,2025-06-16 10:00,other,hotline
1,B,2025-06-04 21:00,livestream_noise,hotline
2,B,2025-06-16 10:00,other,hotline
1,C,2025-06-05 21:00,livestream_noise,hotline
2,C,2025-06-16 10:00,other,hotline
"""
# complaints.noise by (community, week) in the lake; the store has 1 for A, B and C in the week of 2 June and
# 1, 0, 0 in the week of 9 June
LAKE_NOISE = {("A", "2025-06-02"): 7.0, ("A", "2025-06-09"): 11.0,
              ("B", "2025-06-02"): 30.0, ("B", "2025-06-09"): 22.0,
              ("C", "2025-06-02"): 4.0, ("C", "2025-06-09"): 33.0}


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """(store, lake): the store with an official of 花溪街道 and a director of A; the lake with the hand kpi."""
    folder = tmp_path_factory.mktemp("city")
    db = build_store(folder, {"communities": COMMUNITIES, "complaints": COMPLAINTS})
    users.add(db, "gz", "official", PASSWORD, street="花溪街道")
    users.add(db, "dir_a", "director", PASSWORD, community="A")
    assert cli.main(["--db", str(db), "rules", "B", "--window", "08:00-21:00"]) == 0   # B's overdue limit: default
    lake = folder / "lake"
    export_lake(db, lake)
    con = duckdb.connect()
    con.execute("ATTACH ? AS store (READ_ONLY)", [str(current_snapshot(db))])
    con.execute("CREATE TABLE hand(community_id VARCHAR, period_start DATE, value DOUBLE)")
    con.executemany("INSERT INTO hand VALUES (?, ?, ?)", [(c, p, v) for (c, p), v in LAKE_NOISE.items()])
    con.execute("""CREATE TABLE lake_kpi AS
                   SELECT k.community_id, k.grain, k.period_start, k.metric,
                          CASE WHEN k.grain = 'week' AND k.metric = 'complaints.noise'
                               THEN coalesce(h.value, k.value) ELSE k.value END AS value
                   FROM store.kpi k LEFT JOIN hand h USING (community_id, period_start)""")
    con.execute("COPY lake_kpi TO '" + str(lake / "kpi").replace("'", "''") + "' (FORMAT parquet, PARTITION_BY (grain))")
    con.close()
    return db, lake


@pytest.fixture
def served(city, monkeypatch):
    db, lake = city
    monkeypatch.setenv("LINLI_DB", str(db))
    monkeypatch.setenv("LINLI_KPI_FROM", str(lake))
    return db, lake


def open_page(db, user: str, page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", **params})
    for key, value in auth.session_for(users.lookup(db, user)).items():
        at.session_state[key] = value
    if page != "overview":   # straight to the page, as a link opens it
        at.switch_page(f"screens/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tile(at, label: str):
    return next(m for m in at.metric if m.label == label)


def test_the_overview_shows_the_lakes_numbers_and_says_where_they_come_from(served):
    db, lake = served
    at = open_page(db, "gz", "overview", c="A", g="week", p="2025-06-09")
    noise = tile(at, "直播噪音投诉")
    assert noise.value == "11"            # the lake's; the store counted 1
    assert noise.delta.startswith("+4")   # against the lake's 7 of the week before
    captions = "\n".join(c.value for c in at.caption).replace("\\", "")   # as read: Markdown's escapes dropped
    assert f"本页数字来自城市数据湖《{lake.resolve()}》（指标构建于 " in captions


def test_the_street_comparison_ranks_the_lakes_numbers_of_the_officials_street(served):
    db, _ = served
    at = open_page(db, "gz", "street", m="complaints.noise", sp="2025-06-09")
    table = at.dataframe[0].value
    # 花溪街道 only (C is 金桥街道's), the higher count first, each with its change against the lake's 2 June
    assert list(table["社区"]) == ["B社区", "A社区"]
    assert list(table["直播噪音投诉（所选）"]) == ["22", "11"]
    assert list(table["排名"]) == ["1", "2"]
    at = open_page(db, "gz", "street", m="per1k.noise", sp="2025-06-09")
    table = at.dataframe[0].value
    # per 1,000 households from the lake's communities table: A 11 / 1,000 × 1,000 = 11.00, B 22 / 4,000 = 5.50
    assert list(table["社区"]) == ["A社区", "B社区"]
    assert list(table["直播噪音投诉（每千户）（所选）"]) == ["11.00", "5.50"]


def test_a_director_of_a_sees_no_other_communitys_cells_from_the_lake(served):
    db, _ = served
    at = open_page(db, "dir_a", "overview", c="B", g="week", p="2025-06-09")
    community = next(s for s in at.selectbox if s.label == "社区")
    assert community.options == ["A社区"] and community.value == "A"
    assert tile(at, "直播噪音投诉").value == "11"      # A's, not B's 22 that the URL asked for
    shown = "\n".join([*(m.value for m in at.metric), *(c.value for c in at.caption), *(w.value for w in at.warning)])
    # B's value nowhere; the clock in 数据更新于 … 22:51 is no cell of B's
    assert not re.search(r"(?<![\d:])22(?![\d:])", re.sub(r"\d{1,2}:\d{2}", "", shown)) and "B社区" not in shown


def test_a_page_of_the_local_store_says_it_is_one(served):
    db, lake = served
    at = open_page(db, "gz", "complaints", c="A", g="week", p="2025-06-09")
    notes = "\n".join(i.value for i in at.info).replace("\\", "")
    assert f"城市模式：总览和街道对比读取城市数据湖《{lake.resolve()}》的指标；本页需要本机构建的明细，读取本机数据库。" in notes


def test_serve_refuses_a_folder_that_is_no_lake_or_holds_no_kpi_and_says_how_to_make_one(city, tmp_path, capsys,
                                                                                           monkeypatch):
    import os
    monkeypatch.setattr(os, "execve", lambda *a: pytest.fail("the server started"))
    db, lake = city
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["--db", str(db), "serve", "--port", "8601", "--kpi-from", str(empty)]) == 1
    err = capsys.readouterr().err
    assert f"《{empty.resolve()}》不是 Linli 数据湖：其中没有 manifest.json" in err
    assert f"linli build --engine spark --lake {empty.resolve()}" in err
    no_kpi = tmp_path / "no_kpi"
    export_lake(db, no_kpi)
    assert cli.main(["--db", str(db), "serve", "--port", "8601", "--kpi-from", str(no_kpi)]) == 1
    err = capsys.readouterr().err
    assert f"数据湖《{no_kpi.resolve()}》里还没有指标" in err and "grain=week" in err
    assert cli.main(["--db", str(db), "serve", "--port", "8601", "--kpi-from", str(tmp_path / "nowhere")]) == 1
    assert f"找不到文件夹《{(tmp_path / 'nowhere').resolve()}》" in capsys.readouterr().err


def test_serve_hands_the_checked_lake_to_the_server_and_nothing_else_names_one(city, capsys, monkeypatch):
    import os

    from pipelines.build import runner

    class Became(BaseException):
        pass

    envs: list[dict] = []

    def execve(path, argv, env):
        envs.append(env)
        raise Became()
    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.setattr(runner, "snapshot_is_stale", lambda db: False)
    monkeypatch.chdir(os.path.dirname(__file__))
    db, lake = city
    with pytest.raises(Became):
        cli.main(["--db", str(db), "serve", "--port", "8601", "--kpi-from", str(lake)])
    assert envs[-1]["LINLI_KPI_FROM"] == str(lake.resolve())
    assert f"城市模式：总览和街道对比读取数据湖《{lake.resolve()}》的指标（3 个社区，" in capsys.readouterr().out
    # a lake left in the shell's environment is not served: only --kpi-from names one
    monkeypatch.setenv("LINLI_KPI_FROM", str(lake))
    with pytest.raises(Became):
        cli.main(["--db", str(db), "serve", "--port", "8601"])
    assert "LINLI_KPI_FROM" not in envs[-1]


def test_a_rewritten_kpi_is_read_anew_and_a_kpi_being_rewritten_keeps_the_last_one(city, tmp_path):
    import shutil

    from pipelines.lake import city as city_lake
    db, lake = city
    mine = tmp_path / "lake"
    shutil.copytree(lake, mine)
    store = tmp_path / "t.duckdb"

    def noise_of_a(snap) -> float:
        con = duckdb.connect(str(snap), read_only=True)
        try:
            return con.execute("""SELECT value FROM kpi WHERE community_id = 'A' AND grain = 'week'
                                  AND period_start = DATE '2025-06-09' AND metric = 'complaints.noise'""").fetchone()[0]
        finally:
            con.close()

    first = city_lake.city_snapshot(mine, store)
    assert noise_of_a(first) == 11.0 and city_lake.city_snapshot(mine, store) == first   # unchanged: the same file
    week = next((mine / "kpi" / "grain=week").glob("*.parquet"))
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * REPLACE (CASE WHEN community_id = 'A' AND metric = 'complaints.noise'
                                                 THEN value + 100 ELSE value END AS value)
                          FROM read_parquet('{week}')) TO '{week}.new' (FORMAT parquet)""")
    con.close()
    (week.parent / (week.name + ".new")).replace(week)
    second = city_lake.city_snapshot(mine, store)
    assert second != first and noise_of_a(second) == 111.0
    shutil.rmtree(mine / "kpi")            # Spark's overwrite removes the old files before it writes the new
    assert city_lake.city_snapshot(mine, store) == second


def test_the_lakes_rules_are_read_with_the_defaults_where_a_community_set_none(served):
    from pipelines import snapshot_reader
    from pipelines.lake import city as city_lake
    db, lake = served
    snap = str(city_lake.city_snapshot(lake, db))
    b = snapshot_reader.rules(snap, ("A", "B"), "B")
    assert (f"{b['window_start']:%H:%M}", f"{b['window_end']:%H:%M}", b["overdue_hours"]) == ("08:00", "21:00", 72.0)
    a = snapshot_reader.rules(snap, ("A", "B"), "A")
    assert (f"{a['window_start']:%H:%M}", f"{a['window_end']:%H:%M}", a["overdue_hours"]) == ("09:00", "20:00", 72.0)


def test_a_kpi_spark_is_still_writing_is_not_read(city, tmp_path):
    import shutil

    from pipelines.lake import city as city_lake
    _, lake = city
    mine = tmp_path / "lake"
    shutil.copytree(lake, mine)
    (mine / "kpi" / "_temporary" / "0").mkdir(parents=True)
    with pytest.raises(city_lake.CityLakeError) as refused:
        city_lake.city_snapshot(mine, tmp_path / "t.duckdb")
    assert "的指标正在写入" in refused.value.zh and "_SUCCESS" in refused.value.zh
    shutil.rmtree(mine / "kpi" / "_temporary")
    assert city_lake.city_snapshot(mine, tmp_path / "t.duckdb").exists()


def test_a_register_brought_up_after_the_period_reads_complete_in_the_city_as_in_the_store(tmp_path):
    # 就业安置 is a register of rare events: its last placement starts on 4 June, yet the file was imported after
    # every period ended (today), so the store counts the weeks of 2 and 9 June as complete for it (coverage.sql's
    # second rule). The lake carries that import history (feed_imports), and the city snapshot's coverage is the
    # store's, cell for cell; without it the week of 9 June read 未导入 for jobs in the city.
    from pipelines.lake import city as city_lake
    jobs = """
    placement_id,community_id,person_id,employer_kind,role,employment_type,started_on,ended_on,monthly_income_yuan,via_training
    J1,A,P1,seller,host,flexible,2025-06-02,2025-06-08,3000,是
    J2,A,P2,coop,packing,part_time,2025-06-04,,2000,否
    """
    db = build_store(tmp_path, {"communities": COMMUNITIES, "complaints": COMPLAINTS, "jobs": jobs})
    lake = tmp_path / "lake"
    export_lake(db, lake)
    con = duckdb.connect()
    con.execute("ATTACH ? AS store (READ_ONLY)", [str(current_snapshot(db))])
    con.execute("COPY (SELECT * FROM store.kpi) TO '" + str(lake / "kpi").replace("'", "''")
                + "' (FORMAT parquet, PARTITION_BY (grain))")
    query = "SELECT community_id, feed, grain, period_start, in_use, complete FROM {}.coverage ORDER BY ALL"
    ours = con.execute(query.format("store")).fetchall()
    con.execute("ATTACH ? AS city (READ_ONLY)", [str(city_lake.city_snapshot(lake, db))])
    theirs = con.execute(query.format("city")).fetchall()
    con.close()
    assert ("A", "jobs", "week", dt.date(2025, 6, 9), True, True) in ours
    assert theirs == ours
