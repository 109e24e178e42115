"""The staff task page's tables, without Streamlit: the year's tasks with their scope in words,
state and deadlines (from `tiered.tasks.status`), and the results table a clerk fills in.

Words are (中文, English) pairs picked by the screen's language, as everywhere in the app.
"""

from __future__ import annotations

import pandas as pd

from app_support import i18n
from tables import clock
from tables.spec import FIXED_VOCABULARIES, RESULT_CATEGORIES
from tiered.draws.readable import REGION_NAMES
from tiered.tasks.model import Task

ENTITY_TYPES_EN = {"enterprise": "enterprises", "individual": "individual businesses"}
CATEGORIES_EN = {
    "normal": "normal",
    "corrected": "problem found, corrected",
    "pending": "problem found, follow-up pending",
    "not_disclosed": "required information not disclosed",
    "false_disclosure": "disclosed information false",
    "unreachable": "unreachable at the registered address",
    "refused": "refused the inspection",
    "no_activity": "no activity of the inspected kind found",
}


def _region(code: str) -> str:
    return REGION_NAMES.get(code, code)


def scope_text(task: Task, lang: str, sector_labels: dict[str, str] | None = None) -> str:
    """ "食品药品、卫生健康 · 民和县 · 企业 · 比例 5%" / "food & drugs, health care · ..."."""
    parts = []
    if task.sectors:
        sep = "、" if lang != "en" else ", "
        parts.append(sep.join(i18n.sector_label(s, lang, sector_labels) for s in task.sectors))
    else:
        parts.append(i18n.pick(("全部行业", "all sectors"), lang))
    regions = task.regions or ((task.jurisdiction,) if task.jurisdiction else ())
    if regions:
        parts.append(("、" if lang != "en" else ", ").join(_region(r) for r in regions))
    else:
        parts.append(i18n.pick(("全市", "whole city"), lang))
    if task.entity_types:
        zh = FIXED_VOCABULARIES["entity_type"]
        words = [
            zh.get(t, t) if lang != "en" else ENTITY_TYPES_EN.get(t, t) for t in task.entity_types
        ]
        parts.append(("、" if lang != "en" else ", ").join(words))
    if task.directed:
        parts.append(
            i18n.pick((f"定向 {len(task.targets)} 户", f"directed, {len(task.targets)}"), lang)
        )
    if task.count is not None:
        parts.append(i18n.pick((f"抽取 {task.count} 户", f"{task.count} entities"), lang))
    elif task.ratio is not None:
        parts.append(i18n.pick((f"比例 {task.ratio:.1%}", f"ratio {task.ratio:.1%}"), lang))
    elif task.directed:
        parts.append(i18n.pick(("全部检查", "all inspected"), lang))
    return " · ".join(parts)


# the people's list (`tiered.draws.readable` keys) on the English screen
LIST_EN = {
    "no": "no.",
    "uscc": "USCC",
    "name": "name",
    "sector_label": "sector",
    "region_label": "region",
    "tier_label": "tier",
    "probability": "inclusion probability",
    "inspector_names": "inspectors by department",
    "task": "task",
    "item_names": "items",
    "ticket": "ticket",
}

STATUS = {
    "planned": ("计划中", "planned"),
    "drawn": ("已抽取", "drawn"),
    "inspecting": ("检查中（部分结果已录入）", "inspecting (some results filed)"),
    "filed": ("结果已录入，待公示", "results filed, not all published"),
    "published": ("已公示", "published"),
}


def deadline_text(row: dict, lang: str) -> str:
    """The next deadline in words: results due after the window, or publication due."""
    wait = row["unpublished"]
    if wait["results"]:
        left = wait["working_days_left"]
        what = ("公示", "publish")
        due = wait["next_due"]
    elif row["without_result"]["entities"]:
        left = row["without_result"]["working_days_left"]
        what = ("录入结果", "results")
        due = row["without_result"]["due"]
    else:
        return "–"
    if left < 0:
        return i18n.pick(
            (
                f"{what[0]}已逾期 {-left} 个工作日（{due}）",
                f"{what[1]} {-left} working days overdue ({due})",
            ),
            lang,
        )
    return i18n.pick(
        (
            f"{what[0]}截止 {due}，剩 {left} 个工作日",
            f"{what[1]} due {due}, {left} working days left",
        ),
        lang,
    )


def task_table(
    tasks: dict[str, Task],
    status: list[dict],
    year: int,
    lang: str,
    sector_labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per task whose window meets `year`, in start order: what the page lists."""
    state = {r["task_id"]: r for r in status}
    rows = []
    for t in sorted(tasks.values(), key=lambda t: (t.start, t.task_id)):
        if not t.start.year <= year <= t.end.year:
            continue
        s = state.get(t.task_id)
        if s is None:
            continue
        rows.append(
            {
                i18n.pick(("任务编号", "task"), lang): t.task_id,
                i18n.pick(("任务名称", "name"), lang): t.name,
                i18n.pick(("状态", "status"), lang): i18n.pick(STATUS[s["status"]], lang),
                i18n.pick(("下一期限", "next deadline"), lang): deadline_text(s, lang),
                i18n.pick(("检查期间", "window"), lang): f"{t.start:%Y-%m-%d} – {t.end:%Y-%m-%d}",
                i18n.pick(("部门（牵头在前）", "departments (lead first)"), lang): "、".join(
                    t.departments
                ),
                i18n.pick(("联合", "joint"), lang): i18n.yes_no(t.joint, lang),
                i18n.pick(("抽中", "drawn"), lang): s["drawn"],
                i18n.pick(("已录入", "results"), lang): s["results"],
                i18n.pick(("已公示", "published"), lang): s["published"],
                i18n.pick(("范围", "scope"), lang): scope_text(t, lang, sector_labels),
            }
        )
    return pd.DataFrame(rows)


def task_years(tasks: dict[str, Task]) -> list[int]:
    years = {y for t in tasks.values() for y in range(t.start.year, t.end.year + 1)}
    return sorted(years) or [clock.today().year]


def category_options(lang: str) -> dict[str, str]:
    """code -> label shown in the results table's category column."""
    if lang == "en":
        return dict(CATEGORIES_EN)
    return dict(RESULT_CATEGORIES)


def entered_results(edited: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every row the clerk typed into (date, category, item or result), in the results file's
    columns (uscc, date, category, item, result): the import accepts or rejects each with its
    reason, a row without a date included, so nothing typed is dropped silently."""
    back = {label: code for code, label in category_options(lang).items()}
    category = edited["category"].map(lambda v: back.get(v, v) if isinstance(v, str) else None)
    text = [edited[c].fillna("").astype(str).str.strip() != "" for c in ("item", "result")]
    touched = edited["date"].notna() | category.notna() | text[0] | text[1]
    out = edited.loc[touched, ["uscc", "date", "item", "result"]].copy()
    out.insert(2, "category", category[touched].fillna(""))
    dates = pd.to_datetime(out["date"], errors="coerce")
    out["date"] = [d.strftime("%Y-%m-%d") if pd.notna(d) else "" for d in dates]
    return out.reset_index(drop=True)
