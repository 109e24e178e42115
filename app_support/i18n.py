"""Chinese-first display strings, with English as the switch; number formatting.

Page-specific sentences sit next to their page as (中文, English) pairs; the shared vocabulary
(roles, tiers, sectors, columns, page titles) is here so every page and chart says the same.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from zoneinfo import ZoneInfo

from tables.spec import SECTOR_LABELS, TABLES

LANGS = ("zh", "en")

ROLE_LABELS = {
    "staff": ("业务人员", "staff"),
    "analyst": ("分析员", "analyst"),
    "leader": ("领导", "leader"),
    "admin": ("管理员", "admin"),
}
TIER_LABELS = {
    "A": ("A 信用风险低", "A low risk"),
    "B": ("B 信用风险一般", "B ordinary risk"),
    "C": ("C 信用风险较高", "C higher risk"),
    "D": ("D 信用风险高", "D high risk"),
}
SECTOR_LABELS_EN = {
    "tax": "tax services",
    "power": "electric power",
    "culture_tourism": "culture & tourism",
    "construction": "construction",
    "environment": "environment",
    "transport": "transport",
    "food_drug": "food & drugs",
    "health": "health care",
    "labour": "labour",
    "work_safety": "work safety",
    "civil_defence": "civil air defence",
    "other": "other",
}
TABLE_LABELS_EN = {
    "entities": "entities to inspect",
    "records": "credit records",
    "inspections": "inspection results",
    "inspectors": "inspectors",
    "conflicts": "conflicts of interest",
}
COLUMNS = {
    "uscc": ("统一社会信用代码", "USCC"),
    "name": ("名称", "name"),
    "sector": ("行业", "sector"),
    "region": ("区县", "region"),
    "tier": ("风险等级", "tier"),
    "score": ("信用分", "score"),
    "risk": ("问题概率", "risk"),
    "reasons": ("主要原因", "reasons"),
    "ticket": ("随机票号", "ticket"),
    "inclusion_probability": ("入选概率", "inclusion probability"),
    "inspectors": ("执法检查人员", "inspectors"),
    "eligible": ("可抽数", "eligible"),
    "must_inspect": ("必查数", "must inspect"),
    "pool": ("随机池", "random pool"),
    "quota": ("随机配额", "random quota"),
    "drawn": ("抽取数", "drawn"),
    "annual_rate": ("年抽查比例", "annual rate"),
    "count": ("主体数", "entities"),
    "share": ("占比", "share"),
    "monthly": ("月检查数", "inspections / month"),
    "expected_problems": ("预计发现问题", "expected problems"),
    "month": ("月份", "month"),
    "estimate": ("问题发现率", "problem rate"),
    "ci_low": ("区间下限", "CI low"),
    "ci_high": ("区间上限", "CI high"),
    "inspected": ("已检查", "inspected"),
    "problems": ("发现问题", "problems"),
    "date": ("日期", "date"),
    "found_problem": ("发现问题", "found problem"),
    "item": ("检查事项", "item"),
    "result": ("检查结果", "result"),
    "rows": ("行数", "rows"),
    "accepted": ("接受", "accepted"),
    "rejected": ("拒收", "rejected"),
    "table": ("表", "table"),
    "column": ("列", "column"),
    "row": ("行号", "row"),
    "message": ("说明", "message"),
    "plan": ("计划", "plan"),
    "rate": ("比例", "rate"),
    "multiplier": ("行业系数", "sector multiplier"),
    "inspections": ("检查次数", "inspections"),
    "places": ("同等预算检查数", "inspections at the budget"),
    "uniform_hits": ("纯随机 预计发现", "uniform: expected hits"),
    "tiered_hits": ("分级随机 预计发现", "tiered: expected hits"),
    "ranked_hits": ("按风险排序 发现", "ranked: hits"),
    "optimised_hits": ("优化比例随机 预计发现", "optimised: expected hits"),
    "auc": ("AUC", "AUC"),
    "risk_source": ("问题概率来源", "risk from"),
    "train_inspections": ("训练检查次数", "training inspections"),
}


@functools.cache
def _dimension_columns() -> dict[str, tuple[str, str]]:
    """The score dimensions as columns; `scoring` (and with it pandas) loads only when a page
    shows them, not on the sign-in screen."""
    from scoring.config import DIMENSION_LABELS_EN, DIMENSIONS

    return {d: (DIMENSIONS[d], DIMENSION_LABELS_EN[d]) for d in DIMENSIONS}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def role_label(role: str, lang: str) -> str:
    return pick(ROLE_LABELS.get(role, (role, role)), lang)


def tier_label(tier: str, lang: str) -> str:
    return pick(TIER_LABELS.get(tier, (tier, tier)), lang)


def sector_label(code: str, lang: str, extra: dict[str, str] | None = None) -> str:
    if lang == "en":
        return SECTOR_LABELS_EN.get(code, code)
    return SECTOR_LABELS.get(code) or (extra or {}).get(code) or code


def table_label(name: str, lang: str) -> str:
    """ "检查对象名录库 (entities)" in Chinese, "entities to inspect (entities)" in English: the
    file name in brackets either way, since that is what the clerk saves."""
    label = TABLE_LABELS_EN.get(name, name) if lang == "en" else TABLES[name].label
    return f"{label} ({name})" if label != name else name


def column_label(name: str, lang: str) -> str:
    if name in COLUMNS:
        return pick(COLUMNS[name], lang)
    dims = _dimension_columns()
    return pick(dims[name], lang) if name in dims else name


def column_labels(names, lang: str) -> dict[str, str]:
    return {n: column_label(n, lang) for n in names}


def fmt_int(value: float | int | None) -> str:
    """12345 -> "12,345"; missing -> "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{int(round(value)):,}"


def fmt_num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def fmt_prob(value: float | None) -> str:
    """An inclusion probability: small ones keep three decimals (0.093%), so a stratum that
    drew one of a thousand never shows as 0.00%; only a true zero shows as 0%."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value == 0:
        return "0%"
    return f"{value * 100:.3f}%" if value < 0.01 else f"{value * 100:.2f}%"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:,.{digits}f}%"


# ---------------------------------------------------------------------------- times and messages
BEIJING = ZoneInfo("Asia/Shanghai")
_EN_TAIL = re.compile(r"\s*[(（][^()（）\u4e00-\u9fff]*[A-Za-z][^()（）\u4e00-\u9fff]*[)）]")


def beijing(value: str | dt.datetime | None, seconds: bool = True) -> str:
    """A UTC time (ISO text as the ledger and manifests keep it, or a datetime) as Beijing
    time, "2026-12-02 04:28:03"; files keep UTC, the screen shows this."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def message(text: str, lang: str) -> str:
    """A user error in the screen's language: the library's messages are "中文 (english)";
    the Chinese screen drops the English brackets, the English one keeps the whole text."""
    if lang == "en":
        return text
    return _EN_TAIL.sub("", text).strip() or text


def yes_no(value, lang: str) -> str:
    """true/false/1/0/None as 是/否/– (yes/no/–)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = str(value).strip().lower()
    if v in ("true", "1", "yes", "是"):
        return pick(("是", "yes"), lang)
    if v in ("false", "0", "no", "否"):
        return pick(("否", "no"), lang)
    return str(value) if v not in ("", "none", "nan") else "–"


# ------------------------------------------------------------------------- first start (app)
DEMO_STEPS = {  # the first start's progress bar, stage by stage (app_support.bootstrap)
    "modules": ("加载演示数据生成模块", "loading the demo builder"),
    "entities": ("生成检查对象名录", "generating the entity register"),
    "inspectors": ("生成执法检查人员与回避关系", "generating inspectors and conflicts"),
    "records": ("生成信用记录", "generating credit records"),
    "inspections": ("生成历史检查结果", "generating past inspections"),
    "tasks": ("生成检查事项、任务与导入等级", "generating items, tasks and imported tiers"),
    "write": ("写入数据表", "writing the tables"),
    "scorer": ("加载评分模块", "loading the scorer"),
    "validate": ("读取并校验数据表", "reading and validating the tables"),
    "score": ("计算信用分并训练风险模型", "scoring and training the risk model"),
    "save": ("保存评分并记入账本", "saving the scores to the ledger"),
    "done": ("完成", "done"),
}


# ------------------------------------------------------- indicators, data page, rejections (app)
INDICATOR_LABELS_EN = {  # the Chinese names are the indicator specs' own labels (scoring.config)
    "age_years": "years since registration",
    "capital_level": "registered capital (log10 of 10k yuan)",
    "enterprise": "enterprise legal person",
    "cooperative": "farmers' cooperative",
    "annual_report_late": "annual report late",
    "abnormal_operation": "on the abnormal-operation list",
    "commitment_broken": "credit commitment broken",
    "commitment_kept": "credit commitment kept",
    "penalty_minor": "administrative penalty (minor)",
    "penalty_general": "administrative penalty (general)",
    "penalty_serious": "administrative penalty (serious)",
    "serious_dishonesty": "on the serious-dishonesty list",
    "court_dishonest_debtor": "dishonest judgment debtor",
    "inspection_problem": "inspection found a problem",
    "inspection_clean": "inspection found no problem",
    "related_dishonest": "related party (same legal rep.) seriously dishonest",
    "commendation": "commendation or award",
    "complaint": "complaint or report",
    "tax_grade_A": "tax credit grade A",
    "tax_grade_B": "tax credit grade B",
    "tax_grade_C": "tax credit grade C",
    "tax_grade_D": "tax credit grade D",
    "sector_rating_A": "sector credit rating A",
    "sector_rating_B": "sector credit rating B",
    "sector_rating_C": "sector credit rating C",
    "sector_rating_D": "sector credit rating D",
}
DIRECTION_LABELS = {"+": ("加分", "adds"), "-": ("扣分", "deducts")}


def indicator_label(code: str, spec_label: str, lang: str) -> str:
    """An indicator's name: the spec's Chinese label, or the English name (the code when a
    workspace defines an indicator this table does not know)."""
    if lang == "en":
        return INDICATOR_LABELS_EN.get(code, code)
    return spec_label or code


REJECTION_HEADERS = {
    "table": ("表", "table"),
    "file": ("文件", "file"),
    "row": ("行号", "row"),
    "column": ("列", "column"),
    "message": ("原因", "reason"),
}


def field_label(table: str, column: str, lang: str) -> str:
    """A table's column as the clerk's file names it: 成立日期 in Chinese, registered_on in
    English."""
    if lang == "en" or table not in TABLES:
        return column
    spec = next((c for c in TABLES[table].columns if c.name == column), None)
    return spec.label if spec is not None else column_label(column, lang)


def localise_codes(text: str, lang: str, table: str | None = None) -> str:
    """A library message in the screen's language: on the Chinese screen the English tail goes,
    `table`'s column codes become their Chinese names ("必填项 uscc（统一社会信用代码）为空" ->
    "必填项 统一社会信用代码 为空"), then the table codes ("records 中 …" -> "信用记录 中 …")."""
    text = message(text, lang)
    if lang == "en":
        return text
    names = list(TABLES[table].columns) if table in TABLES else []
    for c in sorted(names, key=lambda c: -len(c.name)):
        text = text.replace(f"{c.name}（{c.label}）", c.label)
        text = _word(c.name).sub(c.label, text)
    for name, spec in TABLES.items():
        text = _word(name).sub(spec.label, text)
    return text


def _word(code: str) -> re.Pattern:
    return re.compile(rf"(?<![A-Za-z0-9_.\-]){re.escape(code)}(?![A-Za-z0-9_\-])")


def rejection_rows(
    errors: list[dict], lang: str, files: dict[str, str] | None = None
) -> list[dict]:
    """Validation errors as rows a clerk can act on: table, file, row, column, reason, with
    headers and codes in the screen's language. `files` names each table's file when an error
    does not (a table read from one file)."""
    files = files or {}
    head = {k: pick(v, lang) for k, v in REJECTION_HEADERS.items()}
    rows = []
    for e in errors:
        table = str(e.get("table", ""))
        rows.append(
            {
                head["table"]: table_label(table, lang) if table in TABLES else table,
                head["file"]: e.get("file") or files.get(table, ""),
                head["row"]: e.get("row"),
                head["column"]: field_label(table, str(e.get("column", "")), lang),
                head["message"]: localise_codes(str(e.get("message", "")), lang, table),
            }
        )
    return rows


# ---------------------------------------------------------------- tasks (抽查任务)
TASK_COLUMNS = {
    "department": ("部门", "department"),
    "item_names": ("检查事项", "items"),
    "inspector_names": ("执法检查人员（所属单位）", "inspectors (unit)"),
    "category": ("结果类别", "category"),
    "expected": ("预计抽取", "expected"),
    "in_scope": ("范围内", "in scope"),
    "tiers_as_of": ("等级截至", "tiers as of"),
    "visits": ("检查人次", "inspector visits"),
    "visits_per_inspector": ("人均", "per inspector"),
    "short": ("人员不足", "short"),
    "tier_sources": ("等级来源", "tier source"),
}
COLUMNS.update({k: v for k, v in TASK_COLUMNS.items() if k not in COLUMNS})
