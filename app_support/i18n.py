"""Chinese-first display strings, with English as the switch; number formatting.

Page-specific sentences sit next to their page as (中文, English) pairs; the shared vocabulary
(roles, tiers, sectors, columns, page titles) is here so every page and chart says the same.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from zoneinfo import ZoneInfo

from scoring.config import DIMENSION_LABELS_EN, DIMENSIONS
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
    **{d: (DIMENSIONS[d], DIMENSION_LABELS_EN[d]) for d in DIMENSIONS},
}


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
    return pick(COLUMNS[name], lang) if name in COLUMNS else name


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


def audit_lines(report, lang: str) -> list[str]:
    """A `tiered.ledger.audit.AuditReport` as lines in the app's language (its own `lines()` are the
    CLI's bilingual ones). Findings keep their message, which already carries English."""
    if lang != "en":
        return report.lines()
    head = (
        f"Ledger intact: {report.entries:,} entries, head {report.head_hash[:16]}"
        if report.ok
        else f"Ledger broken: {len(report.problems):,} problems"
    )
    return (
        [head]
        + [f"Problem: {p.message}" for p in report.problems]
        + [f"Warning: {w.message}" for w in report.warnings]
    )


# ---------------------------------------------------------------------------- times and ledger
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


KIND_LABELS = {
    "score_run": ("信用评分", "score run"),
    "config_change": ("配置修改", "config change"),
    "threshold_change": ("阈值修改", "threshold change"),
    "draw": ("月度抽签", "draw"),
    "draw_replaced": ("重新抽签", "redraw"),
    "task_draw": ("任务抽签", "task draw"),
    "commitment": ("抽签前承诺", "commitment"),
    "replacement": ("替换抽中主体", "replacement"),
    "results_import": ("录入检查结果", "results import"),
    "publication": ("结果公示", "publication"),
    "data_upload": ("上传数据表", "data upload"),
    "data_restore": ("恢复数据表", "data restore"),
    "optimise_apply": ("采用优化比例", "optimised rates applied"),
    "sign_in_lockout": ("登录锁定", "sign-in lockout"),
}
PAYLOAD_LABELS = {
    "month": ("月份", "month"),
    "task": ("任务", "task"),
    "task_id": ("任务", "task"),
    "table": ("表", "table"),
    "file": ("文件", "file"),
    "original_name": ("原文件名", "uploaded as"),
    "version": ("配置版本", "config version"),
    "as_of": ("基准日", "as of"),
    "seed": ("种子", "seed"),
    "drawn": ("抽取", "drawn"),
    "entities": ("主体数", "entities"),
    "rows": ("行数", "rows"),
    "added": ("新增", "added"),
    "unchanged": ("已存在", "already recorded"),
    "rejected": ("拒收", "rejected"),
    "late": ("逾期", "late"),
    "published_on": ("公示日", "published on"),
    "uscc": ("统一社会信用代码", "USCC"),
    "username": ("用户名", "username"),
    "failures": ("失败次数", "failures"),
    "locked_until": ("锁定至", "locked until"),
}


def _value(key: str, v, lang: str) -> str:
    if isinstance(v, bool):
        return yes_no(v, lang)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return fmt_int(v) if float(v).is_integer() else f"{v:,.4g}"
    if key == "locked_until":
        return beijing(v)
    if isinstance(v, list | dict):
        return pick((f"{len(v)} 项", f"{len(v)} items"), lang)
    return str(v)


def ledger_rows(entries, lang: str, names: dict[str, str] | None = None) -> list[dict]:
    """Ledger entries as readable rows: #, time (Beijing), who, what, details, reason."""
    names = names or {}
    head = {
        "seq": "#",
        "time": pick(("时间（北京时间）", "time (Beijing)"), lang),
        "who": pick(("操作人", "who"), lang),
        "what": pick(("操作", "what"), lang),
        "details": pick(("内容", "details"), lang),
        "reason": pick(("原因", "reason"), lang),
    }
    rows = []
    for e in entries:
        p = e.payload or {}
        reason = p.get("reason") or (p.get("replaced") or {}).get("reason") or ""
        details = "；".join(
            f"{pick(PAYLOAD_LABELS[k], lang)} {_value(k, v, lang)}"
            for k, v in p.items()
            if k in PAYLOAD_LABELS and v not in (None, "", [], {})
        )
        who = names.get(e.actor)
        rows.append(
            {
                head["seq"]: e.seq,
                head["time"]: beijing(e.time),
                head["who"]: f"{who}（{e.actor}）" if who else e.actor,
                head["what"]: pick(KIND_LABELS.get(e.kind, (e.kind, e.kind)), lang),
                head["details"]: details,
                head["reason"]: reason,
            }
        )
    return rows
