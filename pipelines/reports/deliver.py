"""The weekly briefs delivered on schedule (issue 19 item 6): every Monday at a set time (default 08:00 Beijing
time) each community's brief of the week just ended is written to a folder (PDF and PNG card, owner-only), and
where the community configured a 企业微信 group robot, its card and report text are posted there.

Settings live in a file beside the store, `<db stem>.notify.json`, readable by its owner alone (0600): the
webhook URLs are secrets, shown only masked (`key=abcd…`) and never logged or audited. Every delivery, done or
failed, is a row of the kept table `deliveries` (community, period, channel, status, attempts, last_error,
delivered_at) and an audit row; a failed one is tried again on the next run until it goes, so nothing is lost
silently. Nothing here reaches the network except the webhook a community configured.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from pipelines.database import has_table, reading, writing
from pipelines.errors import UserError
from pipelines.periods import period_start
from pipelines.records import audit

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")   # China keeps no summer time: a fixed offset is exact
TABLE = "deliveries"
CHANNELS = ("folder", "wecom")
RETRIES = 3                    # tries per post within one run; a post still failing waits for the next run
BACKOFF_SECONDS = (2.0, 8.0)   # between the tries
IMAGE_LIMIT = 2 * 1024 * 1024  # the robot refuses an image over 2 MB
MARKDOWN_LIMIT = 4096          # … and a markdown message over 4096 bytes
RETRY_WEEKS = 4                # a failed week is tried again at each run for this many weeks
DEFAULT_SCHEDULE = {"weekday": 1, "at": "08:00"}   # ISO weekday: 1 is Monday


# ---- settings: a 0600 file beside the store ----

def settings_path(db: Path) -> Path:
    return Path(db).with_name(Path(db).stem + ".notify.json")


def briefs_folder(db: Path) -> Path:
    return Path(db).with_name(Path(db).stem + ".briefs")


def read_settings(db: Path) -> dict:
    path = settings_path(db)
    if not path.exists():
        return {"schedule": dict(DEFAULT_SCHEDULE), "wecom": {}}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {"schedule": {**DEFAULT_SCHEDULE, **data.get("schedule", {})}, "wecom": dict(data.get("wecom", {}))}


def _write_settings(db: Path, data: dict) -> None:
    path = settings_path(db)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # owner-only from its first byte
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


WEBHOOK = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")


def set_webhook(db: Path, community: str, url: str | None) -> None:
    """The community's robot URL (None or "": none). Checked for shape only: nothing is sent until a delivery."""
    data = read_settings(db)
    if url:
        url = url.strip()
        if not WEBHOOK.match(url):
            raise UserError("这不是一个网址：企业微信群机器人的地址形如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
                            "not a URL: a WeCom group robot's address looks like "
                            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
        data["wecom"][community] = url
    else:
        data["wecom"].pop(community, None)
    _write_settings(db, data)


def set_schedule(db: Path, weekday: int, at: str) -> dict:
    if not 1 <= int(weekday) <= 7:
        raise UserError("--weekday 是 1（星期一）到 7（星期日）。", "--weekday is 1 (Monday) to 7 (Sunday).")
    parse_time(at)
    data = read_settings(db)
    data["schedule"] = {"weekday": int(weekday), "at": at}
    _write_settings(db, data)
    return data["schedule"]


def parse_time(at: str) -> dt.time:
    try:
        h, m = (int(x) for x in at.split(":"))
        return dt.time(h, m)
    except (ValueError, TypeError):
        raise UserError(f"时间“{at}”应写成 08:00 这样的 24 小时制。", f"the time '{at}' should look like 08:00.") from None


def mask(url: str) -> str:
    """The URL as it may be shown: its key (and any other query value) cut to four characters; a URL with no
    query value keeps its secret in its path's last part (飞书's …/bot/v2/hook/<token>, any robot's address the
    command accepts), which is cut the same way."""
    masked = re.sub(r"([?&][^=&#]+=)([^&#]{0,4})[^&#]*", lambda m: m.group(1) + m.group(2) + "…", url)
    if masked != url:
        return masked
    return re.sub(r"^([a-z]+://[^/?#]+/(?:[^?#]*/)?[^/?#]{0,4})[^/?#]+", r"\1…", url, flags=re.I)


def _scrub(text: str, secrets: list[str]) -> str:
    for s in secrets:
        text = text.replace(s, mask(s))
    return text[:500]


# ---- when ----

def next_run(now: dt.datetime, weekday: int = 1, at: dt.time = dt.time(8, 0)) -> dt.datetime:
    """The next scheduled time strictly after `now` (an aware datetime, any zone), in Beijing time."""
    local = now.astimezone(BEIJING)
    days = (weekday - local.isoweekday()) % 7
    candidate = dt.datetime.combine(local.date() + dt.timedelta(days=days), at, tzinfo=BEIJING)
    if candidate <= local:
        candidate += dt.timedelta(days=7)
    return candidate


def last_run(now: dt.datetime, weekday: int = 1, at: dt.time = dt.time(8, 0)) -> dt.datetime:
    """The latest scheduled time at or before `now`, in Beijing time."""
    return next_run(now, weekday, at) - dt.timedelta(days=7)


def due_week(now: dt.datetime, weekday: int = 1, at: dt.time = dt.time(8, 0)) -> dt.date:
    """The week whose brief the latest scheduled run delivers: the last whole week before that run's day."""
    return period_start("week", last_run(now, weekday, at).date()) - dt.timedelta(days=7)


# ---- the record ----

def ensure(con) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        community_id VARCHAR NOT NULL, period_start DATE NOT NULL, channel VARCHAR NOT NULL,   -- folder | wecom
        status VARCHAR NOT NULL,          -- ok | failed
        attempts INTEGER NOT NULL,        -- tries so far, over every run
        last_error VARCHAR,               -- the last failure in words (the URL masked)
        delivered_at TIMESTAMP,           -- when it went (NULL while it has not)
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (community_id, period_start, channel))""")


def deliveries(con, community: str | None = None) -> list[dict]:
    if con is None or not has_table(con, TABLE):
        return []
    cur = con.execute(f"""SELECT community_id, period_start, channel, status, attempts, last_error, delivered_at
                          FROM {TABLE} WHERE ? IS NULL OR community_id = ?
                          ORDER BY period_start DESC, community_id, channel""", [community, community])
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


def _record(db: Path, community: str, period: dt.date, channel: str, ok: bool, tries: int, error: str | None) -> None:
    with writing(db) as con:
        ensure(con)
        old = con.execute(f"SELECT attempts FROM {TABLE} WHERE community_id = ? AND period_start = ? AND channel = ?",
                          [community, period, channel]).fetchone()
        now = dt.datetime.now().replace(microsecond=0)
        con.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [community, period, channel, "ok" if ok else "failed", (old[0] if old else 0) + tries,
                     None if ok else error, now if ok else None, now])
        audit.record(con, "deliver.ok" if ok else "deliver.failed", community_id=community, period_start=period,
                     channel=channel, attempts=tries, **({} if ok else {"error": error}))


# ---- the WeCom robot ----

def wecom_messages(png: bytes, text: str) -> list[dict]:
    """The robot's messages: the card as an image (base64 and md5 of the PNG), then the report as markdown."""
    out = []
    if len(png) <= IMAGE_LIMIT:
        out.append({"msgtype": "image", "image": {"base64": base64.b64encode(png).decode("ascii"),
                                                  "md5": hashlib.md5(png).hexdigest()}})
    body = text.encode("utf-8")
    if len(body) > MARKDOWN_LIMIT:   # cut at a character, with a mark that the full text is in the PDF
        tail = "\n\n（全文见简报 PDF）".encode()
        body = body[:MARKDOWN_LIMIT - len(tail)].decode("utf-8", "ignore").encode("utf-8") + tail
    out.append({"msgtype": "markdown", "markdown": {"content": body.decode("utf-8")}})
    return out


def post_json(url: str, message: dict, timeout: float = 15.0) -> None:
    """One POST; raises on a transport error, an HTTP error or the robot's errcode other than 0."""
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json; charset=utf-8"},
                                 method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:   # noqa: S310 (the configured webhook only)
        answer = resp.read()
    try:
        code = json.loads(answer or b"{}").get("errcode", 0)
    except ValueError:
        code = 0
    if code:
        raise RuntimeError(f"企业微信返回错误 errcode={code}")


def post_with_retries(url: str, messages: list[dict], post: Callable = post_json,
                      sleep: Callable[[float], None] = time.sleep, retries: int = RETRIES) -> tuple[bool, int, str | None]:
    """(sent, tries, last error): each message tried up to `retries` times with backoff; the URL never in the error."""
    tries, error = 0, None
    for message in messages:
        for attempt in range(retries):
            tries += 1
            try:
                post(url, message)
                error = None
                break
            except (urllib.error.URLError, OSError, RuntimeError, ValueError) as exc:
                error = _scrub(f"{type(exc).__name__}: {exc}", [url])
                if attempt + 1 < retries:
                    sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
        else:
            return False, tries, error
    return True, tries, None


# ---- a run ----

@dataclasses.dataclass
class Outcome:
    community: str
    period: dt.date
    channel: str
    ok: bool
    detail: str        # the folder written, or the masked webhook; the error when it failed

    def line(self) -> str:
        where = {"folder": "文件夹", "wecom": "企业微信"}[self.channel]
        return (f"社区 {self.community} {self.period.isoformat()} 周 · {where}："
                + ("已送达 " if self.ok else "失败，下次运行会重试：") + self.detail)


def _owner_only_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _write_owner_only(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def _pending(db: Path, due: dt.date, communities: list[str], wecom: dict,
             known: list[str] | None = None) -> list[tuple[str, dt.date, str]]:
    """(community, week, channel) to deliver: the due week's not yet delivered (of `communities`, those with the
    week's data), and every earlier failed one (of every `known` community, whether or not the new week is in)."""
    known = communities if known is None else known
    with reading(db) as con:
        done = {(r["community_id"], r["period_start"], r["channel"]): r["status"] for r in deliveries(con)}
    out = []
    for c in communities:
        for ch in ("folder", *(("wecom",) if wecom.get(c) else ())):
            if done.get((c, due, ch)) != "ok":
                out.append((c, due, ch))
    # earlier failures are tried again for RETRY_WEEKS: a community that stopped importing is reported every
    # week, not retried for ever
    out += [k for k, s in done.items() if s == "failed" and k[1] != due and k[0] in known
            and due - dt.timedelta(weeks=RETRY_WEEKS) <= k[1] and (k[2] == "folder" or wecom.get(k[0]))]
    return out


def deliver(db: Path, now: dt.datetime | None = None, *, force: bool = False, post: Callable = post_json,
            sleep: Callable[[float], None] = time.sleep, folder: Path | None = None) -> list[Outcome]:
    """One run: the week due at `now` (default: this moment) for every community with data, plus earlier
    failures. `force` (linli deliver --now) delivers each community's latest week up to the due one, even if it
    went already."""
    from pipelines.reports.content import Source, gather
    from pipelines.reports.render import render
    db = Path(db)
    now = now or dt.datetime.now(BEIJING)
    settings = read_settings(db)
    sched = settings["schedule"]
    due = due_week(now, int(sched["weekday"]), parse_time(sched["at"]))
    src = Source.for_operator(db)
    communities = list(src("communities")["community_id"])
    # a community without the due week's data is not skipped in silence: its delivery fails (the brief cannot be
    # gathered, "no data for the week"), is reported, and goes once the week is imported
    todo = _pending(db, due, communities, settings["wecom"])
    if force:   # each community's latest week up to the due one (a store whose data ends earlier has one too)
        latest = {c: max((p for p in src("periods", c, "week") if p <= due), default=None) for c in communities}
        todo = sorted({*((c, p, "folder") for c, p in latest.items() if p),
                       *((c, p, "wecom") for c, p in latest.items() if p and settings["wecom"].get(c))})
    out, briefs = [], {}
    root = folder or briefs_folder(db)
    for community, period, channel in todo:
        try:
            if (community, period) not in briefs:
                brief = gather(src, community, "week", period, "zh")
                briefs[community, period] = (brief, render(brief, "pdf"), render(brief, "png"))
            brief, pdf, png = briefs[community, period]
        except Exception as exc:   # a brief that cannot be drawn is a failed delivery, recorded and retried
            error = (exc.message("zh") if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}")[:500]
            _record(db, community, period, channel, False, 1, error)
            out.append(Outcome(community, period, channel, False, error))
            continue
        if channel == "folder":
            where = root / community / period.isoformat()
            try:
                _owner_only_dir(root)
                _owner_only_dir(where.parent)
                _owner_only_dir(where)
                stem = f"{brief.community_name}_{period.isoformat()}_每周检查简报"
                _write_owner_only(where / f"{stem}.pdf", pdf)
                _write_owner_only(where / f"{stem}.png", png)
                _write_owner_only(where / f"{stem}_报告.txt", (brief.report or "").encode("utf-8"))
                ok, tries, error = True, 1, None
            except OSError as exc:
                ok, tries, error = False, 1, f"{type(exc).__name__}: {exc}"[:500]
            _record(db, community, period, channel, ok, tries, error)
            out.append(Outcome(community, period, channel, ok, str(where) if ok else error))
        else:
            url = settings["wecom"][community]
            ok, tries, error = post_with_retries(url, wecom_messages(png, brief.report or brief.title), post, sleep)
            _record(db, community, period, channel, ok, tries, error)
            out.append(Outcome(community, period, channel, ok, mask(url) if ok else f"{error}（{mask(url)}）"))
    return out


# ---- the scheduler inside `linli serve` ----

_started: dict[str, "threading.Thread"] = {}


def run_scheduler(db: Path, stop, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(BEIJING),
                  log: Callable[[str], None] = print, run: Callable | None = None) -> None:
    """Until `stop` (a threading.Event) is set: wait for the next scheduled time, then deliver. The schedule is
    read afresh before each wait, so `linli notify schedule` takes effect without a restart; a run that fails
    as a whole is reported and tried at the next time (its deliveries stay recorded as failed)."""
    while not stop.is_set():
        sched = read_settings(db)["schedule"]
        due = next_run(now(), int(sched["weekday"]), parse_time(sched["at"]))
        # wake at least hourly: a changed schedule or a clock set forward is noticed within the hour
        if stop.wait(min(3600.0, max(1.0, (due - now()).total_seconds()))):
            return
        if now() < due:
            continue
        try:
            for outcome in (run or deliver)(db, now()):
                log(outcome.line())
        except Exception as exc:   # the dashboard keeps serving; the next run tries again
            log(f"定时送达失败：{type(exc).__name__}: {str(exc)[:300]}")


def start_scheduler(db: Path) -> "threading.Thread | None":
    """The background thread `linli serve` runs (one per store and process); LINLI_SCHEDULER=off leaves it out."""
    import threading
    if os.environ.get("LINLI_SCHEDULER", "on").lower() in ("off", "0", "no"):
        return None
    key = str(Path(db).resolve())
    if key in _started and _started[key].is_alive():
        return _started[key]
    thread = threading.Thread(target=run_scheduler, args=(Path(db), threading.Event()), name="linli-deliver",
                              daemon=True)
    thread.start()
    _started[key] = thread
    return thread
