"""The metric registry: every fact about each `kpi` metric of SPEC §5, written once.

Key, unit, which direction is good, the mart column it comes from, and its Chinese and
English name and definition. `sql/marts/kpi.sql`'s metric list, the dashboard's catalogs,
glossary, tiles and the tests all read it; adding a metric to an existing mart means
adding the column to the mart and one `_m(...)` line here.

Definitions may name a community's rules as {window_start}, {window_end} and
{overdue_hours}; `definition()` fills them in with that community's rules (or the defaults).
"""
from __future__ import annotations

from dataclasses import dataclass

from pipelines.rule_defaults import DEFAULT_RULES

# How a value is shown: count, yuan, rate (0–1 shown as %), hours, per1k (per 1,000 households).
UNITS = ("count", "yuan", "rate", "hours", "per1k")


@dataclass(frozen=True)
class Metric:
    key: str
    unit: str
    good: int           # 1: up is good, -1: down is good, 0: neither
    mart: str           # the period mart holding it (one row per community × grain × period)
    column: str
    name_zh: str
    definition_zh: str
    name_en: str
    definition_en: str

    @property
    def is_share(self) -> bool:
        """A fraction of a whole, so within [0, 1]; peak occupancy is a rate that can pass 1."""
        return self.unit == "rate" and self.key != "parcels.peak_occupancy_ratio"

    @property
    def feed(self) -> str:
        return self.key.split(".", 1)[0]

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def definition(self, lang: str = "zh", rules: dict | None = None) -> str:
        """The definition in words, with the community's own rules where it names them."""
        text = self.definition_zh if lang == "zh" else self.definition_en
        r = {**DEFAULT_RULES, **{k: v for k, v in (rules or {}).items() if v is not None}}
        return text.format(window_start=_hhmm(r["window_start"]), window_end=_hhmm(r["window_end"]),
                           overdue_hours=f"{float(r['overdue_hours']):g}")


def _hhmm(value) -> str:
    return value if isinstance(value, str) else f"{value:%H:%M}"


REGISTRY: dict[str, Metric] = {}


def _m(key, unit, good, mart, column, name_zh, definition_zh, name_en, definition_en) -> None:
    assert unit in UNITS and key not in REGISTRY, key
    REGISTRY[key] = Metric(key, unit, good, mart, column, name_zh, definition_zh, name_en, definition_en)


_m('orders.count', 'count', 1, 'mart_orders_period', 'orders_count',
   '订单数', '本期下单且未取消的订单数（按下单时间归期）。',
   'Orders', 'Orders placed in the period that were not cancelled.')
_m('orders.gmv_yuan', 'yuan', 1, 'mart_orders_period', 'gmv_yuan',
   '成交额', '本期下单、状态为已支付的订单实付金额之和（元）。',
   'GMV', 'Sum of amount paid for orders placed in the period with status paid (yuan).')
_m('orders.refund_rate', 'rate', -1, 'mart_orders_period', 'refund_rate',
   '退款率', '本期下单的订单中，已退款 ÷（已支付 + 已退款）。',
   'Refund rate', 'Refunded ÷ (paid + refunded), orders placed in the period.')
_m('orders.active_sellers', 'count', 1, 'mart_orders_period', 'active_sellers',
   '活跃商户', '本期有未取消订单的不同商户（团长）数。',
   'Active sellers', 'Distinct sellers with a non-cancelled order in the period.')
_m('orders.new_sellers', 'count', 1, 'mart_orders_period', 'new_sellers',
   '新增商户', '首个未取消订单落在本期的商户数。',
   'New sellers', 'Sellers whose first non-cancelled order falls in the period.')
_m('parcels.arrived', 'count', 0, 'mart_parcels_period', 'arrived',
   '到件数', '入库时间在本期的包裹数。',
   'Parcels arrived', 'Parcels that arrived in the period.')
_m('parcels.picked_up', 'count', 0, 'mart_parcels_period', 'picked_up',
   '取件数', '取件时间在本期的包裹数。',
   'Parcels picked up', 'Parcels picked up in the period.')
_m('parcels.median_dwell_hours', 'hours', -1, 'mart_parcels_period', 'median_dwell_hours',
   '滞留时长中位数', '本期取件的包裹，从入库到取件所用小时数的中位数。',
   'Median dwell', 'Median hours from arrival to pickup, parcels picked up in the period.')
_m('parcels.overdue', 'count', -1, 'mart_parcels_period', 'overdue',
   '超时包裹', '本期入库、等待超过超时标准（{overdue_hours} 小时）的包裹：取件晚于标准，或至今未取且数据已超过入库后 {overdue_hours} 小时。',
   'Overdue parcels', 'Parcels that arrived in the period and waited longer than the limit ({overdue_hours} h): picked up later than that, or not picked up while the data runs past arrival + limit.')
_m('parcels.overdue_rate', 'rate', -1, 'mart_parcels_period', 'overdue_rate',
   '超时率', '超时包裹 ÷ 到件数。',
   'Overdue rate', 'Overdue parcels ÷ parcels arrived.')
_m('parcels.peak_occupancy_ratio', 'rate', -1, 'mart_parcels_period', 'peak_occupancy_ratio',
   '峰值占用率', '本期每个整点、每个代收点的在库包裹数 ÷ 容量，取最大值；超过 100% 即超容量。',
   'Peak occupancy', 'At every full hour, for every point: parcels in stock ÷ capacity; the maximum. Above 100% is over capacity.')
_m('complaints.count', 'count', -1, 'mart_complaints_period', 'complaints',
   '投诉总数', '受理时间在本期的投诉数。',
   'Complaints', 'Complaints received in the period.')
_m('complaints.noise', 'count', -1, 'mart_complaints_period', 'noise',
   '直播噪音投诉', '本期受理的“直播噪音”类投诉数。',
   'Livestream noise', 'Livestream noise complaints received in the period.')
_m('complaints.noise_outside_hours', 'count', -1, 'mart_complaints_period', 'noise_outside_hours',
   '时段外噪音投诉', '直播噪音投诉中，发生时间（未填则用受理时间）早于 {window_start} 或在 {window_end} 及以后的起数。',
   'Noise outside hours', 'Noise complaints whose time of occurrence (else receipt) is before {window_start} or at/after {window_end}.')
_m('complaints.noise_per_1k_households', 'per1k', -1, 'mart_complaints_period', 'noise_per_1k_households',
   '每千户噪音投诉', '直播噪音投诉 × 1000 ÷ 社区户数。',
   'Noise per 1,000 households', 'Noise complaints × 1000 ÷ households.')
_m('complaints.parcel_pileup', 'count', -1, 'mart_complaints_period', 'parcel_pileup',
   '快递堆放投诉', '本期受理的“快递堆放”类投诉数。',
   'Parcel pile-up', 'Parcel pile-up complaints received in the period.')
_m('complaints.median_resolution_hours', 'hours', -1, 'mart_complaints_period', 'median_resolution_hours',
   '办结时长中位数', '本期办结的投诉，从受理到办结所用小时数的中位数。',
   'Median resolution', 'Median hours from receipt to resolution, complaints resolved in the period.')
_m('complaints.open_at_end', 'count', -1, 'mart_complaints_period', 'open_at_end',
   '期末未办结', '期末前已受理、到期末仍未办结的投诉数。',
   'Open at period end', 'Complaints received by period end and not resolved by then.')
_m('complaints.repeat_buildings', 'count', -1, 'mart_complaints_period', 'repeat_buildings',
   '重复投诉楼栋', '本期收到两次及以上直播噪音投诉的楼栋数。',
   'Repeat buildings', 'Buildings with two or more livestream noise complaints in the period.')
_m('training.sessions', 'count', 1, 'mart_training_period', 'sessions',
   '培训场次', '上课日期在本期的不同场次数。',
   'Training sessions', 'Distinct sessions held in the period.')
_m('training.registrations', 'count', 1, 'mart_training_period', 'registrations',
   '报名人次', '本期场次的签到表行数（每人每场一行）。',
   'Registrations', 'Sign-in rows (one per person per session) in the period.')
_m('training.attended', 'count', 1, 'mart_training_period', 'attended',
   '出席人次', '报名人次中实际出席的。',
   'Attended', 'Registrations that attended.')
_m('training.attendance_rate', 'rate', 1, 'mart_training_period', 'attendance_rate',
   '出勤率', '出席人次 ÷ 报名人次。',
   'Attendance rate', 'Attended ÷ registrations.')
_m('training.participants', 'count', 1, 'mart_training_period', 'participants',
   '出席人数', '本期至少出席一次的不同居民数。',
   'Participants', 'Distinct residents who attended in the period.')
_m('training.elderly_participants', 'count', 1, 'mart_training_period', 'elderly_participants',
   '老年出席人数', '出席人数中年龄段为 60–69 或 70 岁以上的。',
   'Elderly participants', 'Participants aged 60–69 or 70+.')
_m('jobs.started', 'count', 1, 'mart_jobs_period', 'started',
   '新就业人数', '入职日期在本期的就业安置数。',
   'Jobs started', 'Placements that started in the period.')
_m('jobs.active_at_end', 'count', 1, 'mart_jobs_period', 'active_at_end',
   '期末在岗', '期末前已入职、到期末仍未离职（离职日期为空或在期末之后）的安置数。',
   'Jobs active at end', 'Placements started by period end and not ended by it.')
_m('jobs.via_training_share', 'rate', 1, 'mart_jobs_period', 'via_training_share',
   '经培训就业占比', '本期新就业中，经过社区培训的比例。',
   'Share via training', 'Share of jobs started that came through training.')
_m('jobs.median_monthly_income_yuan', 'yuan', 1, 'mart_jobs_period', 'median_monthly_income_yuan',
   '月收入中位数', '本期新就业（填写了收入的）月收入中位数（元）。',
   'Median monthly income', 'Median monthly income of jobs started (where given), yuan.')

_m('feedback.responses', 'count', 0, 'mart_feedback_period', 'responses',
   '反馈户数', '本期走访（回访）日期在本期的噪音反馈条数（每户一条）。',
   'Feedback responses', 'Feedback rows (one per household asked) surveyed in the period.')
_m('feedback.dissatisfied_share', 'rate', -1, 'mart_feedback_period', 'dissatisfied_share',
   '不满意占比', '本期反馈中评价为“不满意”的比例。',
   'Dissatisfied share', 'Of the period\'s feedback responses, the share rating the situation dissatisfied.')
_m('feedback.late_noise_share', 'rate', -1, 'mart_feedback_period', 'late_noise_share',
   '夜间听到噪音占比', '本期回答了“夜间是否听到直播噪音”的反馈中，回答“是”的比例。',
   'Heard late-night noise', 'Of the period\'s responses that answered the late-noise question, the share answering yes.')

_m('coop.sales_yuan', 'yuan', 1, 'mart_coop_period', 'sales_yuan',
   '合作社销售收入', '记账日期在本期的“销售收入”流水金额之和（元）。',
   'Co-op sales', 'Sum of the amounts of sale bookings dated in the period (yuan).')
_m('coop.costs_yuan', 'yuan', -1, 'mart_coop_period', 'costs_yuan',
   '合作社成本支出', '记账日期在本期的“成本支出”流水金额之和（元）。',
   'Co-op costs', 'Sum of the amounts of cost bookings dated in the period (yuan).')
_m('coop.profit_yuan', 'yuan', 1, 'mart_coop_period', 'profit_yuan',
   '合作社利润', '合作社销售收入 − 合作社成本支出（元），亏损为负数。',
   'Co-op profit', 'Co-op sales − co-op costs (yuan); a loss is negative.')
_m('coop.members_share_yuan', 'yuan', 1, 'mart_coop_period', 'members_share_yuan',
   '社员分成', '利润为正时，按本期第一天执行的分配比例中社员所占的百分比计算（默认 70%，四舍五入到分）；亏损或为零时为 0。',
   'Members\' share', 'The members\' percent of the profit when it is positive (the split in force on the period\'s first day, default 70 %, rounded to the fen), else 0.')
_m('coop.coop_share_yuan', 'yuan', 1, 'mart_coop_period', 'coop_share_yuan',
   '合作社留存', '利润 − 社员分成 − 公共基金计提（亏损由合作社承担，可为负数）。',
   'Co-op\'s share', 'Profit − members\' share − fund accrued (a loss falls to the cooperative, so it can be negative).')
_m('coop.fund_accrued_yuan', 'yuan', 1, 'mart_coop_period', 'fund_accrued_yuan',
   '公共基金计提', '利润为正时，按本期第一天执行的分配比例中公共基金所占的百分比计算（默认 10%，四舍五入到分）；亏损或为零时为 0。',
   'Fund accrued', 'The fund\'s percent of the profit when it is positive (the split in force on the period\'s first day, default 10 %, rounded to the fen), else 0.')
_m('coop.fund_spent_yuan', 'yuan', 0, 'mart_coop_period', 'fund_spent_yuan',
   '公共基金支出', '记账日期在本期的“公共基金支出”流水金额之和（元）。',
   'Fund spent', 'Sum of the amounts of fund spending bookings dated in the period (yuan).')
_m('coop.fund_balance_yuan', 'yuan', 1, 'mart_coop_period', 'fund_balance_yuan',
   '公共基金余额', '从本社区第一个同类期间（周或月）起到本期为止，公共基金累计计提 − 累计支出（元）；支出超过结余时为负数。',
   'Fund balance', 'Fund accrued minus spent over every period of this grain from the community\'s first through this one (yuan); negative when spending outran it.')
_m('coop.active_members', 'count', 1, 'mart_coop_period', 'active_members',
   '有销售的社员', '本期有“销售收入”流水的不同社员数。',
   'Members with sales', 'Distinct members with a sale booking in the period.')
_m('coop.rent_yuan', 'yuan', 0, 'mart_coop_period', 'rent_yuan',
   '代收点租金', '记账日期在本期的“代收点租金”流水金额之和（元）。',
   'Parcel-point rent', 'Sum of the amounts of rent bookings dated in the period (yuan).')

METRICS: list[str] = list(REGISTRY)

# The counts 街道对比 also compares per 1,000 households, so that communities of different sizes compare:
# measure -> the kpi metric it divides (sql/marts/mart_street_measures.sql; named street.<measure> in the
# catalogs). NULL where a community's households are unknown or 0.
PER_1K_HOUSEHOLDS = {"per1k.orders": "orders.count", "per1k.parcels": "parcels.arrived",
                     "per1k.complaints": "complaints.count", "per1k.noise": "complaints.noise",
                     "per1k.participants": "training.participants", "per1k.jobs": "jobs.started"}


def metric(key: str) -> Metric:
    return REGISTRY[key]


def feed_of(key: str) -> str:
    """The feed a metric is counted from (its number is 未导入 where that feed is)."""
    return REGISTRY[key].feed


def marts() -> list[str]:
    """The period marts `kpi` joins, in registry order."""
    return list(dict.fromkeys(m.mart for m in REGISTRY.values()))
