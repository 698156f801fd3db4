"""Delivery on schedule (issue 19 item 6): the next run in Beijing time (pure), the brief written owner-only to the
folder, and the card and report posted to a local stand-in for the 企业微信 robot (http.server on 127.0.0.1, an
ephemeral port, stopped by the test): posted at once, posted after a 500, reported and retried when it keeps
failing or is down; the URL never printed or recorded in full."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.server
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from pipelines.reports import deliver as d
from tests.conftest import build_store, private_copy
from tests.dashboard.conftest import BUILDINGS, POINTS
from tests.pipelines import test_kpi as fx

BJ = d.BEIJING
ROOT = Path(__file__).resolve().parents[2]


def test_next_run_is_the_coming_monday_at_eight_beijing_time():
    utc = dt.timezone.utc
    # Monday 7 Dec 2026 23:30 UTC is Tuesday 07:30 in Beijing: this Monday's run is past, the next is on the 14th
    assert d.next_run(dt.datetime(2026, 12, 7, 23, 30, tzinfo=utc)) == dt.datetime(2026, 12, 14, 8, 0, tzinfo=BJ)
    # Sunday 6 Dec 23:59 UTC is Monday 07:59 in Beijing: the run is a minute away, the same day
    assert d.next_run(dt.datetime(2026, 12, 6, 23, 59, tzinfo=utc)) == dt.datetime(2026, 12, 7, 8, 0, tzinfo=BJ)
    # at 08:00 sharp the run is now, so the next one is a week on
    assert d.next_run(dt.datetime(2026, 12, 7, 8, 0, tzinfo=BJ)) == dt.datetime(2026, 12, 14, 8, 0, tzinfo=BJ)
    # a Sunday 20:30 schedule asked on Wednesday
    assert d.next_run(dt.datetime(2026, 12, 9, 12, 0, tzinfo=BJ), 7, dt.time(20, 30)) == \
        dt.datetime(2026, 12, 13, 20, 30, tzinfo=BJ)
    # the week delivered: the last whole week before the latest run
    assert d.due_week(dt.datetime(2026, 12, 7, 9, 0, tzinfo=BJ)) == dt.date(2026, 11, 30)
    assert d.due_week(dt.datetime(2026, 12, 7, 7, 0, tzinfo=BJ)) == dt.date(2026, 11, 23)
    assert d.due_week(dt.datetime(2026, 12, 10, 7, 0, tzinfo=BJ), 3, dt.time(8, 0)) == dt.date(2026, 11, 30)


def test_the_scheduler_waits_for_the_next_run_then_delivers(tmp_path):
    """The thread's loop on a clock the test moves: each wait is for the time left to the next run (at most an
    hour), a delivery only once that time has come, a failing run reported and the loop going on."""
    clock = [dt.datetime(2026, 12, 7, 7, 0, tzinfo=BJ)]   # Monday 07:00: the run is an hour away
    waits, runs, said = [], [], []

    class Stop:
        def is_set(self):
            return len(runs) >= 2

        def wait(self, seconds):
            waits.append(seconds)
            clock[0] += dt.timedelta(seconds=seconds)   # the wait passes that much time on the test's clock
            return False

    def run(db, at):
        runs.append(at)
        if len(runs) == 1:
            raise RuntimeError("store busy")
        return [d.Outcome("A", dt.date(2026, 11, 30), "folder", True, "/x")]

    d.run_scheduler(tmp_path / "s.duckdb", Stop(), now=lambda: clock[0], log=said.append, run=run)
    # an hour to 08:00, then a week less nothing to the next Monday: hourly waits (168 of them)
    assert waits[0] == 3600.0 and runs[0] == dt.datetime(2026, 12, 7, 8, 0, tzinfo=BJ)
    assert runs[1] == dt.datetime(2026, 12, 14, 8, 0, tzinfo=BJ) and len(waits) == 1 + 168
    assert said[0] == "定时送达失败：RuntimeError: store busy" and said[1].endswith("已送达 /x")


def test_the_webhook_is_kept_owner_only_and_shown_masked(tmp_path):
    db = tmp_path / "s.duckdb"
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    d.set_webhook(db, "A", url)
    path = d.settings_path(db)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert d.read_settings(db)["wecom"]["A"] == url
    assert d.mask(url) == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…"
    # a robot whose token is the path's last part (the command takes any address) is not shown whole either
    assert d.mask("https://open.feishu.cn/open-apis/bot/v2/hook/0b1c2d3e-secret-token") == \
        "https://open.feishu.cn/open-apis/bot/v2/hook/0b1c…"
    assert d.mask("http://127.0.0.1:8080/robot") == "http://127.0.0.1:8080/robo…"
    assert d.set_schedule(db, 1, "07:30") == {"weekday": 1, "at": "07:30"}
    assert d.read_settings(db)["wecom"]["A"] == url            # the schedule kept the webhook
    with pytest.raises(Exception):
        d.set_webhook(db, "A", "not a url")


class StandIn:
    """The robot's stand-in: answers each POST with the next scripted status (200 with errcode 0 after the
    script ends), keeps every JSON body it got."""

    def __init__(self, script=()):
        self.script, self.bodies = list(script), []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append(body)
                status = outer.script.pop(0) if outer.script else 200
                answer = json.dumps({"errcode": 0 if status == 200 else 500, "errmsg": "ok"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=SECRETKEY123456"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("deliver"), {
        "communities": fx.COMMUNITIES, "buildings": BUILDINGS, "points": POINTS, "orders": fx.ORDERS,
        "parcels": fx.PARCELS, "complaints": fx.COMPLAINTS, "training": fx.TRAINING, "jobs": fx.JOBS})


@pytest.fixture
def db(built, tmp_path):
    return private_copy(built, tmp_path / "t.duckdb", snapshots=True)


@pytest.fixture
def robot():
    made = []

    def start(script=()):
        made.append(StandIn(script))
        return made[-1]
    yield start
    for r in made:
        r.stop()


# Monday 16 June 2025 08:30 Beijing: the week of 9 June is due
NOW = dt.datetime(2025, 6, 16, 8, 30, tzinfo=BJ)
WEEK = dt.date(2025, 6, 9)


def rows(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_brief_goes_to_the_folder_and_the_robot(db, robot):
    r = robot()
    d.set_webhook(db, "A", r.url)
    waits = []
    out = d.deliver(db, NOW, sleep=waits.append)
    got = {(o.community, o.channel): o for o in out}
    assert set(got) == {("A", "folder"), ("A", "wecom"), ("B", "folder")}
    assert got["A", "folder"].ok and got["A", "wecom"].ok and got["A", "wecom"].period == WEEK and waits == []
    # B's data stops on 8 June: its week of 9 June is not skipped in silence but reported, and tried again next run
    assert not got["B", "folder"].ok and "社区“B”没有2025年第24周" in got["B", "folder"].line()
    assert "SECRETKEY123456" not in got["A", "wecom"].line() and "key=SECR…" in got["A", "wecom"].line()
    folder = d.briefs_folder(db) / "A" / WEEK.isoformat()
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["A社区_2025-06-09_每周检查简报.pdf", "A社区_2025-06-09_每周检查简报.png",
                     "A社区_2025-06-09_每周检查简报_报告.txt"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    image, text = r.bodies
    png = (folder / files[1]).read_bytes()
    assert image["msgtype"] == "image" and base64.b64decode(image["image"]["base64"]) == png
    assert image["image"]["md5"] == hashlib.md5(png).hexdigest()
    assert text["msgtype"] == "markdown"
    assert text["markdown"]["content"].startswith("关于A社区2025年第24周（6月9日–6月15日）治理情况的报告")
    assert text["markdown"]["content"] == (folder / files[2]).read_text(encoding="utf-8")
    assert ("A", WEEK, "wecom", "ok", 2) in rows(db, "SELECT community_id, period_start, channel, status, attempts "
                                                     "FROM deliveries")
    again = d.deliver(db, NOW)               # delivered once: the next run has only B's missing week to try
    assert [(o.community, o.ok) for o in again] == [("B", False)]
    assert len(r.bodies) == 2
    assert rows(db, "SELECT attempts FROM deliveries WHERE community_id = 'B'") == [(2,)]


def test_a_500_is_retried_with_backoff_and_then_goes(db, robot):
    r = robot([500])
    d.set_webhook(db, "A", r.url)
    waits = []
    out = [o for o in d.deliver(db, NOW, sleep=waits.append) if o.channel == "wecom"]
    assert [o.ok for o in out] == [True] and waits == [d.BACKOFF_SECONDS[0]]
    assert [b["msgtype"] for b in r.bodies] == ["image", "image", "markdown"]
    assert rows(db, "SELECT status, attempts, last_error FROM deliveries WHERE channel = 'wecom'") == [("ok", 3, None)]


def test_a_post_that_keeps_failing_is_reported_and_retried_on_the_next_run(db, robot):
    r = robot([500] * d.RETRIES)
    d.set_webhook(db, "A", r.url)
    waits = []
    out = [o for o in d.deliver(db, NOW, sleep=waits.append) if o.channel == "wecom"]
    assert [o.ok for o in out] == [False] and "500" in out[0].detail and "SECRETKEY123456" not in out[0].detail
    assert waits == list(d.BACKOFF_SECONDS)
    status, attempts, error = rows(db, "SELECT status, attempts, last_error FROM deliveries WHERE channel = 'wecom'")[0]
    assert (status, attempts) == ("failed", 3) and "500" in error and "SECRETKEY123456" not in error
    trail = rows(db, "SELECT action, community_id, detail FROM audit_log WHERE action LIKE 'deliver.%' ORDER BY seq")
    assert [(a, c) for a, c, _ in trail if "wecom" in _] == [("deliver.failed", "A")]
    assert not any("SECRETKEY123456" in (x or "") for _, _, x in trail)
    # a week later the robot answers again: the missed week goes with the new one
    later = d.deliver(db, NOW + dt.timedelta(days=7), sleep=waits.append)
    assert any(o.channel == "wecom" and o.period == WEEK and o.ok for o in later)
    assert rows(db, f"SELECT status, attempts FROM deliveries WHERE channel = 'wecom' AND period_start = DATE '{WEEK}'") \
        == [("ok", 5)]


def test_a_robot_that_is_down_is_reported_not_raised(db, robot):
    r = robot()
    url = r.url
    r.stop()
    r.stop = lambda: None           # stopped already
    d.set_webhook(db, "A", url)
    out = [o for o in d.deliver(db, NOW, sleep=lambda s: None) if o.channel == "wecom"]
    assert [o.ok for o in out] == [False] and "SECRETKEY123456" not in out[0].line()
    assert rows(db, "SELECT status FROM deliveries WHERE channel = 'wecom'") == [("failed",)]
    assert rows(db, "SELECT status FROM deliveries WHERE channel = 'folder' AND community_id = 'A'") == [("ok",)]


def test_the_command_line_never_prints_the_key(db, robot):
    r = robot()
    env = dict(os.environ, LINLI_LANG="zh", LINLI_DB=str(db))
    run = lambda *a: subprocess.run([sys.executable, "-m", "pipelines", *a], cwd=ROOT, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=300)
    set_ = run("notify", "set", "A", "--wecom-webhook", r.url)
    assert set_.returncode == 0 and "key=SECR…" in set_.stdout and "SECRETKEY123456" not in set_.stdout
    sched = run("notify", "schedule", "--weekday", "1", "--at", "09:15")
    assert "每周一 09:15" in sched.stdout
    sent = run("deliver", "--now")
    assert sent.returncode == 0, sent.stderr
    assert "企业微信：已送达" in sent.stdout and "SECRETKEY123456" not in sent.stdout + sent.stderr
    shown = run("notify", "show")
    assert "A\t企业微信\t" in shown.stdout and "SECRETKEY123456" not in shown.stdout
