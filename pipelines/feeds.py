"""The input feeds of SPEC §3: columns, types, Chinese aliases, enumerations, keys, and the words shown.

Everything the readers and validators know about a feed lives here, so a new
synonym from a real register is a one-line change. So do the words the pages and
briefs show for a feed (its name) and for each stored enumeration value, in both
languages: the catalogs (pipelines/present/i18n) do not repeat them, and
`i18n.label` reads them from here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ID, TEXT, INT, FLOAT, TIMESTAMP, DATE, ENUM, BOOL = (
    "id", "text", "int", "float", "timestamp", "date", "enum", "bool")

SQL_TYPES = {ID: "VARCHAR", TEXT: "VARCHAR", ENUM: "VARCHAR", INT: "BIGINT",
             FLOAT: "DOUBLE", TIMESTAMP: "TIMESTAMP", DATE: "DATE", BOOL: "BOOLEAN"}


@dataclass(frozen=True)
class Word:
    """One stored enumeration value as shown (zh, en), and the further words an import accepts for it."""
    zh: str
    en: str
    aliases: tuple[str, ...] = ()


def _w(zh: str, en: str, *aliases: str) -> Word:
    return Word(zh, en, aliases)


def typed_words(words: dict[str, Word]) -> dict[str, str]:
    """Every word a command accepts back for a stored value -> that value: its Chinese word, its English word
    (in lower case) and its aliases. For the kept records' vocabularies (an action's status, a case's step…)."""
    return {w: key for key, word in words.items() for w in (word.zh, word.en.lower(), *word.aliases)}


def value_typed(typed: str, words: dict[str, str]) -> str:
    """The stored value a typed word names: as typed, else in lower case; else the word itself in lower
    case (the stored value typed as it is, or one the caller refuses)."""
    text = typed.strip()
    return words.get(text) or words.get(text.lower(), text.lower())


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    # stored value -> its words; an import accepts the value itself, its Chinese word and the aliases
    words: dict[str, Word] = field(default_factory=dict)
    non_negative: bool = False
    label_zh: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]

    @property
    def enum(self) -> dict[str, tuple[str, ...]]:
        """Stored value -> the words an import accepts for it, the shown Chinese word first."""
        return {value: (w.zh, *w.aliases) for value, w in self.words.items()}

    def word(self, value: str, lang: str = "zh") -> str | None:
        """The word shown for a stored value; None for a value the column does not declare."""
        w = self.words.get(value)
        return None if w is None else (w.zh if lang == "zh" else w.en)


@dataclass(frozen=True)
class Feed:
    name: str
    label_zh: str
    label_en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # column -> (reference feed, columns of this feed that must match its key)
    references: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # (later, earlier): the later time may not come before the earlier one
    order_checks: tuple[tuple[str, str], ...] = ()
    # personal id column derived from names/phones/ID numbers when missing
    person_column: str | None = None
    is_event: bool = True
    # Times that place an event in a period and span the period range (SPEC §5), anchor first.
    period_times: tuple[str, ...] = ()
    # The time that ends an event's "still open" state (a parcel in stock, a complaint unresolved, a job
    # held): while it is empty the event reaches every later period, so incremental builds keep it.
    open_until: str | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def label(self, lang: str = "zh") -> str:
        """The feed's name as the pages, the briefs and the import page show it."""
        return self.label_zh if lang == "zh" else self.label_en

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name, kind, required=False, aliases=(), enum=None, non_negative=False, zh=""):   # enum: value -> _w(...)
    return Column(name, kind, required, tuple(aliases), enum or {}, non_negative, zh or (aliases[0] if aliases else name))


COMMUNITY = _c("community_id", ID, True, ["社区编号", "社区", "社区id", "社区代码", "所属社区", "社区名"], zh="社区")
LAT = _c("lat", FLOAT, aliases=["纬度", "latitude"])
LON = _c("lon", FLOAT, aliases=["经度", "longitude", "lng"])
HOUSEHOLDS = _c("households", INT, aliases=["户数", "住户数", "总户数", "住户"], non_negative=True)

FEEDS: dict[str, Feed] = {}


def _feed(feed: Feed) -> None:
    FEEDS[feed.name] = feed


_feed(Feed("communities", "社区", "Communities", (
    _c("community_id", ID, True, ["社区编号", "社区id", "社区代码", "编号"], zh="社区编号"),
    _c("name", TEXT, aliases=["社区名称", "名称", "社区"]),
    _c("street", TEXT, aliases=["街道", "所属街道", "街道办", "街道办事处"]),
    HOUSEHOLDS, LAT, LON,
), key=("community_id",), is_event=False))

_feed(Feed("buildings", "楼栋", "Buildings", (
    _c("building_id", ID, True, ["楼栋编号", "楼栋", "楼号", "楼栋号"]),
    COMMUNITY,
    _c("name", TEXT, aliases=["楼栋名称", "名称"]),
    HOUSEHOLDS, LAT, LON,
), key=("community_id", "building_id"), references={"community_id": ("communities", ("community_id",))},
    is_event=False))

_feed(Feed("points", "快递代收点", "Parcel points", (
    _c("point_id", ID, True, ["代收点编号", "代收点", "驿站编号", "点位编号", "点位"]),
    COMMUNITY,
    _c("name", TEXT, aliases=["代收点名称", "名称", "驿站名称"]),
    _c("kind", ENUM, aliases=["类型", "代收点类型"], enum={
        "station": _w("驿站", "Parcel station", "代收点", "驿站/代收点", "快递驿站"),
        "locker": _w("快递柜", "Parcel locker", "智能柜", "智能快递柜")}),
    _c("capacity", INT, aliases=["容量", "最大容量", "容量(件)"], non_negative=True),
    LAT, LON,
), key=("community_id", "point_id"), references={"community_id": ("communities", ("community_id",))},
    is_event=False))

_feed(Feed("sellers", "商户", "Sellers", (
    _c("seller_id", ID, True, ["商户编号", "团长编号", "商户", "团长", "主播编号"]),
    COMMUNITY,
    _c("building_id", ID, aliases=["楼栋编号", "楼栋", "楼号"]),
    _c("kind", ENUM, aliases=["类型", "商户类型", "经营类型"], enum={
        "group_buy": _w("团购", "Group buying", "拼团", "社区团购"),
        "livestream": _w("直播", "Livestream", "直播带货"),
        "coop": _w("合作社", "Co-op"), "shop": _w("商铺", "Shop", "店铺", "门店")}),
    _c("started_on", DATE, aliases=["开始日期", "入驻日期", "开业日期"]),
), key=("community_id", "seller_id"), references={"community_id": ("communities", ("community_id",)),
                                   "building_id": ("buildings", ("community_id", "building_id"))},
    is_event=False))

_feed(Feed("orders", "订单", "Orders", (
    _c("order_id", ID, True, ["订单号", "订单编号", "订单id"]),
    COMMUNITY,
    _c("seller_id", ID, True, ["商户编号", "团长编号", "商户", "团长", "主播编号"]),
    _c("channel", ENUM, True, ["渠道", "销售渠道", "订单渠道"], enum={
        "group_buy": _w("团购", "Group buying", "拼团", "社区团购"),
        "livestream": _w("直播", "Livestream", "直播带货"),
        "coop_store": _w("合作社", "Co-op store", "合作社店铺"),
        "local_platform": _w("本地平台", "Local platform"), "other": _w("其他", "Other")}),
    _c("ordered_at", TIMESTAMP, True, ["下单时间", "订单时间", "创建时间", "下单日期", "支付时间", "order_time",
                                        "order_date", "created_at"]),
    _c("amount_yuan", FLOAT, True, ["金额", "实付金额", "实付", "订单金额", "支付金额", "金额(元)", "amount",
                                     "paid_amount"],
       non_negative=True),
    _c("item_count", INT, aliases=["件数", "数量", "商品数量"], non_negative=True),
    _c("status", ENUM, True, ["状态", "订单状态"], enum={
        "paid": _w("已支付", "Paid", "已完成", "已付款", "支付成功", "完成", "交易成功", "completed", "complete",
                   "success"),
        "refunded": _w("已退款", "Refunded", "退款", "退款成功", "refund"),
        "cancelled": _w("已取消", "Cancelled", "取消", "交易关闭", "canceled", "cancel")}),
), key=("community_id", "order_id"), references={"community_id": ("communities", ("community_id",))},
    period_times=("ordered_at",)))

_feed(Feed("parcels", "快递包裹", "Parcels", (
    _c("parcel_id", ID, True, ["运单号", "快递单号", "包裹编号", "单号"]),
    COMMUNITY,
    _c("point_id", ID, True, ["代收点编号", "代收点", "驿站编号", "点位编号", "点位"]),
    _c("carrier", TEXT, aliases=["快递公司", "承运商", "快递"]),
    _c("arrived_at", TIMESTAMP, True, ["入库时间", "到件时间", "到站时间", "到达时间", "arrival_time", "in_time"]),
    _c("picked_up_at", TIMESTAMP, aliases=["取件时间", "出库时间", "签收时间", "pickup_time", "out_time"]),
    _c("building_id", ID, aliases=["楼栋编号", "楼栋", "楼号", "收件楼栋"]),
), key=("community_id", "parcel_id"), references={"community_id": ("communities", ("community_id",)),
                                   "point_id": ("points", ("community_id", "point_id")),
                                   "building_id": ("buildings", ("community_id", "building_id"))},
    order_checks=(("picked_up_at", "arrived_at"),), period_times=("arrived_at", "picked_up_at"),
    open_until="picked_up_at"))

_feed(Feed("complaints", "投诉", "Complaints", (
    _c("complaint_id", ID, True, ["编号", "投诉编号", "工单号", "工单编号"]),
    COMMUNITY,
    _c("received_at", TIMESTAMP, True, ["受理时间", "登记时间", "接收时间", "投诉时间"]),
    _c("occurred_at", TIMESTAMP, aliases=["发生时间"]),
    _c("category", ENUM, True, ["类型", "投诉类型", "问题类型", "类别"], enum={
        "livestream_noise": _w("直播噪音", "Livestream noise", "噪音", "直播扰民"),
        "parcel_pileup": _w("快递堆放", "Parcel pile-up", "快递堆积"), "other": _w("其他", "Other")}),
    _c("building_id", ID, aliases=["楼栋编号", "楼栋", "楼号"]),
    _c("seller_id", ID, aliases=["商户编号", "团长编号", "商户", "主播编号"]),
    _c("source", ENUM, aliases=["来源", "投诉来源", "反映渠道"], enum={
        "wechat": _w("微信群", "WeChat group", "微信"), "hotline": _w("12345热线", "12345 hotline", "热线", "12345"),
        "visit": _w("入户走访", "Home visit", "走访"), "meeting": _w("议事会", "Residents' meeting"),
        "other": _w("其他", "Other")}),
    _c("resolved_at", TIMESTAMP, aliases=["办结时间", "解决时间", "处理完成时间", "办结日期"]),
), key=("community_id", "complaint_id"), references={"community_id": ("communities", ("community_id",)),
                                      "building_id": ("buildings", ("community_id", "building_id"))},
    order_checks=(("resolved_at", "received_at"),), period_times=("received_at", "resolved_at"),
    open_until="resolved_at"))

_feed(Feed("training", "培训签到", "Training", (
    _c("session_id", ID, True, ["场次编号", "课程场次", "场次", "场次id"]),
    COMMUNITY,
    _c("course_type", ENUM, True, ["课程类型", "课程类别", "课程"], enum={
        "silver_digital": _w("银发触网", "Silver digital"),
        "ecommerce_skills": _w("电商实战", "E-commerce skills", "电商培训", "电商技能"),
        "finance": _w("理财", "Finance"), "legal": _w("法律讲座", "Legal talk", "法律"), "other": _w("其他", "Other")}),
    _c("session_date", DATE, True, ["上课日期", "培训日期", "日期", "课程日期"]),
    _c("participant_id", ID, True, ["学员编号", "参与者编号", "居民编号"]),
    _c("age_band", ENUM, aliases=["年龄段", "年龄组"], enum={
        "<30": _w("30岁以下", "Under 30", "30以下"), "30-44": _w("30-44岁", "30–44"), "45-59": _w("45-59岁", "45–59"),
        "60-69": _w("60-69岁", "60–69"), "70+": _w("70岁以上", "70 and over", "70岁及以上", "70以上")}),
    _c("attended", BOOL, True, ["是否出席", "签到", "是否签到", "出席"]),
), key=("community_id", "session_id", "participant_id"), references={"community_id": ("communities", ("community_id",))},
    person_column="participant_id", period_times=("session_date",)))

_feed(Feed("jobs", "就业安置", "Jobs", (
    _c("placement_id", ID, True, ["就业编号", "安置编号", "岗位编号", "编号"]),
    COMMUNITY,
    _c("person_id", ID, True, ["人员编号", "居民编号"]),
    _c("employer_kind", ENUM, aliases=["用工单位类型", "雇主类型", "单位类型"], enum={
        "seller": _w("商户", "Seller"), "coop": _w("合作社", "Co-op"), "courier": _w("快递", "Courier", "快递公司"),
        "platform": _w("平台", "Platform"), "other": _w("其他", "Other")}),
    _c("role", ENUM, aliases=["岗位", "岗位类型"], enum={
        "packing": _w("打包分拣", "Packing", "打包", "分拣"), "host": _w("主播", "Host"),
        "service": _w("客服", "Customer service"), "delivery": _w("配送", "Delivery"), "other": _w("其他", "Other")}),
    _c("employment_type", ENUM, aliases=["用工形式", "就业形式", "就业类型"], enum={
        "flexible": _w("灵活就业", "Flexible"), "part_time": _w("兼职", "Part-time"), "full_time": _w("全职", "Full-time")}),
    _c("started_on", DATE, True, ["入职日期", "上岗日期", "开始日期", "就业日期"]),
    _c("ended_on", DATE, aliases=["结束日期", "离职日期"]),
    _c("monthly_income_yuan", FLOAT, aliases=["月收入", "月收入(元)", "月均收入"], non_negative=True),
    _c("via_training", BOOL, aliases=["是否经培训", "经培训", "培训后就业", "通过培训"]),
), key=("community_id", "placement_id"), references={"community_id": ("communities", ("community_id",))},
    order_checks=(("ended_on", "started_on"),), person_column="person_id", period_times=("started_on",),
    open_until="ended_on"))

_feed(Feed("feedback", "噪音反馈", "Noise feedback", (
    _c("response_id", ID, True, ["编号", "回访编号", "问卷编号", "反馈编号"]),
    COMMUNITY,
    _c("surveyed_on", DATE, True, ["走访日期", "回访日期", "调查日期", "日期"]),
    _c("building_id", ID, aliases=["楼栋编号", "楼栋", "楼号"]),
    _c("rating", ENUM, True, ["评价", "满意度", "满意程度"], enum={
        "satisfied": _w("满意", "satisfied", "非常满意", "比较满意"), "neutral": _w("一般", "neutral", "基本满意"),
        "dissatisfied": _w("不满意", "dissatisfied", "很不满意", "非常不满意")}),
    _c("late_noise", BOOL, aliases=["夜间是否听到直播噪音", "夜间噪音", "是否听到夜间噪音", "夜间是否有噪音"]),
    _c("comment", TEXT, aliases=["意见", "意见建议", "备注", "反馈意见"]),
), key=("community_id", "response_id"), references={"community_id": ("communities", ("community_id",)),
                                     "building_id": ("buildings", ("community_id", "building_id"))},
    period_times=("surveyed_on",)))

_feed(Feed("coop", "合作社账目", "Co-op books", (
    _c("entry_id", ID, True, ["流水号", "记账编号", "凭证号", "编号", "序号"]),
    COMMUNITY,
    _c("booked_on", DATE, True, ["记账日期", "日期", "入账日期", "发生日期"]),
    _c("kind", ENUM, True, ["类型", "收支类型", "科目", "项目类型"], enum={
        "sale": _w("销售收入", "Sale", "销售", "收入", "货款"),
        "cost": _w("成本支出", "Cost", "成本", "支出", "费用"),
        "fund_spend": _w("公共基金支出", "Fund spending", "基金支出", "公益基金支出", "公共基金"),
        "rent": _w("代收点租金", "Parcel-point rent", "租金", "代收点租金收入")}),
    _c("amount_yuan", FLOAT, True, ["金额", "金额(元)", "金额（元）", "发生额", "amount"], non_negative=True),
    _c("member_id", ID, aliases=["社员编号", "社员", "生产者编号", "社员id"]),
    _c("seller_id", ID, aliases=["商户编号", "团长编号", "商户", "缴租商户"]),
    _c("purpose", TEXT, aliases=["用途", "摘要", "说明", "备注", "事由"]),
), key=("community_id", "entry_id"), references={"community_id": ("communities", ("community_id",)),
                                  "seller_id": ("sellers", ("community_id", "seller_id"))},
    person_column="member_id", period_times=("booked_on",)))

# Feed names a user may type instead of the canonical ones (linli ingest 订单 7月.csv).
KIND_ALIASES = {"订单": "orders", "快递": "parcels", "包裹": "parcels", "投诉": "complaints", "培训": "training",
                "签到": "training", "就业": "jobs", "社区": "communities", "楼栋": "buildings", "代收点": "points",
                "驿站": "points", "商户": "sellers", "团长": "sellers", "反馈": "feedback", "回访": "feedback",
                "噪音反馈": "feedback", "合作社": "coop", "合作社账目": "coop", "账目": "coop"}


def resolve_kind(kind: str) -> str:
    k = kind.strip()
    return KIND_ALIASES.get(k, k.lower())


def _enum_columns() -> dict[str, Column]:
    """Every enumeration column by the names a page may give it (`i18n.label(name, value)`): `feed.column`
    always, and the bare column name where one feed alone has it (channel, role; not kind, which points
    and sellers both have, and which names the feeds themselves: label("kind", "orders") is 订单)."""
    found: dict[str, list[Column]] = {}
    for kind, feed in FEEDS.items():
        for c in feed.columns:
            if c.kind == ENUM:
                found[f"{kind}.{c.name}"] = [c]
                found.setdefault(c.name, []).append(c)
    return {name: cs[0] for name, cs in found.items() if len(cs) == 1 and name != "kind"}


ENUM_COLUMNS = _enum_columns()


# Header words that mark a column holding personal data (SPEC §3); such a column is never stored
# as written. Chinese words match anywhere in the header; English ones as words of it (Buyer Name).
PERSONAL_HEADER_WORDS = ("姓名", "名字", "联系人", "收件人", "收货人", "寄件人", "投诉人", "反映人", "申请人", "来电人",
                         "来访人", "户主", "业主", "租户", "客户", "学员", "电话", "手机", "联系方式", "身份证", "证件",
                         "微信", "qq", "抖音", "快手", "地址", "住址", "房号", "门牌", "昵称", "用户名", "邮箱")
# English words of a header (Buyer Name, receiverAddress): a strong one marks it personal whatever else
# it says; a weak one unless the header names a thing (Product Name, Shop Owner is still a person).
PERSONAL_HEADER_WORDS_EN = ("phone", "mobile", "tel", "telephone", "cellphone", "contact", "address", "addr",
                            "wechat", "weixin", "email", "idcard", "passport", "consignee", "recipient", "receiver")
WEAK_PERSONAL_EN = ("name", "names", "fullname", "nickname", "username", "owner", "buyer", "customer", "resident",
                    "member", "person")
# Words ending so are personal too (buyername, receiverphone); these few are not.
PERSONAL_SUFFIXES_EN = ("name", "phone", "mobile", "address", "addr", "wechat", "email")
NOT_PERSONAL_WORDS_EN = ("filename", "sheetname", "hostname", "tablename", "pathname")
# "Product name" or "shop name" name things, not people.
NOT_PERSONAL_EN = ("product", "item", "sku", "goods", "shop", "store", "course", "file", "company", "carrier",
                   "community", "building", "point", "station", "category", "sheet", "channel", "brand", "street")
# Which personal headers identify the person (the source of a derived person id), strongest first.
PERSONAL_PRIORITY = (("idcard", ("身份证", "证件", "idcard", "id_card", "passport")),
                     ("phone", ("手机", "电话", "联系方式", "phone", "mobile", "tel", "telephone", "cellphone")),
                     ("name", ("姓名", "名字", "学员", "name", "fullname")))

BOOL_WORDS = {
    True: ("是", "true", "1", "yes", "y", "t", "√", "✓", "已签到", "签到", "出席", "到", "已出席", "参加"),
    False: ("否", "false", "0", "no", "n", "f", "×", "✗", "未签到", "缺席", "未到", "未出席", "未参加"),
}


def raw_table(kind: str) -> str:
    """The store table that keeps every imported version of a feed's rows."""
    return f"raw_{kind}"
