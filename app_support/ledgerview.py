"""The ledger as people read it (Settings): each entry as #, Beijing time, who, what, reason,
details, in the screen's language; and the audit's findings in that language.

The reason comes before the details: it is what a reader of the ledger looks for (why a table
was replaced, a list redrawn, a config changed), and the details column is the long one.
"""

from __future__ import annotations

from app_support.i18n import beijing, fmt_int, message, pick, yes_no


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


# Every kind of entry the tiered commands write (tests/app/test_ledger_view.py checks the
# source for kinds without a label).
KIND_LABELS = {
    "genesis": ("账本创建", "ledger created"),
    "validation": ("数据校验", "validation"),
    "score_run": ("信用评分", "score run"),
    "config_change": ("配置修改", "config change"),
    "threshold_change": ("阈值修改", "threshold change"),
    "draw": ("月度抽签", "draw"),
    "draw_replaced": ("重新抽签", "redraw"),
    "task_draw": ("任务抽签", "task draw"),
    "task_draw_replaced": ("任务重新抽签", "task redraw"),
    "superseded": ("作废存档", "superseded"),
    "commitment": ("抽签前承诺", "commitment"),
    "commitment_replaced": ("重新承诺", "commitment replaced"),
    "replacement": ("替换抽中主体", "replacement"),
    "results_import": ("录入检查结果", "results import"),
    "publication": ("结果公示", "publication"),
    "table_replace": ("上传数据表", "table upload"),
    "table_restore": ("恢复数据表", "table restore"),
    "plan_report": ("年度计划报告", "annual plan report"),
    "optimise_apply": ("采用优化比例", "optimised rates applied"),
    "sign_in_lockout": ("登录锁定", "sign-in lockout"),
}
PAYLOAD_LABELS = {
    "month": ("月份", "month"),
    "task": ("任务", "task"),
    "task_id": ("任务", "task"),
    "year": ("年度", "year"),
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
    "replacements": ("替换", "replacements"),
    "published_on": ("公示日", "published on"),
    "uscc": ("统一社会信用代码", "USCC"),
    "username": ("用户名", "username"),
    "failures": ("失败次数", "failures"),
    "locked_until": ("锁定至", "locked until"),
}
SYSTEM_ACTORS = {"demo-setup": ("演示数据初始化", "demo setup")}  # actors that are no account


def kind_label(kind: str, lang: str) -> str:
    """A ledger kind in words; an unknown one (a later version's) as its words, not its code."""
    return pick(KIND_LABELS.get(kind, (kind.replace("_", " "),) * 2), lang)


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


def headings(lang: str) -> dict[str, str]:
    return {
        "seq": "#",
        "time": pick(("时间（北京时间）", "time (Beijing)"), lang),
        "who": pick(("操作人", "who"), lang),
        "what": pick(("操作", "what"), lang),
        "reason": pick(("原因", "reason"), lang),
        "details": pick(("内容", "details"), lang),
    }


def ledger_rows(entries, lang: str, names: dict[str, str] | None = None) -> list[dict]:
    """Ledger entries as readable rows: #, time (Beijing), who, what, reason, details."""
    from tiered.configversion import HAND_EDIT  # the tool's own reason, "中文 (english)"

    names = {**{k: pick(v, lang) for k, v in SYSTEM_ACTORS.items()}, **(names or {})}
    head = headings(lang)
    rows = []
    for e in entries:
        p = e.payload or {}
        reason = p.get("reason") or (p.get("replaced") or {}).get("reason") or ""
        if reason == HAND_EDIT:
            reason = message(reason, lang)
        details = "；".join(
            f"{pick(PAYLOAD_LABELS[k], lang)} {_value(k, v, lang)}"
            for k, v in p.items()
            if k in PAYLOAD_LABELS and v not in (None, "", [], {})
        )
        who = names.get(e.actor)
        if e.actor in SYSTEM_ACTORS:  # no account behind it: its words alone
            who, e_actor = None, who
        else:
            e_actor = e.actor
        rows.append(
            {
                head["seq"]: e.seq,
                head["time"]: beijing(e.time),
                head["who"]: f"{who}（{e_actor}）" if who else e_actor,
                head["what"]: kind_label(e.kind, lang),
                head["reason"]: reason,
                head["details"]: details,
            }
        )
    return rows


def widths(lang: str) -> dict[str, int | str]:
    """Column widths for the table (pixels, or Streamlit's "large"): narrow number and time, a
    wide reason, the long details last."""
    head = headings(lang)
    sizes = {"seq": 50, "time": 150, "who": 150, "what": 110, "reason": 300, "details": "large"}
    return {head[k]: w for k, w in sizes.items()}
