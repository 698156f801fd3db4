"""Import profiles under the trust review (issue 15): a profile belongs to a community, a saved profile
never replaces another, one that holds personal data is refused, saving is audited (item 7); profiles are
written by a TOML library and read back, a bad file is skipped with a message (13); globs that Python's
fnmatch and polars' regex disagreed on (15); a filter says how many rows it skipped, and the shipped NYC
profile keeps every request (18)."""
from __future__ import annotations

import json
import stat
import tomllib
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from pipelines.cli.main import main
from pipelines.errors import UserError
from pipelines.ingest import profiles
from pipelines.ingest.store import import_file
from tests.conftest import rows, write

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
NYC = REALDATA / "nyc311_noise" / "311_Service_Requests_2022-05-01_0000-0206.csv"
needs_realdata = pytest.mark.skipif(not NYC.is_file(), reason="the real data samples are not on this machine")


# ---- item 7: a profile belongs to a community ------------------------------------------------------

HEADER = "订单号,社区编号,团长编号,渠道,下单时间,实付金额,状态,团购群\n"
A_FILE = HEADER + "A1,A,S1,团购,2025-06-03 10:00,30,已支付,一群\nA2,A,S1,团购,2025-06-03 11:00,20,已支付,一群\n"
B_FILE = HEADER + "B1,B,S9,团购,2025-06-03 10:00,70,已支付,九群\nB2,B,S9,团购,2025-06-04 10:00,5,已支付,九群\n"


def a_profile() -> profiles.Profile:
    """What A's director saves from the import page: A's export, every row A's (a typed community)."""
    return profiles.Profile(name="快团团", kind="orders", headers=tuple(HEADER.strip().split(",")),
                            columns={"团购群": ("seller_id",)}, constants={"community_id": "A"})


@pytest.fixture()
def store(tmp_path) -> Path:
    db = tmp_path / "t.duckdb"
    profiles.save(db, a_profile(), user="dir_a", communities=("A",))
    return db


def test_a_saved_profile_records_its_community_and_saver_and_is_audited(store):
    saved = tomllib.loads((store.parent / "profiles" / "快团团.toml").read_text(encoding="utf-8"))
    assert (saved["community"], saved["saved_by"], saved["constants"]) == ("A", "dir_a", {"community_id": "A"})
    got = rows(store, "SELECT user_name, action, community_id, detail FROM audit_log WHERE action = 'profile.save'")
    assert [(u, a, c, json.loads(d)) for u, a, c, d in got] == [
        ("dir_a", "profile.save", "A", {"profile": "快团团", "kind": "orders", "file": "快团团.toml"})]


def test_an_admins_plain_ingest_of_bs_file_does_not_take_as_profile(store, tmp_path, capsys):
    # before: A's profile was chosen by the headers and stored B's rows as community A
    assert main(["--db", str(store), "ingest", "orders", str(write(tmp_path / "B_orders.csv", B_FILE))]) == 0
    assert "使用的导入档案" not in capsys.readouterr().out
    assert rows(store, "SELECT order_id, community_id, seller_id FROM cur_orders ORDER BY 1") == [
        ("B1", "B", "S9"), ("B2", "B", "S9")]


def test_bs_director_is_not_refused_because_of_as_profile(store, tmp_path):
    report = import_file(store, "orders", write(tmp_path / "B_orders.csv", B_FILE), allowed_communities=("B",))
    assert (report.profile, report.rows_new) == (None, 2)
    assert rows(store, "SELECT DISTINCT community_id FROM cur_orders") == [("B",)]


def test_as_director_gets_his_own_profile_by_the_headers(store, tmp_path):
    report = import_file(store, "orders", write(tmp_path / "A_orders.csv", A_FILE), allowed_communities=("A",))
    assert report.profile == "快团团"
    # the profile's mapping was applied: 团购群 is the seller
    assert rows(store, "SELECT order_id, community_id, seller_id FROM cur_orders ORDER BY 1") == [
        ("A1", "A", "一群"), ("A2", "A", "一群")]


def test_who_may_name_which_profile(store):
    names = lambda communities: sorted(p.name for p in profiles.available(store, "orders", communities))
    assert names(("A",)) == ["快团团"]                     # uci_online_retail writes community UK
    assert names(("B",)) == []
    assert names(None) == ["uci_online_retail", "快团团"]   # an admin may still name any
    with pytest.raises(UserError) as err:
        profiles.find(store, "快团团", ("B",))
    assert "没有名为“快团团”的导入档案" in err.value.zh
    # chosen by headers: A's for A's imports only, never for an admin's (None) or B's
    auto = lambda communities: [p.name for p in profiles.candidates(store, "orders", communities)]
    assert "快团团" in auto(("A",)) and "快团团" not in auto(None) and "快团团" not in auto(("B",))


def test_a_profile_with_a_constant_community_applies_only_to_that_community(tmp_path):
    # the shipped ones too: nyc311 writes community NYC, uci_online_retail UK
    assert [p.name for p in profiles.candidates(None, "complaints", ("B",))] == []
    assert [p.name for p in profiles.candidates(None, "complaints", ("NYC",))] == ["nyc311"]
    assert [p.name for p in profiles.candidates(None, "complaints", None)] == ["nyc311"]


def test_a_director_cannot_save_a_profile_for_another_community(tmp_path):
    with pytest.raises(UserError) as err:
        profiles.save(tmp_path / "t.duckdb", a_profile(), user="dir_b", communities=("B",))
    assert "“A”" in err.value.zh and "本社区" in err.value.zh
    assert not (tmp_path / "profiles" / "快团团.toml").exists()


@pytest.mark.parametrize("second", ["快团团", "快团团/", "快团团 ", "nyc311", "NYC311", "NYC 311 服务请求"])
def test_a_name_that_collides_is_refused_not_overwritten(store, second):
    path = store.parent / "profiles" / "快团团.toml"
    before = path.read_bytes()
    other = replace(a_profile(), name=second, columns={"团购群": ("channel",)})
    with pytest.raises(UserError) as err:
        profiles.save(store, other, user="dir_a", communities=("A",))
    assert "没有保存" in err.value.zh and "换一个名称" in err.value.zh
    assert path.read_bytes() == before
    assert sorted(p.name for p in (store.parent / "profiles").iterdir()) == ["快团团.toml"]


def test_names_that_become_one_file_name_are_one_name(tmp_path):
    db = tmp_path / "t.duckdb"
    profiles.save(db, replace(a_profile(), name="a/b"))
    with pytest.raises(UserError):
        profiles.save(db, replace(a_profile(), name="a_b"))
    assert profiles.find(db, "a/b").columns == {"团购群": ("seller_id",)}


@pytest.mark.parametrize("look_alike", ["ｎｙｃ311", "nyc３１１", "ＮＹＣ３１１"])
def test_a_full_width_look_alike_of_a_shipped_name_is_refused(tmp_path, look_alike):
    """Full-width letters and digits read as the shipped nyc311 on the page and in --profile's list."""
    db = tmp_path / "t.duckdb"
    with pytest.raises(UserError) as err:
        profiles.save(db, replace(a_profile(), name=look_alike), user="dir_a", communities=("A",))
    assert "随 Linli 提供的“nyc311”" in err.value.zh
    assert not (tmp_path / "profiles").exists() or not list((tmp_path / "profiles").iterdir())


@pytest.mark.parametrize("header", ["13912345678", "联系 139-1234-5678", "110101199003074578"])
def test_a_profile_whose_headers_hold_personal_numbers_is_refused(tmp_path, header):
    p = replace(a_profile(), headers=("订单号", header), columns={header: ("seller_id",)})
    with pytest.raises(UserError) as err:
        profiles.save(tmp_path / "t.duckdb", p, user="dir_a", communities=("A",))
    digits = "".join(ch for ch in header if ch.isdigit())
    assert "手机号或身份证号" in err.value.zh and digits not in "".join(c for c in err.value.zh if c.isdigit())
    assert not (tmp_path / "profiles").exists() or not list((tmp_path / "profiles").iterdir())


# ---- item 13: written by a TOML library, read back, a bad file skipped ------------------------------

@pytest.mark.parametrize("header", ["备注\x7f", "a\x00b", "tab\there", "换行\n", "\x1b[31m红", 'q"uote\\', "\u2028"])
def test_a_header_with_control_characters_round_trips_and_later_imports_still_work(tmp_path, header):
    db = tmp_path / "t.duckdb"
    p = replace(a_profile(), name="控制", headers=(*a_profile().headers, header), constants={})
    path = profiles.save(db, p)
    assert profiles.load(path).headers == p.headers
    # before: the file was written by hand, TOML refused it and every later import failed
    report = import_file(db, "orders", write(tmp_path / "b.csv", B_FILE))
    assert (report.rows_new, report.profiles_skipped) == (2, [])


def test_profiles_are_owner_only(store):
    folder = store.parent / "profiles"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "快团团.toml").stat().st_mode) == 0o600


def test_a_profile_that_does_not_read_back_is_never_put_in_place(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles, "dumps", lambda p: 'name = "x"\nkind = "orders"\n')
    with pytest.raises(UserError) as err:
        profiles.save(tmp_path / "t.duckdb", a_profile())
    assert "读回来不一样" in err.value.zh
    assert list((tmp_path / "profiles").iterdir()) == []


def test_one_bad_profile_file_is_skipped_with_a_message(store, tmp_path, capsys):
    bad = store.parent / "profiles" / "坏的.toml"
    bad.write_text('name = "坏的"\nkind = "orders"\nheaders = ["a\x7f"]\n', encoding="utf-8")
    assert [e.zh for e in profiles.skipped(store)] and "坏的.toml" in profiles.skipped(store)[0].zh
    # imports go on, for A (with A's profile) and through the command line, each saying what was skipped
    report = import_file(store, "orders", write(tmp_path / "A.csv", A_FILE), allowed_communities=("A",))
    assert report.profile == "快团团"
    assert any("坏的.toml" in line and "已跳过" in line for line in report.column_lines("zh"))
    assert main(["--db", str(store), "ingest", "orders", str(write(tmp_path / "B.csv", B_FILE))]) == 0
    out = capsys.readouterr().out
    assert "坏的.toml" in out and "已跳过这个档案" in out
    assert rows(store, "SELECT count(*) FROM cur_orders") == [(4,)]


# ---- item 15: globs both engines read ---------------------------------------------------------------

@pytest.mark.parametrize("pattern, texts, hits", [
    ("*噪音*", ["夜间噪音投诉", "噪音", "噪声", "广场舞噪音"], [True, True, False, True]),
    ("噪音*", ["噪音扰民", "夜间噪音", "噪音"], [True, False, True]),
    ("*a?b*", ["xaZbx", "ab", "aXXb", "AQB"], [True, False, False, True]),
    ("a.b(c)[d]{2}+$^|\\*", ["a.b(c)[d]{2}+$^|\\", "a.b(c)[d]{2}+$^|\\tail", "aXb(c)[d]{2}+$^|\\"],
     [True, True, False]),
    ("1+1=2?", ["1+1=2!", "11=2!"], [True, False]),
])
def test_a_glob_matches_the_same_in_polars_and_in_python(pattern, texts, hits):
    import re
    regex = profiles._regex(pattern)
    got = pl.Series(texts).str.contains(regex).to_list()      # before: ComputeError for two *
    assert got == hits
    assert [re.search(regex, t) is not None for t in texts] == hits


def test_a_profile_with_two_stars_imports(tmp_path):
    p = profiles.Profile(name="噪音", kind="complaints", constants={"community_id": "A"},
                         filter={"类型": ("*噪音*", "*施工*")}, values={"category": {"*直播*": "livestream_noise",
                                                                                 "*": "other"}},
                         columns={"编号": ("complaint_id",), "受理时间": ("received_at",), "类型": ("category",)})
    f = write(tmp_path / "c.csv", "编号,受理时间,类型\n1,2025-06-03 21:00,夜间直播噪音\n2,2025-06-03 22:00,广场舞噪音\n"
                                   "3,2025-06-04 08:00,停车\n4,2025-06-04 09:00,夜间施工\n")
    report = import_file(tmp_path / "t.duckdb", "complaints", f, profile=p)
    assert (report.rows_read, report.rows_new) == (3, 3)
    assert rows(tmp_path / "t.duckdb", "SELECT complaint_id, category FROM cur_complaints ORDER BY 1") == [
        ("1", "livestream_noise"), ("2", "other"), ("4", "other")]
    assert [s.rows for s in report.skipped_by_profile] == [1]


# ---- item 18: the shipped NYC profile keeps every request; a filter says what it skipped ------------

@needs_realdata
def test_the_shipped_nyc_profile_keeps_every_request(tmp_path):
    db = tmp_path / "t.duckdb"
    report = import_file(db, "complaints", NYC)
    # 924 requests in the file (Python's csv module): 379 "Noise - Residential", 545 of every other type
    assert (report.profile, report.rows_read, report.rows_new, len(report.quarantined)) == ("nyc311", 924, 924, 0)
    assert report.skipped_by_profile == []
    assert dict(rows(db, "SELECT category, count(*) FROM cur_complaints GROUP BY 1")) == {
        "livestream_noise": 379, "other": 545}


@needs_realdata
def test_a_filter_says_how_many_rows_it_skipped_and_why(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    noise = replace(profiles.find(None, "nyc311"), name="nyc_noise", label="", filter={"Complaint Type": ("Noise*",)})
    profiles.save(db, noise)
    assert main(["--db", str(db), "ingest", "complaints", str(NYC), "--profile", "nyc_noise"]) == 0
    out = capsys.readouterr().out
    assert "读取 729 行" in out
    assert "导入档案“nyc_noise”的筛选跳过了 195 行：“Complaint Type”列不是Noise*" in out
    report = import_file(tmp_path / "u.duckdb", "complaints", NYC, profile=noise)
    assert [(s.header, s.kept, s.rows) for s in report.skipped_by_profile] == [("Complaint Type", ("Noise*",), 195)]
    assert "filter skipped 195 rows: column 'Complaint Type' is not Noise*" in "\n".join(report.column_lines("en"))

