"""Differential test: the SQL kpi against a naive Python reading of SPEC §5, cell by cell,
on random data full of boundary times (midnights, full hours, 09:00/20:00, exactly 72 h)."""
from __future__ import annotations

import datetime as dt
import random
import statistics
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from pipelines.build.runner import build
from pipelines.records.coop_split import set_split
from tests.conftest import build_store

HOUR = dt.timedelta(hours=1)
START = dt.datetime(2025, 1, 20)
WINDOW = (dt.time(9), dt.time(20))
LIMIT_H = 72


def _time(rng: random.Random) -> dt.datetime:
    day = START + dt.timedelta(days=rng.randrange(70))
    return rng.choice([
        day,                                                      # midnight
        day + dt.timedelta(hours=rng.choice([9, 20, 8, 19])),     # window edges and full hours
        day + dt.timedelta(hours=8, minutes=59),
        day + dt.timedelta(minutes=rng.randrange(24 * 60)),
        day + dt.timedelta(seconds=rng.randrange(86400)),
    ])


def _fmt(t) -> str:
    return "" if t is None else t.strftime("%Y-%m-%d %H:%M:%S")


def _data(rng: random.Random) -> dict[str, str]:
    orders = ["order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status"]
    for i in range(150):
        orders.append(f"O{i},{rng.choice('AB')},S{rng.randrange(12)},group_buy,{_fmt(_time(rng))},"
                      f"{rng.randint(0, 300) / 4},{rng.choice(['paid', 'paid', 'refunded', 'cancelled'])}")
    parcels = ["parcel_id,community_id,point_id,arrived_at,picked_up_at"]
    for i in range(160):
        arrived = _time(rng)
        picked = rng.choice([None, arrived, arrived + dt.timedelta(hours=LIMIT_H), arrived + dt.timedelta(hours=73),
                             arrived + dt.timedelta(minutes=rng.randrange(6000))])
        parcels.append(f"K{i},A,{rng.choice(['P1', 'P2', 'P3'])},{_fmt(arrived)},{_fmt(picked)}")
    complaints = ["complaint_id,community_id,received_at,occurred_at,category,building_id,resolved_at"]
    for i in range(120):
        received = _time(rng)
        occurred = rng.choice([None, _time(rng)])
        resolved = rng.choice([None, received, received + dt.timedelta(hours=rng.randint(1, 300)),
                               dt.datetime.combine(received.date() + dt.timedelta(days=rng.randint(1, 9)), dt.time())])
        complaints.append(f"C{i},{rng.choice('AB')},{_fmt(received)},{_fmt(occurred)},"
                          f"{rng.choice(['livestream_noise', 'livestream_noise', 'parcel_pileup', 'other'])},"
                          f"{rng.choice(['', 'B1', 'B2', 'B3'])},{_fmt(resolved)}")
    training = ["session_id,community_id,course_type,session_date,participant_id,age_band,attended"]
    seen = set()
    for _ in range(120):
        sid, pid = f"T{rng.randrange(15)}", f"P{rng.randrange(20)}"
        if (sid, pid) in seen:
            continue
        seen.add((sid, pid))
        day = START + dt.timedelta(days=int(sid[1:]) * 4)
        training.append(f"{sid},{'A' if int(sid[1:]) % 2 else 'B'},silver_digital,{day.date()},{pid},"
                        f"{rng.choice(['', '60-69', '70+', '30-44'])},{rng.choice(['是', '否'])}")
    jobs = ["placement_id,community_id,person_id,started_on,ended_on,monthly_income_yuan,via_training"]
    for i in range(60):
        start = _time(rng).date()
        end = rng.choice(["", str(start), str(start + dt.timedelta(days=rng.randint(0, 60)))])
        jobs.append(f"J{i},{rng.choice('AB')},P{i},{start},{end},{rng.choice(['', rng.randint(1000, 6000)])},"
                    f"{rng.choice(['', '是', '否'])}")
    feedback = ["response_id,community_id,surveyed_on,building_id,rating,late_noise,comment"]
    for i in range(90):
        feedback.append(f"F{i},{rng.choice('AB')},{_time(rng).date()},{rng.choice(['', 'B1', 'B2'])},"
                        f"{rng.choice(['满意', '一般', '不满意', 'dissatisfied'])},{rng.choice(['', '是', '否'])},"
                        f"{rng.choice(['', '晚上十点还在直播', '还行'])}")
    coop = ["entry_id,community_id,booked_on,kind,amount_yuan,member_id,seller_id,purpose"]
    for i in range(90):
        kind = rng.choice(["sale", "sale", "sale", "cost", "cost", "fund_spend", "rent"])
        member = rng.choice(["", "M1", "M2", "M3", "M4"]) if kind == "sale" else ""
        coop.append(f"E{i},{rng.choice('AB')},{_time(rng).date()},{kind},{rng.randint(0, 40000) / 100},{member},"
                    f"{rng.choice(['S1', 'S2']) if kind == 'rent' else ''},{rng.choice(['', '雨棚', '书架'])}")
    return {
        "coop": "\n".join(coop) + "\n",
        "communities": "community_id,name,households\nA,A社区,1234\nB,B社区,\n",
        "buildings": "building_id,community_id\nB1,A\nB2,A\nB3,A\nB1,B\nB2,B\nB3,B\n",
        "feedback": "\n".join(feedback) + "\n",
        "points": "point_id,community_id,capacity\nP1,A,7\nP2,A,3\nP3,A,\n",
        "orders": "\n".join(orders) + "\n", "parcels": "\n".join(parcels) + "\n",
        "complaints": "\n".join(complaints) + "\n", "training": "\n".join(training) + "\n",
        "jobs": "\n".join(jobs) + "\n",
    }


def _periods(first: dt.datetime, last: dt.datetime, grain: str):
    if grain == "week":
        p = (first - dt.timedelta(days=first.weekday())).date()
        while p <= last.date():
            yield p, p + dt.timedelta(days=7)
            p += dt.timedelta(days=7)
    else:
        p = first.date().replace(day=1)
        while p <= last.date():
            nxt = (p.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            yield p, nxt
            p = nxt


def _median(values):
    return statistics.median(values) if values else None


def _rate(num, den):
    return num / den if den else None


FEN = Decimal("0.01")


def _split_on(adopted: list[tuple], community: str, day: dt.date) -> tuple[Decimal, Decimal, Decimal]:
    """SPEC §5: the split in force on `day` — the latest adoption on or before it (adopted: (community, from,
    members, coop, fund) in the order recorded), else members 70, cooperative 20, fund 10."""
    found = (Decimal(70), Decimal(20), Decimal(10))
    latest = None
    for c, since, m, co, f in adopted:
        if c == community and since <= day and (latest is None or since >= latest):
            latest, found = since, (Decimal(str(m)), Decimal(str(co)), Decimal(str(f)))
    return found


def _coop(rows: list[dict], start: dt.date, nxt: dt.date, split) -> dict:
    """The coop.* metrics of one period but the balance, in exact decimals (SPEC §5; shares to the fen)."""
    money = lambda kind: sum((Decimal(str(r["amount_yuan"])) for r in rows
                              if r["kind"] == kind and start <= r["booked_on"] < nxt), Decimal(0))
    sales, costs = money("sale"), money("cost")
    profit = sales - costs
    part = lambda pct: (profit * pct / 100).quantize(FEN, ROUND_HALF_UP) if profit > 0 else Decimal(0)
    members, fund = part(split[0]), part(split[2])
    return {"coop.sales_yuan": sales, "coop.costs_yuan": costs, "coop.profit_yuan": profit,
            "coop.members_share_yuan": members, "coop.fund_accrued_yuan": fund,
            "coop.coop_share_yuan": profit - members - fund, "coop.fund_spent_yuan": money("fund_spend"),
            "coop.active_members": len({r["member_id"] for r in rows if r["kind"] == "sale" and r["member_id"]
                                        and start <= r["booked_on"] < nxt}),
            "coop.rent_yuan": money("rent")}


def reference(rows: dict, households: dict, capacity: dict, adopted: list[tuple] = ()) -> dict:
    """kpi as SPEC §5 words it, one period at a time."""
    out = {}
    for c in sorted({r["community_id"] for feed in rows.values() for r in feed}):
        o = [r for r in rows["orders"] if r["community_id"] == c]
        p = [r for r in rows["parcels"] if r["community_id"] == c]
        q = [r for r in rows["complaints"] if r["community_id"] == c]
        t = [r for r in rows["training"] if r["community_id"] == c]
        j = [r for r in rows["jobs"] if r["community_id"] == c]
        f = [r for r in rows["feedback"] if r["community_id"] == c]
        books = [r for r in rows["coop"] if r["community_id"] == c]
        as_ts = lambda d: d if isinstance(d, dt.datetime) else dt.datetime.combine(d, dt.time())
        times = ([r["ordered_at"] for r in o] + [r["arrived_at"] for r in p] +
                 [r["picked_up_at"] for r in p if r["picked_up_at"]] + [r["received_at"] for r in q] +
                 [r["resolved_at"] for r in q if r["resolved_at"]] + [as_ts(r["session_date"]) for r in t] +
                 [as_ts(r["started_on"]) for r in j] + [as_ts(r["surveyed_on"]) for r in f] +
                 [as_ts(r["booked_on"]) for r in books])
        if not times:
            continue
        data_end = max(max(r["arrived_at"], r["picked_up_at"] or r["arrived_at"]) for r in p) if p else None
        first_order = {}
        for r in sorted(o, key=lambda r: r["ordered_at"]):
            if r["status"] != "cancelled":
                first_order.setdefault(r["seller_id"], r["ordered_at"])
        for grain in ("week", "month"):
            balance = Decimal(0)
            for start, nxt in _periods(min(times), max(times), grain):
                s, e = dt.datetime.combine(start, dt.time()), dt.datetime.combine(nxt, dt.time())
                within = lambda x: x is not None and s <= as_ts(x) < e
                v = {}
                po = [r for r in o if within(r["ordered_at"])]
                paid = [r for r in po if r["status"] == "paid"]
                refunded = [r for r in po if r["status"] == "refunded"]
                v["orders.count"] = len([r for r in po if r["status"] != "cancelled"])
                v["orders.gmv_yuan"] = sum(r["amount_yuan"] for r in paid)
                v["orders.refund_rate"] = _rate(len(refunded), len(paid) + len(refunded))
                v["orders.active_sellers"] = len({r["seller_id"] for r in po if r["status"] != "cancelled"})
                v["orders.new_sellers"] = len([x for x, f in first_order.items() if within(f)])
                arrived = [r for r in p if within(r["arrived_at"])]
                picked = [r for r in p if within(r["picked_up_at"])]
                dwell = lambda r: (r["picked_up_at"] - r["arrived_at"]).total_seconds() / 3600
                overdue = [r for r in arrived if (r["picked_up_at"] and dwell(r) > LIMIT_H) or
                           (not r["picked_up_at"] and data_end > r["arrived_at"] + dt.timedelta(hours=LIMIT_H))]
                v["parcels.arrived"] = len(arrived)
                v["parcels.picked_up"] = len(picked)
                v["parcels.median_dwell_hours"] = _median([dwell(r) for r in picked])
                v["parcels.overdue"] = len(overdue)
                v["parcels.overdue_rate"] = _rate(len(overdue), len(arrived))
                ratios = []
                hour = s
                while hour < e:
                    for point, cap in capacity.get(c, {}).items():
                        stock = sum(1 for r in p if r["point_id"] == point and r["arrived_at"] <= hour and
                                    (r["picked_up_at"] is None or r["picked_up_at"] > hour))
                        ratios.append(stock / cap)
                    hour += HOUR
                v["parcels.peak_occupancy_ratio"] = max(ratios) if ratios else None
                rq = [r for r in q if within(r["received_at"])]
                noise = [r for r in rq if r["category"] == "livestream_noise"]
                tod = lambda r: (r["occurred_at"] or r["received_at"]).time()
                v["complaints.count"] = len(rq)
                v["complaints.noise"] = len(noise)
                v["complaints.noise_outside_hours"] = len([r for r in noise if tod(r) < WINDOW[0] or tod(r) >= WINDOW[1]])
                v["complaints.noise_per_1k_households"] = (len(noise) * 1000 / households[c]) if households.get(c) else None
                v["complaints.parcel_pileup"] = len([r for r in rq if r["category"] == "parcel_pileup"])
                v["complaints.median_resolution_hours"] = _median(
                    [(r["resolved_at"] - r["received_at"]).total_seconds() / 3600 for r in q if within(r["resolved_at"])])
                v["complaints.open_at_end"] = len([r for r in q if r["received_at"] < e and
                                                   (r["resolved_at"] is None or r["resolved_at"] >= e)])
                per_building = {}
                for r in noise:
                    if r["building_id"]:
                        per_building[r["building_id"]] = per_building.get(r["building_id"], 0) + 1
                v["complaints.repeat_buildings"] = len([b for b, n in per_building.items() if n >= 2])
                pt = [r for r in t if within(r["session_date"])]
                went = [r for r in pt if r["attended"]]
                v["training.sessions"] = len({r["session_id"] for r in pt})
                v["training.registrations"] = len(pt)
                v["training.attended"] = len(went)
                v["training.attendance_rate"] = _rate(len(went), len(pt))
                v["training.participants"] = len({r["participant_id"] for r in went})
                v["training.elderly_participants"] = len({r["participant_id"] for r in went
                                                          if r["age_band"] in ("60-69", "70+")})
                started = [r for r in j if within(r["started_on"])]
                v["jobs.started"] = len(started)
                v["jobs.active_at_end"] = len([r for r in j if r["started_on"] < nxt and
                                               (r["ended_on"] is None or r["ended_on"] >= nxt)])
                v["jobs.via_training_share"] = _rate(len([r for r in started if r["via_training"]]), len(started))
                v["jobs.median_monthly_income_yuan"] = _median(
                    [r["monthly_income_yuan"] for r in started if r["monthly_income_yuan"] is not None])
                pf = [r for r in f if within(r["surveyed_on"])]
                asked = [r for r in pf if r["late_noise"] is not None]
                v["feedback.responses"] = len(pf)
                v["feedback.dissatisfied_share"] = _rate(len([r for r in pf if r["rating"] == "dissatisfied"]), len(pf))
                v["feedback.late_noise_share"] = _rate(len([r for r in asked if r["late_noise"]]), len(asked))
                v.update(_coop(books, start, nxt, _split_on(list(adopted), c, start)))
                balance += v["coop.fund_accrued_yuan"] - v["coop.fund_spent_yuan"]
                v["coop.fund_balance_yuan"] = balance
                for metric, value in v.items():
                    out[(c, grain, start, metric)] = value
    return out


def _rows(con, table: str) -> list[dict]:
    cur = con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_sql_kpi_equals_a_naive_reading_of_the_spec(tmp_path, seed):
    rng = random.Random(seed)
    db = build_store(tmp_path, _data(rng))
    # the cooperative of A changes its split twice in the period (SPEC §5: a period takes the one of its first day)
    adopted = [("A", (START + dt.timedelta(days=rng.randrange(70))).date(), *rng.choice(splits)) for splits in
               [[(60, 30, 10), (55.5, 34.5, 10)], [(80, 0, 20), (33.33, 33.33, 33.34)]]]
    for community, since, *parts in adopted:
        set_split(db, community, *parts, effective_from=since)
    build(db)
    con = duckdb.connect(str(db), read_only=True)
    rows = {k: _rows(con, f"cur_{k}") for k in ("orders", "parcels", "complaints", "training", "jobs", "feedback",
                                                "coop")}
    kpi = {(c, g, p, m): v for c, g, p, m, v in con.execute("SELECT * FROM kpi").fetchall()}
    con.close()
    expected = reference(rows, {"A": 1234}, {"A": {"P1": 7, "P2": 3}}, adopted)
    assert set(kpi) == set(expected)
    for key, want in expected.items():
        got = kpi[key]
        if want is None:
            assert got is None, key
        else:
            assert got == pytest.approx(float(want), rel=1e-9, abs=1e-9), key
