"""The demo's governance records: the two consultations the demo's numbers tell (SPEC §1) and action
items in every state, recorded through the same functions the pages and `linli cases` use.

Deterministic: every record carries the day it happened in the story (not the time the demo ran),
and a community that already holds the demo's records (kept over from an earlier `linli demo`,
see pipelines/build/afresh.py) is left as it is rather than given a second copy.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.database import has_table, writing
from pipelines.demo.days import gate_point_opens, rule_adopted
from pipelines.records import actions, cases

DEMO_BY = "演示数据"     # who recorded them, as their history and the audit trail show it


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def _noise_case(con, cid: str, live_building: str, start: dt.date) -> int:
    def d(days: int) -> dt.date:      # the story's days after the data's first Monday
        return start + dt.timedelta(days=days)
    agreed = rule_adopted(start)
    case = cases.add_case(con, cid, "夜间直播噪音扰民", on=d(56), user=DEMO_BY, at=_at(d(56)))
    cases.set_step(con, case, "invite", on=d(63), user=DEMO_BY, at=_at(d(63)),
                     note=f"{live_building}等楼栋居民在微信群和议事会上反映晚上十点后仍有直播声音")
    for name, role in (("受影响楼栋居民代表", "居民"), ("直播带货经营者", "电商经营者"), ("社区社工", "社工"),
                       ("物业服务中心", "物业")):
        cases.add_party(con, case, name, role, on=d(63), user=DEMO_BY, at=_at(d(63)))
    cases.set_step(con, case, "meet", on=d(86), user=DEMO_BY, at=_at(d(86)))
    cases.add_meeting(con, case, d(86), "居民代表说明夜间噪音影响老人和学生休息；经营者说明晚间是销售高峰。"
                        "讨论后各方同意直播限定在 09:00–20:00，超时由楼栋长先提醒，再次超时在群里通报。",
                        "居民代表 4 人、经营者 6 人、社工 2 人、物业 1 人", user=DEMO_BY, at=_at(d(86), 20))
    cases.agree(con, case, "直播只在 09:00–20:00 进行；超时先由楼栋长提醒，再次超时在居民群通报", agreed,
                  user=DEMO_BY, at=_at(agreed))
    # the residents' own measure beside the complaints: the monthly round asks whether they still hear it
    for metric in ("complaints.noise_outside_hours", "complaints.noise", "feedback.late_noise_share"):
        cases.link_metric(con, case, metric, user=DEMO_BY, at=_at(agreed))
    cases.set_step(con, case, "supervise", on=d(105), user=DEMO_BY, at=_at(d(105)))
    cases.add_note(con, case, "每月 25 日回访各楼栋，记录夜间是否还听到直播声", on=d(109), user=DEMO_BY,
                     at=_at(d(109)))
    return case


def _parcel_case(con, cid: str, start: dt.date) -> int:
    def d(days: int) -> dt.date:
        return start + dt.timedelta(days=days)
    opens = gate_point_opens(start)
    case = cases.add_case(con, cid, "快递在单元门口堆放", on=d(126), user=DEMO_BY, at=_at(d(126)))
    cases.set_step(con, case, "invite", on=d(133), user=DEMO_BY, at=_at(d(133)))
    for name, role in (("东门快递驿站", "代收点"), ("各快递公司站点", "快递"), ("物业服务中心", "物业"),
                       ("楼栋长代表", "居民")):
        cases.add_party(con, case, name, role, on=d(133), user=DEMO_BY, at=_at(d(133)))
    cases.set_step(con, case, "meet", on=d(155), user=DEMO_BY, at=_at(d(155)))
    cases.add_meeting(con, case, d(155), "楼栋长反映快递员把包裹放在单元门口，雨天淋湿、堵塞通道；驿站容量不够。"
                        "物业同意在大门口腾出场地设集中代收点，快递公司统一投放。", "驿站、快递站点 5 家、物业、楼栋长 6 人",
                        user=DEMO_BY, at=_at(d(155), 19))
    cases.agree(con, case, f"在社区大门口设集中代收点，各快递统一投放，{opens.month}月{opens.day}日启用", opens,
                  user=DEMO_BY, at=_at(opens))
    for metric in ("complaints.parcel_pileup", "parcels.median_dwell_hours"):
        cases.link_metric(con, case, metric, user=DEMO_BY, at=_at(opens))
    cases.set_step(con, case, "supervise", on=d(189), user=DEMO_BY, at=_at(d(189)))
    return case


def _open_case(con, cid: str, end: dt.date) -> None:
    """A case still under way near the end of the data: it shows the earlier steps."""
    start = end - dt.timedelta(days=24)
    case = cases.add_case(con, cid, "老年人不会用手机取件、网购", on=start, user=DEMO_BY, at=_at(start))
    cases.set_step(con, case, "invite", on=start + dt.timedelta(days=7), user=DEMO_BY,
                     at=_at(start + dt.timedelta(days=7)))
    cases.add_party(con, case, "银发触网学员代表", "居民", on=start + dt.timedelta(days=7), user=DEMO_BY,
                      at=_at(start + dt.timedelta(days=7)))
    cases.add_party(con, case, "社区社工", "社工", on=start + dt.timedelta(days=7), user=DEMO_BY,
                      at=_at(start + dt.timedelta(days=7)))
    cases.link_metric(con, case, "training.elderly_participants", user=DEMO_BY, at=_at(start + dt.timedelta(days=7)))


def _actions(con, cid: str, noise_case: int, parcel_case: int, live_building: str, start: dt.date,
             end: dt.date) -> None:
    def d(days: int) -> dt.date:
        return start + dt.timedelta(days=days)
    add = actions.add_action
    done = add(con, cid, f"{live_building}楼下直播超时，楼栋长上门提醒", metric="complaints.noise_outside_hours",
               subject=live_building, owner="楼栋长", due_on=d(114), source="case", case_id=noise_case,
               user=DEMO_BY, at=_at(d(100)))
    actions.update_action(con, done, status="done", user=DEMO_BY, at=_at(d(112)))
    shelter = add(con, cid, "大门口代收点加装雨棚和货架", metric="complaints.parcel_pileup", subject=f"{cid}-P3",
                  owner="物业服务中心", due_on=d(221), source="case", case_id=parcel_case,
                  user=DEMO_BY, at=_at(d(184)))
    actions.update_action(con, shelter, status="in_progress", user=DEMO_BY, at=_at(d(195)))
    # in the week before the last complete one (the demo's last week is partial): the weekly check's
    # default week then shows them as last week's actions
    met = end - dt.timedelta(days=end.weekday() + 15)
    # due this week and next (the data ends last Sunday): open, not yet overdue; the third is overdue
    add(con, cid, "联系东门驿站高峰期加派人手，清理超时包裹", metric="parcels.overdue", subject=f"{cid}-P1",
        owner="驿站负责人", due_on=end + dt.timedelta(days=4), source="alert", user=DEMO_BY, at=_at(met, 16))
    add(con, cid, "快递柜满格时提醒快递员改投大门口代收点", metric="parcels.peak_occupancy_ratio", subject=f"{cid}-P2",
        owner="物业服务中心", due_on=end + dt.timedelta(days=11), user=DEMO_BY, at=_at(met, 16))
    late = add(con, cid, "银发触网课程加开周六班", metric="training.attendance_rate", owner="社工",
               due_on=met - dt.timedelta(days=3), user=DEMO_BY, at=_at(met - dt.timedelta(days=20)))
    actions.update_action(con, late, status="in_progress", user=DEMO_BY, at=_at(met - dt.timedelta(days=10)))


def _has_demo_records(con, cid: str) -> bool:
    if not has_table(con, cases.CASES):
        return False
    return bool(con.execute(f"SELECT count(*) FROM {cases.CASES} WHERE community_id = ? AND created_by = ?",
                            [cid, DEMO_BY]).fetchone()[0])


def _noisiest_building(con, cid: str) -> str:
    row = con.execute("""SELECT building_id FROM cur_complaints WHERE community_id = ? AND category = 'livestream_noise'
                         AND building_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""", [cid]).fetchall()
    return row[0][0] if row else "1栋"


def record_stories(db_path: str | Path, communities: list[str], end: dt.date, start: dt.date) -> int:
    """`end`: the first day after the demo's data, `start` its first Monday: the stories are dated from
    them (pipelines/demo/generate.py), so they move with the data. Returns how many communities got records (0 when
    every one had them already)."""
    added = 0
    with writing(db_path) as con:
        actions.ensure(con)
        cases.ensure(con)
        for cid in communities:
            if _has_demo_records(con, cid):
                continue
            building = _noisiest_building(con, cid)
            noise = _noise_case(con, cid, building, start)
            parcel = _parcel_case(con, cid, start)
            _open_case(con, cid, end)
            _actions(con, cid, noise, parcel, building, start, end)
            added += 1
    return added
