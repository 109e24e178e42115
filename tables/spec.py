"""Workspace table specifications, as data apart from the code that checks them.

Each table is a list of `Column`s: its English name, its Chinese label, its type, whether it is
required and, for a closed list of values, which vocabulary it takes. `tables.check` runs
these specs over raw string frames and collects every failure (pandera's ``lazy=True`` idea).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_SECTORS: tuple[str, ...] = (
    "tax",
    "power",
    "culture_tourism",
    "construction",
    "environment",
    "transport",
    "food_drug",
    "health",
    "labour",
    "work_safety",
    "civil_defence",
    "other",
)

SECTOR_LABELS: dict[str, str] = {
    "tax": "税务",
    "power": "电力",
    "culture_tourism": "文化旅游",
    "construction": "建筑市场",
    "environment": "生态环境",
    "transport": "交通运输",
    "food_drug": "食品药品",
    "health": "医疗卫生",
    "labour": "劳动保障",
    "work_safety": "安全生产",
    "civil_defence": "人防工程",
    "other": "其他",
}

DEFAULT_RECORD_KINDS: tuple[str, ...] = (
    "penalty",
    "abnormal_operation",
    "serious_dishonesty",
    "court_dishonest_debtor",
    "tax_grade",
    "sector_rating",
    "commitment_kept",
    "commitment_broken",
    "commendation",
    "complaint",
    "annual_report_late",
)

KIND_LABELS: dict[str, str] = {
    "penalty": "行政处罚",
    "abnormal_operation": "经营异常名录",
    "serious_dishonesty": "严重违法失信名单",
    "court_dishonest_debtor": "失信被执行人",
    "tax_grade": "纳税信用等级",
    "sector_rating": "行业信用评价",
    "commitment_kept": "信用承诺履行",
    "commitment_broken": "信用承诺未履行",
    "commendation": "表彰奖励",
    "complaint": "投诉举报",
    "annual_report_late": "年报逾期",
}

# Standard result categories of a random inspection (CONTRACT "Result categories"): code -> label.
RESULT_CATEGORIES: dict[str, str] = {
    "normal": "正常",
    "corrected": "发现问题已责令改正",
    "pending": "发现问题待后续处理",
    "not_disclosed": "未按规定公示应当公示的信息",
    "false_disclosure": "公示信息隐瞒真实情况弄虚作假",
    "unreachable": "通过登记的住所（经营场所）无法联系",
    "refused": "不配合检查",
    "no_activity": "未发现开展本次抽查涉及的经营活动",
}
# Categories that mean a problem was found: `found_problem` follows from them where not given.
PROBLEM_CATEGORIES: frozenset[str] = frozenset(
    {"corrected", "pending", "not_disclosed", "false_disclosure", "unreachable", "refused"}
)

FIXED_VOCABULARIES: dict[str, dict[str, str]] = {
    # vocabulary -> {code: Chinese label}
    "entity_type": {
        "enterprise": "企业",
        "individual": "个体工商户",
        "cooperative": "农民专业合作社",
    },
    "status": {"active": "存续", "deregistered": "注销", "revoked": "吊销"},
    "severity": {"minor": "轻微", "general": "一般", "serious": "严重"},
    "item_kind": {"general": "一般", "key": "重点"},
    "inspection_type": {
        "planned": "计划",
        "complaint": "投诉举报",
        "referral": "转办交办",
        "monitoring": "数据监测",
    },
    "category": RESULT_CATEGORIES,
    "tier": {"A": "信用风险低", "B": "信用风险一般", "C": "信用风险较高", "D": "信用风险高"},
}

# Extra spellings that Chinese exports use for coded values.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "item_kind": {
        "一般检查事项": "general",
        "重点检查事项": "key",
        "一般事项": "general",
        "重点事项": "key",
    },
    "inspection_type": {
        "双随机": "planned",
        "随机抽查": "planned",
        "计划检查": "planned",
        "投诉": "complaint",
        "举报": "complaint",
        "移送": "referral",
        "交办": "referral",
        "转办": "referral",
        "监测": "monitoring",
    },
    "category": {
        "未发现问题": "normal",
        "发现问题已责令整改": "corrected",
        "未按规定公示": "not_disclosed",
        "公示信息隐瞒真实情况、弄虚作假": "false_disclosure",
        "无法联系": "unreachable",
        "通过登记的住所无法联系": "unreachable",
        "通过登记的住所(经营场所)无法联系": "unreachable",
    },
    "tier": {
        "A类": "A",
        "B类": "B",
        "C类": "C",
        "D类": "D",
        "低风险": "A",
        "一般风险": "B",
        "较高风险": "C",
        "高风险": "D",
    },
    "entity_type": {"个体": "individual", "合作社": "cooperative", "公司": "enterprise"},
    "status": {
        "在业": "active",
        "开业": "active",
        "在营": "active",
        "已注销": "deregistered",
        "已吊销": "revoked",
        "吊销未注销": "revoked",
    },
    "severity": {
        "较重": "serious",
        "严重失信": "serious",
        "一般失信": "general",
        "轻微失信": "minor",
    },
    "kind": {
        "行政处罚信息": "penalty",
        "经营异常": "abnormal_operation",
        "列入经营异常名录": "abnormal_operation",
        "严重失信": "serious_dishonesty",
        "严重违法失信": "serious_dishonesty",
        "失信被执行": "court_dishonest_debtor",
        "纳税信用": "tax_grade",
        "行业评价": "sector_rating",
        "承诺履行": "commitment_kept",
        "承诺未履行": "commitment_broken",
        "表彰": "commendation",
        "投诉": "complaint",
        "年报逾期未报": "annual_report_late",
    },
}


# Free-form registration values (the 企业类型 and 登记状态 fields of a registry export) that no
# exact spelling above covers: the first fragment the NFKC-normalised value contains decides.
# Order matters ("吊销，已注销" is deregistered, "吊销，未注销" revoked). 迁出 (moved to another
# registry) is read as deregistered: the entity is no longer this office's to inspect.
VALUE_PATTERNS: dict[str, tuple[tuple[str, str], ...]] = {
    "entity_type": (
        ("个体", "individual"),
        ("合作社", "cooperative"),
        ("合作联社", "cooperative"),
        ("公司", "enterprise"),
        ("企业", "enterprise"),
        ("合伙", "enterprise"),
        ("独资", "enterprise"),
        ("分支机构", "enterprise"),
    ),
    "status": (
        ("未注销", "revoked"),
        ("已注销", "deregistered"),
        ("吊销", "revoked"),
        ("撤销", "revoked"),
        ("注销", "deregistered"),
        ("迁出", "deregistered"),
        ("存续", "active"),
        ("在营", "active"),
        ("开业", "active"),
        ("在册", "active"),
        ("在业", "active"),
    ),
}


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str  # text, uscc, date, bool, number, choice, choices (a ;-joined list)
    required: bool = False
    vocabulary: str | None = None
    aliases: tuple[str, ...] = ()
    # Codes that compare without regard to case (hd0077 is HD0077): keys and references fold
    # case, and a reference takes the referenced table's spelling.
    ignore_case: bool = False
    future: bool = False  # a date that may lie ahead (a task's window), unlike a record's date


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    columns: tuple[Column, ...]
    required_table: bool = False
    key: tuple[str, ...] = ()
    references: dict[str, str] = field(default_factory=dict)  # column -> referenced table
    # (earlier, later) date columns: a row whose later date is before its earlier one is rejected
    date_order: tuple[tuple[str, str], ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


# Aliases: the spellings national and provincial platform exports use (国家企业信用信息公示系统,
# 双随机监管平台, provincial 市场主体 exports). When a file has several spellings of one column,
# the English name wins, then the Chinese label, then the alias listed first.
USCC = Column(
    "uscc",
    "统一社会信用代码",
    "uscc",
    True,
    aliases=(
        "社会信用代码",
        "信用代码",
        "统一代码",
        "主体统一社会信用代码",
        "企业统一社会信用代码",
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "entities",
            "检查对象名录库",
            (
                USCC,
                Column(
                    "name",
                    "名称",
                    "text",
                    True,
                    aliases=("企业名称", "主体名称", "市场主体名称", "单位名称", "字号名称"),
                ),
                Column(
                    "sector",
                    "行业",
                    "choice",
                    True,
                    "sector",
                    ("所属行业", "行业领域", "行业类别", "行业门类", "监管领域", "所属领域"),
                ),
                Column(
                    "region",
                    "区域",
                    "text",
                    True,
                    aliases=("所属区域", "所属地区", "所在地区", "辖区", "区县", "登记机关"),
                ),
                Column(
                    "entity_type",
                    "主体类型",
                    "choice",
                    False,
                    "entity_type",
                    ("市场主体类型", "企业类型", "主体类别"),
                ),
                Column(
                    "registered_on",
                    "成立日期",
                    "date",
                    aliases=("登记日期", "注册日期", "成立时间", "设立日期"),
                ),
                Column(
                    "registered_capital",
                    "注册资本",
                    "number",
                    aliases=("注册资本（万元）", "注册资本(万元)", "注册资金"),
                ),
                Column(
                    "status",
                    "登记状态",
                    "choice",
                    False,
                    "status",
                    ("经营状态", "企业状态", "主体状态", "状态"),
                ),
                Column(
                    "legal_representative",
                    "法定代表人",
                    "text",
                    aliases=(
                        "负责人",
                        "经营者",
                        "法定代表人姓名",
                        "法定代表人（负责人）",
                        "法人代表",
                    ),
                ),
            ),
            required_table=True,
            key=("uscc",),
        ),
        Table(
            "records",
            "信用记录",
            (
                USCC,
                Column(
                    "kind", "记录类型", "choice", True, "kind", ("信息类型", "信息类别", "类型")
                ),
                Column(
                    "date",
                    "日期",
                    "date",
                    True,
                    aliases=(
                        "决定日期",
                        "处罚决定日期",
                        "作出决定日期",
                        "列入日期",
                        "认定日期",
                        "记录日期",
                    ),
                ),
                Column(
                    "severity", "严重程度", "choice", False, "severity", ("失信程度", "失信等级")
                ),
                Column(
                    "amount",
                    "金额",
                    "number",
                    aliases=("罚没金额", "罚款金额", "罚款金额（元）", "罚没金额（元）"),
                ),
                Column("value", "等级", "text", aliases=("评价等级", "信用等级", "评价结果")),
                Column(
                    "ended_on",
                    "结束日期",
                    "date",
                    aliases=("移出日期", "修复日期", "失效日期", "公示截止日期", "移除日期"),
                ),
                Column(
                    "source",
                    "来源",
                    "text",
                    aliases=("数据来源", "认定部门", "决定机关", "作出决定机关", "处罚机关"),
                ),
            ),
            references={"uscc": "entities"},
            date_order=(("date", "ended_on"),),
        ),
        Table(
            "inspections",
            "抽查结果",
            (
                USCC,
                Column(
                    "date",
                    "检查日期",
                    "date",
                    True,
                    aliases=("抽查日期", "检查时间", "检查完成日期", "日期"),
                ),
                Column(
                    "found_problem",
                    "是否发现问题",
                    "bool",
                    True,
                    aliases=("发现问题", "是否存在问题", "存在问题"),
                ),
                Column(
                    "item", "抽查事项", "text", aliases=("检查事项", "事项名称", "抽查事项名称")
                ),
                Column(
                    "result", "检查结果", "text", aliases=("抽查结果", "检查结论", "抽查检查结果")
                ),
                Column("inspectors", "检查人员", "text", aliases=("执法人员", "检查人员编号")),
                Column("task_id", "任务编号", "text", aliases=("抽查任务编号",)),
                Column("type", "检查类型", "choice", False, "inspection_type", ("检查方式类型",)),
                Column("category", "结果类别", "choice", False, "category", ("检查结果类别",)),
            ),
            references={"uscc": "entities"},
        ),
        Table(
            "inspectors",
            "执法检查人员名录库",
            (
                Column(
                    "inspector_id",
                    "执法人员编号",
                    "text",
                    True,
                    aliases=("人员编号", "执法证号", "执法证件号码", "执法证编号"),
                    ignore_case=True,
                ),
                Column("name", "姓名", "text", True, aliases=("执法人员姓名", "人员姓名")),
                Column(
                    "sectors",
                    "执法领域",
                    "choices",
                    True,
                    "sector",
                    ("所属领域", "执法类别", "行业领域", "行业"),
                ),
                Column("department", "部门", "text", aliases=("所属部门", "所属单位", "单位")),
                Column("region", "区域", "text", aliases=("所属区域", "所属地区")),
                Column("active", "在岗", "bool", aliases=("是否在岗",)),
            ),
            key=("inspector_id",),
        ),
        Table(
            "conflicts",
            "回避",
            (
                Column(
                    "inspector_id",
                    "执法人员编号",
                    "text",
                    True,
                    aliases=("人员编号", "执法证号"),
                    ignore_case=True,
                ),
                USCC,
                Column("reason", "回避原因", "text", aliases=("回避事由", "原因")),
            ),
            references={"uscc": "entities", "inspector_id": "inspectors"},
        ),
        Table(
            "items",
            "抽查事项清单",
            (
                Column("item_id", "事项编号", "text", True, aliases=("抽查事项编号", "编号")),
                Column("name", "事项名称", "text", True, aliases=("抽查事项", "检查事项")),
                Column("department", "责任部门", "text", True, aliases=("部门", "实施部门")),
                Column("kind", "事项类别", "choice", True, "item_kind", ("类别", "事项类型")),
                Column("sectors", "适用行业", "choices", False, "sector", ("行业",)),
                Column(
                    "entity_types", "适用主体类型", "choices", False, "entity_type", ("主体类型",)
                ),
                Column("basis", "法律依据", "text", aliases=("检查依据", "依据")),
                Column("method", "检查方式", "text", aliases=("方式",)),
                Column("frequency", "检查频次", "text", aliases=("频次",)),
            ),
            key=("item_id",),
        ),
        Table(
            "tasks",
            "抽查任务",
            (
                Column("task_id", "任务编号", "text", True, aliases=("编号",)),
                Column("name", "任务名称", "text", True, aliases=("名称",)),
                Column("start", "开始日期", "date", True, aliases=("起始日期",), future=True),
                Column("end", "结束日期", "date", True, aliases=("截止日期",), future=True),
                Column("items", "抽查事项", "text", True, aliases=("检查事项", "事项编号")),
                Column("lead_department", "牵头部门", "text", True, aliases=("发起部门",)),
                Column("departments", "联合部门", "text", aliases=("参与部门",)),
                Column("sectors", "行业", "choices", False, "sector", ("抽查行业",)),
                Column("regions", "区域", "text", aliases=("抽查区域",)),
                Column("entity_types", "主体类型", "choices", False, "entity_type"),
                Column("directed", "是否定向", "bool", aliases=("定向",)),
                Column("targets", "定向对象", "text", aliases=("定向名单",)),
                Column("ratio", "抽查比例", "number", aliases=("比例",)),
                Column("count", "抽查数量", "number", aliases=("数量",)),
                Column("jurisdiction", "实施辖区", "text", aliases=("辖区", "检查单位区域")),
                Column("tier_rates", "分级抽查比例", "text", aliases=("等级比例",)),
                Column("allow_repeat", "允许重复抽取", "bool", aliases=("可重复抽取",)),
            ),
            key=("task_id",),
        ),
        Table(
            "tiers",
            "信用风险分类结果",
            (
                USCC,
                Column("tier", "信用风险等级", "choice", True, "tier", ("风险等级", "分类结果")),
                Column("source", "来源", "text", True, aliases=("分类来源", "数据来源")),
                Column("date", "分类日期", "date", True, aliases=("日期", "评价日期")),
            ),
            key=("uscc",),
            references={"uscc": "entities"},
        ),
    )
}

# Tables checked after these (references point backwards in this order).
TABLE_ORDER: tuple[str, ...] = (
    "entities",
    "inspectors",
    "items",
    "tasks",
    "tiers",
    "records",
    "inspections",
    "conflicts",
)


def header_map(table: Table) -> dict[str, str]:
    """Every accepted spelling of a header (English, Chinese label, aliases) -> English name."""
    return {h: name for h, (name, _) in _header_ranks(table).items()}


def _header_ranks(table: Table) -> dict[str, tuple[str, int]]:
    """Normalised spelling -> (English name, rank): 0 the name, 1 the label, 2+ the aliases."""
    out: dict[str, tuple[str, int]] = {}
    for c in table.columns:
        for rank, h in enumerate((c.name, c.label, *c.aliases)):
            out.setdefault(_norm_header(h), (c.name, rank))
    return out


def _norm_header(h: str) -> str:
    return str(h).strip().lower().replace(" ", "").replace("（", "(").replace("）", ")")


def rename_headers(
    table: Table, headers: list[str], extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map a file's headers to English names; unknown headers are kept as they are.

    `extra` maps a workspace's own spellings to column names (config `headers:`) and wins over
    the built-in ones. When several headers spell one column (an export with both 所属区域 and
    登记机关), the best-ranked one is used and the others are kept under their own names; two
    headers that are both the English name or the Chinese label stay mapped, so the caller
    reports the column as appearing twice.
    """
    known = _header_ranks(table)
    own = {_norm_header(k): (v, -1) for k, v in (extra or {}).items()}
    ranked = {h: own.get(_norm_header(h)) or known.get(_norm_header(h)) for h in headers}
    best: dict[str, int] = {}
    for hit in ranked.values():
        if hit is not None:
            best[hit[0]] = min(best.get(hit[0], hit[1]), hit[1])
    out: dict[str, str] = {}
    for h, hit in ranked.items():
        if hit is None:
            out[h] = h
        else:
            name, rank = hit
            out[h] = name if rank == best[name] or (rank <= 1 and best[name] >= 0) else h
    return out
