"""A deterministic demo street office in Guiyang, written as the files real users bring
(GBK CSV with a title line, UTF-8 BOM CSV, .xlsx with date cells, Chinese headers,
names and phone numbers) and imported through the same path as a user's files.

The stories it carries: weekly and daily rhythms, evening livestream peaks, the
618 and 双11 spikes, the 09:00–20:00 livestream rule (after which late-night
noise falls), the gate parcel point (after which pile-up complaints fall),
training cohorts followed by placements, and elderly participation rising.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.demo import coop as coop_books
from pipelines.demo.days import first_day, gate_point_opens, last_sunday_before, rule_adopted, today
from pipelines.demo.tables import csv_cells, table_in_memory
from pipelines.demo.workbook import workbook

STREET = "金桥街道"
CENTER = (26.5783, 106.7135)             # Guiyang

COMMUNITY_SIZES = [3000, 1800, 2400, 1200, 2100, 1500, 2700, 900]
CARRIERS = ["中通", "圆通", "韵达", "申通", "极兔", "顺丰", "京东", "邮政"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林")
GIVEN = list("芳敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华兰玉梅")


@dataclass
class Community:
    cid: str
    name: str
    households: int
    lat: float
    lon: float


def community_id(i: int) -> str:
    """A … Z, then AA, AB, …: the benchmarks grow a street office past 26 communities (bench/scale.py)."""
    return chr(ord("A") + i) if i < 26 else community_id(i // 26 - 1) + chr(ord("A") + i % 26)


def _communities(n: int) -> list[Community]:
    out = []
    for i in range(n):
        letter = community_id(i)
        ring, angle = 1 + i // 6, (i % 6) * np.pi / 3
        out.append(Community(letter, f"{letter}社区", COMMUNITY_SIZES[i % len(COMMUNITY_SIZES)],
                             round(CENTER[0] + 0.009 * ring * np.sin(angle), 6),
                             round(CENTER[1] + 0.010 * ring * np.cos(angle), 6)))
    return out


def _day_factor(start: dt.date, days: np.ndarray) -> np.ndarray:
    """Order volume multiplier per day: weekends, 618, 双11, 双12, slow growth."""
    dates = [start + dt.timedelta(days=int(d)) for d in days]
    f = np.array([1.15 if d.weekday() >= 5 else 1.0 for d in dates])
    for i, d in enumerate(dates):
        md = (d.month, d.day)
        if (6, 1) <= md <= (6, 18):
            f[i] *= 1.3 + (1.4 if md >= (6, 16) else 0)
        if (11, 1) <= md <= (11, 11):
            f[i] *= 1.4 + (2.2 if md >= (11, 10) else 0)
        if md == (12, 12):
            f[i] *= 1.8
    return f * (1 + 0.3 * days / 365)


def _times(rng, start: dt.date, day_index: np.ndarray, hour_weights: np.ndarray) -> np.ndarray:
    hours = rng.choice(24, size=day_index.size, p=hour_weights / hour_weights.sum())
    seconds = rng.integers(0, 3600, size=day_index.size)
    base = np.datetime64(start, "s")
    return base + (day_index.astype("int64") * 86400 + hours * 3600 + seconds).astype("timedelta64[s]")


def _hours(*peaks: tuple[int, float], floor: float = 0.2, night: float = 0.02) -> np.ndarray:
    w = np.full(24, floor)
    w[:7] = night
    for h, weight in peaks:
        w[h] += weight
    return w


def _person_frame(rng, n: int, prefix: str) -> pl.DataFrame:
    names = [rng.choice(SURNAMES) + "".join(rng.choice(GIVEN, size=rng.integers(1, 3))) for _ in range(n)]
    phones = [f"1{rng.choice([3, 5, 8])}{rng.integers(0, 10)}{rng.integers(10000000, 99999999)}" for _ in range(n)]
    return pl.DataFrame({"key": [f"{prefix}{i:04d}" for i in range(n)], "name": names, "phone": phones})


def plain_write(path: Path, data: bytes, kind: str) -> Path:
    """Without the command line's guard (pipelines/cli/common.py Outputs): tests and scripts that name
    their own folder. Whole or not at all, as the guard writes."""
    import os
    import tempfile
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")   # owner-only
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return path


class DemoWriter:
    def __init__(self, out_dir: Path, communities: list[Community], days: int, seed: int, write=plain_write,
                 start: dt.date | None = None, keep_cells: bool = False):
        self.start = start or first_day(last_sunday_before(today()), days // 7)
        self.out = out_dir
        self.write = write
        self.cs = communities
        self.days = days
        self.rng = np.random.default_rng(seed)
        self.files: list[tuple[str, Path]] = []
        # each CSV's cells as the importer reads them (pipelines/demo/tables.py), by the path written
        self.keep_cells = keep_cells
        self.cells: dict[Path, tuple] = {}     # empty unless kept: the street's cells would take ~0.5 GB
        self.sellers: dict[str, pl.DataFrame] = {}
        self.buildings: dict[str, list[str]] = {}

    # --- file formats ---------------------------------------------------------------------
    def _csv(self, kind: str, name: str, frame: pl.DataFrame, encoding: str, title: str | None = None) -> None:
        text = frame.write_csv(datetime_format="%Y-%m-%d %H:%M:%S")
        if title:
            text = title + "\n" + text
        data = ("\ufeff" + text).encode("utf-8") if encoding == "utf-8-sig" else text.encode(encoding)
        path = self.write(self.out / name, data, "csv")
        self.files.append((kind, path))
        if self.keep_cells:
            self.cells[path] = (name, kind, csv_cells(frame), 2 if title else 1, encoding,
                                hashlib.sha256(data).hexdigest())

    def _xlsx(self, kind: str, name: str, frame: pl.DataFrame, title: str | None = None) -> None:
        rows = itertools.chain([[title]] if title else [], [frame.columns], frame.iter_rows())
        self.files.append((kind, self.write(self.out / name, workbook(rows), "xlsx")))

    # --- reference feeds ------------------------------------------------------------------
    def references(self) -> None:
        rng = self.rng
        self._xlsx("communities", "社区基本信息.xlsx", pl.DataFrame({
            "社区编号": [c.cid for c in self.cs], "社区名称": [c.name for c in self.cs],
            "街道": [STREET] * len(self.cs), "户数": [c.households for c in self.cs],
            "纬度": [c.lat for c in self.cs], "经度": [c.lon for c in self.cs]}), title=f"{STREET}社区基本信息")
        b_rows, p_rows, s_rows = [], [], []
        for c in self.cs:
            n_b = max(6, c.households // 150)
            cols = int(np.ceil(np.sqrt(n_b)))
            ids = [f"{i + 1}栋" for i in range(n_b)]
            self.buildings[c.cid] = ids
            for i, bid in enumerate(ids):
                b_rows.append((bid, c.cid, f"{c.name}{bid}", c.households // n_b,
                               round(c.lat + 0.0006 * (i // cols - cols / 2), 6),
                               round(c.lon + 0.0007 * (i % cols - cols / 2), 6)))
            scale = c.households / 3000
            p_rows += [
                (f"{c.cid}-P1", c.cid, "东门快递驿站", "驿站", int(700 * scale), round(c.lat + 0.0002, 6), round(c.lon + 0.0030, 6)),
                (f"{c.cid}-P2", c.cid, "智能快递柜", "快递柜", int(240 * scale), round(c.lat - 0.0015, 6), round(c.lon - 0.0010, 6)),
                (f"{c.cid}-P3", c.cid, "大门口集中代收点", "代收点", int(1100 * scale), round(c.lat - 0.0030, 6), round(c.lon + 0.0002, 6)),
            ]
            n_s = max(12, c.households // 50)
            kinds = rng.choice(["group_buy", "livestream", "coop", "shop"], size=n_s, p=[0.42, 0.25, 0.05, 0.28])
            kinds[0] = "coop"
            started = [self.start - dt.timedelta(days=int(rng.integers(30, 700))) if rng.random() < 0.7
                       else self.start + dt.timedelta(days=int(rng.integers(0, max(1, self.days - 30)))) for _ in range(n_s)]
            sellers = pl.DataFrame({"seller_id": [f"{c.cid}-S{i + 1:03d}" for i in range(n_s)], "community_id": c.cid,
                                    "building_id": [str(rng.choice(ids)) for _ in range(n_s)],
                                    "kind": kinds.tolist(), "started_on": started})
            self.sellers[c.cid] = sellers
            s_rows.append(sellers)
        self._csv("buildings", "楼栋信息.csv", pl.DataFrame(b_rows, schema=["楼栋编号", "社区编号", "楼栋名称", "户数", "纬度", "经度"],
                                                          orient="row"), "utf-8-sig")
        self._xlsx("points", "快递代收点.xlsx", pl.DataFrame(p_rows, schema=["代收点编号", "社区编号", "名称", "类型", "容量", "纬度", "经度"],
                                                          orient="row"), title="快递代收点台账")
        self._csv("sellers", "sellers.csv", pl.concat(s_rows), "utf-8")

    # --- orders ---------------------------------------------------------------------------
    def orders(self) -> None:
        rng, days = self.rng, np.arange(self.days)
        factor = _day_factor(self.start, days)
        channels = ["团购", "直播", "合作社", "本地平台", "其他"]
        kind_for = {"团购": "group_buy", "直播": "livestream", "合作社": "coop", "本地平台": "shop", "其他": "shop"}
        hours = {"团购": _hours((8, 1.0), (9, 1.2), (20, 1.4), (21, 1.6)),
                 "直播": _hours((19, 1.5), (20, 2.0), (21, 2.4), (22, 1.8), (23, 0.8), night=0.1),
                 "合作社": _hours((10, 1.0), (15, 0.8)), "本地平台": _hours((11, 1.0), (18, 1.0)),
                 "其他": _hours((12, 0.5))}
        for c in self.cs:
            per_day = rng.poisson(c.households * 0.1 * factor)
            day_idx = np.repeat(days, per_day)
            n = day_idx.size
            share_live = 0.25 + 0.10 * day_idx / max(1, self.days)
            u = rng.random(n)
            # channels, sellers and statuses as codes, turned into text by polars at the end (a Python
            # string per cell cost most of the writing)
            ch = np.select([u < share_live, u < share_live + 0.45, u < share_live + 0.57, u < share_live + 0.68],
                           [1, 0, 2, 3], 4)
            ts = np.empty(n, dtype="datetime64[s]")
            sellers = np.empty(n, dtype=np.int64)
            amount = np.empty(n)
            table = self.sellers[c.cid].with_row_index("_i")
            for k, name in enumerate(channels):
                m = ch == k
                if not m.any():
                    continue
                ts[m] = _times(rng, self.start, day_idx[m], hours[name])
                pool = table.filter(pl.col("kind") == kind_for[name])
                ids = pool["_i"].to_numpy().astype(np.int64)
                start_day = np.array([(d - self.start).days for d in pool["started_on"]])
                weights = 1.0 / np.arange(1, ids.size + 1) ** 0.8
                pick = rng.choice(ids.size, size=int(m.sum()), p=weights / weights.sum())
                # a seller sells only from the day it started; earlier picks go to the first seller
                pick = np.where(start_day[pick] <= day_idx[m], pick, 0)
                sellers[m] = ids[pick]
                mean = {"团购": 3.3, "直播": 3.9, "合作社": 3.6, "本地平台": 3.5, "其他": 3.2}[name]
                amount[m] = np.round(rng.lognormal(mean, 0.6, size=int(m.sum())), 2)
            statuses = pl.Series(["已支付", "已退款", "已取消"])
            status = rng.choice(statuses.len(), size=n, p=[0.92, 0.05, 0.03])   # the draw of rng.choice(statuses)
            order = np.argsort(ts, kind="stable")
            frame = pl.DataFrame({
                "订单号": pl.select(pl.lit(c.cid) + pl.int_range(n).cast(pl.Utf8).str.zfill(7)).to_series(),
                "社区编号": c.cid,
                "团长编号": table["seller_id"].gather(sellers[order]), "渠道": pl.Series(channels).gather(ch[order]),
                "下单时间": ts[order].astype("datetime64[us]"), "实付金额": amount[order],
                "件数": rng.integers(1, 6, size=n), "状态": statuses.gather(status)})
            frame = frame.with_columns(pl.col("下单时间").dt.strftime("%Y/%-m/%-d %H:%M"))
            self._csv("orders", f"{c.name}_订单导出.csv", frame, "gb18030", title=f"{c.name}团购与直播订单导出")

    # --- parcels --------------------------------------------------------------------------
    def parcels(self) -> None:
        rng, days = self.rng, np.arange(self.days)
        factor = np.roll(_day_factor(self.start, days), 3)   # parcels arrive a few days after the orders
        gate_day = (gate_point_opens(self.start) - self.start).days
        end = np.datetime64(self.start, "s") + np.timedelta64(self.days * 86400, "s")
        for c in self.cs:
            per_day = rng.poisson(c.households * 0.36 * factor)
            day_idx = np.repeat(days, per_day)
            n = day_idx.size
            arrived = _times(rng, self.start, day_idx, _hours((9, 1.0), (10, 1.6), (14, 1.2), (15, 1.4), floor=0.5, night=0.0))
            after_gate = day_idx >= gate_day
            u = rng.random(n)
            point = np.where(after_gate, np.where(u < 0.55, 2, np.where(u < 0.85, 0, 1)),   # P1, P2, P3 as 0, 1, 2
                             np.where(u < 0.72, 0, 1))
            dwell_h = rng.lognormal(np.log(np.where(after_gate, 5.0, 9.0)), 1.05, size=n)
            picked = arrived + (dwell_h * 3600).astype("timedelta64[s]")
            hour = (picked.astype("datetime64[h]") - picked.astype("datetime64[D]")).astype(int)
            # nobody collects between 22:00 and 07:00: those pickups move to the next morning
            late = (hour >= 22) | (hour < 7)
            next_morning = (picked - np.timedelta64(7, "h")).astype("datetime64[D]") + np.timedelta64(1, "D") + \
                np.timedelta64(7, "h")
            picked = np.where(late, next_morning.astype("datetime64[s]") +
                              rng.integers(0, 7200, size=n).astype("timedelta64[s]"), picked)
            order = np.argsort(arrived, kind="stable")
            carrier = rng.integers(0, len(CARRIERS), size=n)   # the draw rng.choice(CARRIERS, size=n) makes
            # built column by column in polars: a Python string per cell cost most of the demo's writing
            seconds = pl.Datetime("us")
            frame = pl.DataFrame({
                "parcel_id": pl.int_range(n, eager=True).cast(pl.Utf8).str.zfill(8),
                "point": pl.Series(point[order], dtype=pl.Int64), "carrier": pl.Series(carrier, dtype=pl.Int64),
                "arrived_at": pl.Series(arrived[order].astype("datetime64[us]"), dtype=seconds),
                "picked_up_at": pl.Series(picked[order].astype("datetime64[us]"), dtype=seconds)})
            frame = frame.select(
                (pl.lit(f"YT{c.cid}") + pl.col("parcel_id")).alias("parcel_id"),
                pl.lit(c.cid).alias("community_id"),
                pl.col("point").replace_strict([0, 1, 2], [f"{c.cid}-P1", f"{c.cid}-P2", f"{c.cid}-P3"],
                                               return_dtype=pl.Utf8).alias("point_id"),
                pl.col("carrier").replace_strict(list(range(len(CARRIERS))), CARRIERS, return_dtype=pl.Utf8),
                pl.col("arrived_at").dt.strftime("%Y-%m-%d %H:%M:%S"),
                # a parcel picked up after the data's end is still in stock on its last day
                pl.when(pl.col("picked_up_at") < pl.lit(end.astype("datetime64[us]").item(), dtype=seconds))
                .then(pl.col("picked_up_at").dt.strftime("%Y-%m-%d %H:%M:%S")).otherwise(pl.lit("")).alias("picked_up_at"))
            self._csv("parcels", f"{c.name}_驿站出入库.csv", frame, "utf-8")

    # --- complaints -----------------------------------------------------------------------
    def complaints(self) -> None:
        rng = self.rng
        rule_day, gate_day = (rule_adopted(self.start) - self.start).days, (gate_point_opens(self.start) - self.start).days
        for c in self.cs:
            rows = []
            scale = c.households / 3000
            live_buildings = self.sellers[c.cid].filter(pl.col("kind") == "livestream")["building_id"].to_list() or \
                self.buildings[c.cid][:2]
            for d in range(self.days):
                day = self.start + dt.timedelta(days=d)
                before_rule = d < rule_day
                for _ in range(rng.poisson((0.55 if before_rule else 0.22) * scale)):
                    late = rng.random() < (0.7 if before_rule else 0.2)
                    hour = int(rng.choice([20, 21, 22, 23, 0, 1])) if late else int(rng.integers(9, 20))
                    occurred = dt.datetime.combine(day, dt.time(hour, int(rng.integers(0, 60))))
                    if hour < 9:
                        occurred += dt.timedelta(days=1)
                    rows.append(self._complaint(occurred, "直播噪音", str(rng.choice(live_buildings))))
                for _ in range(rng.poisson((0.35 if d < gate_day else 0.05) * scale)):
                    occurred = dt.datetime.combine(day, dt.time(int(rng.integers(8, 21)), int(rng.integers(0, 60))))
                    rows.append(self._complaint(occurred, "快递堆放", str(rng.choice(self.buildings[c.cid]))))
                for _ in range(rng.poisson(0.12 * scale)):
                    occurred = dt.datetime.combine(day, dt.time(int(rng.integers(8, 21)), int(rng.integers(0, 60))))
                    rows.append(self._complaint(occurred, "其他", str(rng.choice(self.buildings[c.cid]))))
            end = dt.datetime.combine(self.start + dt.timedelta(days=self.days), dt.time())
            rows = [r for r in rows if r[1] < end]
            rows.sort(key=lambda r: r[1])
            frame = pl.DataFrame(
                [(f"{c.cid}-T{i + 1:05d}", c.cid, r[1], r[0], r[2], r[3], r[4], r[5] if r[5] and r[5] < end else None)
                 for i, r in enumerate(rows)],
                schema=["编号", "社区编号", "受理时间", "发生时间", "类型", "楼栋编号", "来源", "办结时间"], orient="row")
            self._xlsx("complaints", f"{c.name}投诉登记表.xlsx", frame, title=f"{c.name}居民投诉登记表")

    def _complaint(self, occurred: dt.datetime, category: str, building: str):
        rng = self.rng
        source = str(rng.choice(["微信群", "12345热线", "入户走访", "议事会"], p=[0.55, 0.25, 0.12, 0.08]))
        delay = dt.timedelta(minutes=int(rng.integers(2, 30))) if source == "微信群" else \
            dt.timedelta(hours=float(rng.uniform(8, 30)))
        received = occurred + delay
        resolved = received + dt.timedelta(hours=float(rng.lognormal(np.log(20), 0.9))) if rng.random() < 0.9 else None
        return occurred, received, category, building, source, resolved

    # --- the monthly noise-feedback round --------------------------------------------------
    def feedback(self, seed: int) -> None:
        """Each month on the 25th the group asks households in every building; after the 09:00–20:00 rule
        fewer hear late-night livestreams and fewer are dissatisfied, most near the livestream sellers."""
        rng = np.random.default_rng(seed + 1009)    # its own stream: the other files stay as they were
        end = self.start + dt.timedelta(days=self.days)
        days = [dt.date(y, m, 25) for y in range(self.start.year, end.year + 1) for m in range(1, 13)]
        days = [d for d in days if self.start <= d < end]
        comments = {"satisfied": ["", "现在晚上安静多了", "直播时间规定得好"], "neutral": ["", "偶尔还有声音"],
                    "dissatisfied": ["晚上十点后还在直播", "楼下直播声音太大", "周末夜里吵", ""]}
        for c in self.cs:
            live = set(self.sellers[c.cid].filter(pl.col("kind") == "livestream")["building_id"].to_list())
            rows = []
            for day in days:
                after = day >= rule_adopted(self.start)
                for b in self.buildings[c.cid]:
                    near = b in live
                    for _ in range(int(rng.integers(2, 5))):
                        late_p = (0.25 if near else 0.08) if after else (0.75 if near else 0.35)
                        heard = bool(rng.random() < late_p)
                        bad_p = (0.55 if heard else 0.08) if after else (0.65 if heard else 0.15)
                        rating = "dissatisfied" if rng.random() < bad_p else str(rng.choice(["satisfied", "neutral"],
                                                                                             p=[0.7, 0.3]))
                        asked = rng.random() < 0.9
                        rows.append((day, b, rating, ("是" if heard else "否") if asked else None,
                                     str(rng.choice(comments[rating]))))
            words = {"satisfied": "满意", "neutral": "一般", "dissatisfied": "不满意"}
            frame = pl.DataFrame(
                [(f"{c.cid}-F{i + 1:05d}", c.cid, f"{d.year}年{d.month}月{d.day}日", b, words[r], late, note or None)
                 for i, (d, b, r, late, note) in enumerate(rows)],
                schema=["编号", "社区编号", "回访日期", "楼栋编号", "评价", "夜间是否听到直播噪音", "意见"], orient="row")
            self._csv("feedback", f"{c.name}噪音回访.csv", frame, "utf-8-sig", title=f"{c.name}每月噪音反馈回访表")

    # --- training and jobs ----------------------------------------------------------------
    def training_and_jobs(self) -> None:
        rng = self.rng
        t_frames, j_frames = [], []
        for c in self.cs:
            people = _person_frame(rng, max(120, c.households // 12), f"{c.cid}R")
            ages = rng.choice(["<30", "30-44", "45-59", "60-69", "70+"], size=people.height, p=[0.15, 0.3, 0.2, 0.2, 0.15])
            people = people.with_columns(pl.Series("age", ages))
            elderly = people.filter(pl.col("age").is_in(["60-69", "70+"]))
            working = people.filter(~pl.col("age").is_in(["60-69", "70+"]))
            rows, jobs = [], []
            for week in range(self.days // 7):
                monday = self.start + dt.timedelta(weeks=week)
                progress = week / max(1, self.days // 7)
                if week >= 8:   # 银发触网 every Wednesday from March, classes growing
                    size = min(elderly.height, int(6 + 20 * progress + rng.integers(0, 4)))
                    rows += self._session(f"{c.cid}-SD{week:03d}", "银发触网", monday + dt.timedelta(days=2),
                                          elderly.sample(size, seed=int(rng.integers(1e9))), 0.88)
                if week % 4 == 1:
                    rows += self._session(f"{c.cid}-FN{week:03d}", "理财", monday + dt.timedelta(days=5),
                                          people.sample(min(people.height, 15), seed=int(rng.integers(1e9))), 0.75)
                if week % 12 == 5:
                    rows += self._session(f"{c.cid}-LG{week:03d}", "法律讲座", monday + dt.timedelta(days=4),
                                          people.sample(min(people.height, 25), seed=int(rng.integers(1e9))), 0.7)
            for k, first_week in enumerate(range(9, self.days // 7 - 6, 11)):   # 电商实战 cohorts of 6 sessions
                cohort = working.sample(min(working.height, 18), seed=int(rng.integers(1e9)))
                for s in range(6):
                    day = self.start + dt.timedelta(weeks=first_week + s, days=1)
                    rows += self._session(f"{c.cid}-EC{k}{s}", "电商实战", day, cohort, 0.85)
                finish = self.start + dt.timedelta(weeks=first_week + 6)
                for person in cohort.sample(int(cohort.height * rng.uniform(0.3, 0.5)), seed=int(rng.integers(1e9))).iter_rows(named=True):
                    jobs.append(self._job(c, person, finish + dt.timedelta(days=int(rng.integers(7, 42))), True))
            for _ in range(int(self.days / 365 * 30 * c.households / 3000)):
                person = working.row(int(rng.integers(0, working.height)), named=True)
                jobs.append(self._job(c, person, self.start + dt.timedelta(days=int(rng.integers(0, self.days))), False))
            t_frames.append(pl.DataFrame(rows, schema=["场次编号", "社区编号", "课程类型", "上课日期", "姓名", "手机号",
                                                       "年龄段", "是否签到"], orient="row"))
            end = self.start + dt.timedelta(days=self.days)
            jobs = [j for j in jobs if j[6] < end]
            j_frames.append(pl.DataFrame([(f"{c.cid}-J{i + 1:04d}", *j[:7], j[7] if j[7] and j[7] < end else None, *j[8:])
                                          for i, j in enumerate(sorted(jobs, key=lambda j: j[6]))],
                                         schema=["就业编号", "社区编号", "姓名", "手机号", "用工单位类型", "岗位", "用工形式",
                                                 "入职日期", "离职日期", "月收入", "是否经培训"], orient="row"))
        training = pl.concat(t_frames).with_columns(pl.col("上课日期").map_elements(
            lambda d: f"{d.year}年{d.month}月{d.day}日", return_dtype=pl.Utf8))
        self._xlsx("training", "培训签到表.xlsx", training, title="社区培训签到汇总")
        # how="vertical_relaxed": a community whose placements have all not ended yet has an all-empty 离职日期
        # column (type Null), which a plain concat refused beside another community's dates
        self._csv("jobs", "就业安置台账.csv", pl.concat(j_frames, how="vertical_relaxed").with_columns(
            pl.col("入职日期").cast(pl.Utf8), pl.col("离职日期").cast(pl.Utf8)), "gb18030", title="灵活就业安置台账")

    def _session(self, sid, course, day, people: pl.DataFrame, rate: float) -> list[tuple]:
        # the sign-in sheet names a community by its id; people come with name and phone, no id
        cid = sid.split("-")[0]
        return [(sid, cid, course, day, p["name"], p["phone"], p["age"], "是" if self.rng.random() < rate else "否")
                for p in people.iter_rows(named=True)]

    def _job(self, c: Community, person: dict, start: dt.date, via_training: bool) -> tuple:
        rng = self.rng
        role, employer = (("主播", "商户") if via_training and rng.random() < 0.4 else
                          tuple(rng.choice([("打包分拣", "合作社"), ("客服", "平台"), ("配送", "快递"), ("打包分拣", "商户")])))
        ended = start + dt.timedelta(days=int(rng.integers(30, 300))) if rng.random() < 0.35 else None
        income = int(rng.normal(3200 if via_training else 2600, 700)) // 100 * 100
        return (c.cid, person["name"], person["phone"], employer, role,
                str(rng.choice(["灵活就业", "兼职", "全职"], p=[0.55, 0.3, 0.15])), start, ended, max(800, income),
                "是" if via_training else "否")


def write_demo_files(out_dir: Path, communities: int, weeks: int, seed: int,
                     write=plain_write, end: dt.date | None = None, cells: dict | None = None) -> list[tuple[str, Path]]:
    """`end`: the data's last day (a Sunday); by default the last Sunday before today. `cells`, when
    given, receives each CSV's cells by its path (DemoWriter.cells), for importing without reading back."""
    out_dir.mkdir(parents=True, exist_ok=True)
    end = end or last_sunday_before(today())
    w = DemoWriter(out_dir, _communities(communities), weeks * 7, seed, write, start=first_day(end, weeks),
                   keep_cells=cells is not None)
    w.references()
    w.orders()
    w.parcels()
    w.complaints()
    w.training_and_jobs()
    w.feedback(seed)
    coop_books.write(w)   # community A's 社区手工坊 (pipelines/demo/coop.py)
    if cells is not None:
        cells.update(w.cells)
    return w.files


# linli_meta: the last import id of the demo's own imports. Imports after it (or in a store the demo never
# marked) are someone's data, and the demo asks before it replaces them.
DEMO_MARK = "demo_imports_upto"


def run_demo(db_path: Path, communities: int = 4, weeks: int = 52, seed: int = 7, out_dir: str | None = None,
             say=print, write=plain_write, end: dt.date | None = None) -> None:
    """`write(path, data, kind)` puts each demo file in place: the command line passes its guard, which
    refuses Linli's own files and files of another kind. The files are written before the store is
    touched, so a refused file costs nothing imported. `end`: the data's last day, by default the last
    Sunday before today, so that the demo's newest week is last week whenever it is run."""
    from pipelines.build.runner import build

    t0 = time.perf_counter()
    db_path = Path(db_path)
    out = Path(out_dir) if out_dir else db_path.parent / "demo"
    end = end or last_sunday_before(today())
    start = first_day(end, weeks)
    cells: dict[Path, tuple] = {}
    files = write_demo_files(out, communities, weeks, seed, write, end=end, cells=cells)
    say(f"演示文件已写入 {out}（{len(files)} 个，用时 {time.perf_counter() - t0:.1f} 秒）")
    if _start_afresh(db_path):
        say("已保留数据库里的整改事项、协商议题、规则、账号和操作记录；导入的数据重新生成。")
    for kind, path in files:
        report = _import(db_path, kind, path, cells.pop(path, None))
        say("  " + report.summary("zh"))
    _mark_demo_imports(db_path)
    _window_rules(db_path, communities, start)
    coop_books.adopt_splits(db_path, start)
    _governance_stories(db_path, communities, start, weeks)
    result = build(db_path)
    say(f"构建完成：kpi {result.kpi_rows} 行（构建 {result.seconds:.1f} 秒），总用时 {time.perf_counter() - t0:.1f} 秒。")


def _import(db_path: Path, kind: str, path: Path, cells: tuple | None):
    """A CSV the demo just wrote is imported from the cells it holds (pipelines/demo/tables.py), unless a
    saved import profile would take the file's headers (then the importer reads the file, profile and all);
    an .xlsx is read back (small, and its cells come back typed by the workbook)."""
    from pipelines.ingest.profiles import candidates, choose
    from pipelines.ingest.store import import_file, import_table
    if cells is None or choose(candidates(db_path, kind), list(cells[2].columns)) is not None:
        return import_file(db_path, kind, path)
    return import_table(db_path, table_in_memory(*cells))


def _window_rules(db_path: Path, communities: int, start: dt.date) -> None:
    """The window rule with the day the group adopted it (charts mark it), for each demo community that
    has no rules yet: rules someone set are theirs and stay as they are."""
    from pipelines.database import connect
    from pipelines.ingest.store import set_rules
    from pipelines.records.rules import WINDOW_END, WINDOW_START
    con = connect(db_path)
    try:
        have = {r[0] for r in con.execute("SELECT community_id FROM community_rules").fetchall()}
    finally:
        con.close()
    for c in _communities(communities):
        if c.cid not in have:
            set_rules(db_path, c.cid, str(WINDOW_START), str(WINDOW_END), None, rule_adopted(start))


def _mark_demo_imports(db_path: Path) -> None:
    from pipelines.database import connect
    con = connect(db_path)
    try:
        con.execute("INSERT OR REPLACE INTO linli_meta SELECT ?, CAST(coalesce(max(import_id), 0) AS VARCHAR) "
                    "FROM imports", [DEMO_MARK])
    finally:
        con.close()


def foreign_imports(db_path: Path) -> tuple[int, str | None]:
    """How many applied imports are not the demo's own, and one of their file names (nothing is created)."""
    from pipelines.database import connect, has_table
    db_path = Path(db_path)
    if not db_path.exists():
        return 0, None
    con = connect(db_path, read_only=True)
    try:
        if not has_table(con, "imports"):
            return 0, None
        mark = None
        if has_table(con, "linli_meta"):
            row = con.execute("SELECT value FROM linli_meta WHERE name = ?", [DEMO_MARK]).fetchone()
            mark = int(row[0]) if row else None
        count, example = con.execute("""SELECT count(*), min(file_name) FROM imports
                                        WHERE status = 'applied' AND import_id > ?""", [mark or 0]).fetchone()
        return int(count), example
    finally:
        con.close()


def _start_afresh(db_path: Path) -> bool:
    """The imported data goes; what people recorded (records/kept.py KEPT_TABLES) stays (pipelines/build/afresh.py)."""
    from pipelines.build.afresh import start_afresh
    return start_afresh(db_path)


def _governance_stories(db_path: Path, communities: int, start: dt.date, weeks: int) -> None:
    """The consultations behind the rule and the gate point, and action items in every state."""
    from pipelines.demo.stories import record_stories
    record_stories(db_path, [c.cid for c in _communities(communities)], start + dt.timedelta(weeks=weeks), start)
