"""The data page's upload, and the guided first upload of a new workspace.

An upload is checked against the rest of the workspace first and written only after the user
has seen what would change and every rejected row (file, row, column, reason) and confirmed
(`tiered.upload`: the old version is kept and ledgered). A new workspace (no entities table
yet) gets the same upload one table at a time, in the order the tables depend on each other:
the register first, since every other table refers to it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import bootstrap, i18n
from tables.spec import TABLES
from tiered import upload
from tiered.workspace import SUFFIXES, find_table_files

# (table, what it is for, what it needs) in upload order: the register first (every table
# refers to it), then what scores use, then what draws use, then the optional task tables.
GUIDE: tuple[tuple[str, tuple[str, str], tuple[str, str]], ...] = (
    (
        "entities",
        (
            "全部检查对象：抽查对象从中抽取，其他各表都按统一社会信用代码对应到这里。",
            "every entity that may be inspected; all other tables refer to it by USCC.",
        ),
        ("必需。", "Required."),
    ),
    (
        "records",
        (
            "行政处罚、经营异常、失信名单、纳税信用等信用记录：信用分由此计算。",
            "penalties, abnormal-operation and dishonesty listings, tax grades: the score.",
        ),
        ("可选；没有它时信用分只看基础属性。", "Optional; without it scores use basics only."),
    ),
    (
        "inspections",
        (
            "以往抽查的结果：风险模型由此学习，回测也用它。",
            "past inspection results: the risk model learns from them; backtests use them.",
        ),
        ("可选；建议上传最近三年的结果。", "Optional; the last three years are best."),
    ),
    (
        "inspectors",
        (
            "执法检查人员：抽签时为每户随机分配两名。",
            "inspectors: a draw assigns two of them to each entity at random.",
        ),
        ("月度抽签需要。", "Needed for monthly draws."),
    ),
    (
        "conflicts",
        (
            "需要回避的人员与主体：抽签不会把他们分到一起。",
            "inspector–entity pairs that must not meet: a draw keeps them apart.",
        ),
        ("可选；须先上传执法检查人员名录库。", "Optional; upload the inspectors first."),
    ),
    (
        "items",
        ("抽查事项清单：任务按事项抽取。", "the inspection items that tasks draw for."),
        ("可选；用于抽查任务。", "Optional; for inspection tasks."),
    ),
    (
        "tasks",
        (
            "抽查任务：范围、比例、牵头与联合部门。",
            "inspection tasks: scope, ratio, lead and joint departments.",
        ),
        ("可选；须先上传抽查事项清单。", "Optional; upload the items first."),
    ),
    (
        "tiers",
        (
            "外部导入的信用风险分类结果（如总局分类）。",
            "imported credit-risk tiers (for example SAMR's).",
        ),
        ("可选。", "Optional."),
    ),
)


def _headline(plan: upload.UploadPlan, lang: str) -> str:
    if plan.mode == "replace" and plan.current_file is None:
        label = i18n.table_label(plan.table, lang)
        return T(
            f"将新建“{label}”，共 {plan.rows_after:,} 行",
            f"creates {label} with {plan.rows_after:,} rows",
        )
    zh, en = plan.headline()
    return T(zh, en)


def rejections(
    errors: list[dict], files: dict[str, str] | None = None, one_table: bool = False
) -> None:
    """Rejected rows as a table a clerk can act on: (table,) row, column, reason, file; the
    reason gets the room (at 1024 px it was cut off)."""
    lang = common.lang()
    rows = i18n.rejection_rows(errors, lang, files)
    if not rows:
        return
    df = pd.DataFrame(rows)
    head = {k: i18n.pick(v, lang) for k, v in i18n.REJECTION_HEADERS.items()}
    # row, column and reason first: at 1024 px they are what fits (the file is named above an
    # upload's table, and by the report's table column)
    order = ["table", "row", "column", "message", "file"]
    if one_table:  # an upload's own rows: the table is the one being uploaded
        order.remove("table")
    df = df[[head[k] for k in order]]
    widths = {"table": "medium", "file": "medium", "row": "small", "column": "small"}
    config = {head[k]: st.column_config.Column(width=w) for k, w in widths.items()}
    config[head["message"]] = st.column_config.Column(width="large")
    st.dataframe(df, hide_index=True, column_config=config)


def render(path: Path, table: str, prefix: str = "upload", next_step: str | None = None) -> None:
    """Upload one file as `table`: check, show the change and the rejected rows, confirm, write.
    Session keys start with `prefix`, so the guide's steps and the page's own upload never
    share a half-done file."""
    lang = common.lang()
    up = st.file_uploader(
        T(
            "CSV（UTF-8 或 GBK）、XLSX 或 Parquet；表头可用中文或英文",
            "CSV (UTF-8 or GBK), XLSX or Parquet; Chinese or English headers",
        ),
        type=[s.lstrip(".") for s in SUFFIXES],
        key=prefix,
    )
    if (
        up is not None
    ):  # kept in the session: the check, the confirmation and the write see one file
        data = up.getvalue()
        if hashlib.sha256(data).hexdigest() != st.session_state.get(f"{prefix}_done"):
            st.session_state[f"{prefix}_pending"] = {"name": up.name, "data": data}
    pending = st.session_state.get(f"{prefix}_pending")
    modes = {
        "replace": T("替换整表", "Replace the table"),
        "update": T("按代码更新/追加", "Update by key"),
    }
    mode = "replace"
    if table in find_table_files(path):  # a first upload has nothing to update
        mode = st.radio(
            T("方式", "Mode"),
            list(modes),
            format_func=modes.get,
            horizontal=True,
            key=f"{prefix}_mode",
        )
    if pending is None:
        return
    # Checked first, written only after confirmation (tiered.upload): an unusable file is
    # refused here and the current table stays as it is.
    digest = hashlib.sha256(pending["data"]).hexdigest()
    memo_key = (table, mode, digest, common.signature(path))
    memo = st.session_state.get(f"{prefix}_plan")
    if memo is None or memo[0] != memo_key:  # checking reads every table: once per file
        with common.errors(), st.spinner(T("正在校验…", "Checking…")):
            memo = (
                memo_key,
                upload.plan_bytes(path, table, pending["name"], pending["data"], mode),
            )
        st.session_state[f"{prefix}_plan"] = memo
    plan = memo[1]
    st.info(f"{pending['name']}：{_headline(plan, lang)}")
    for line in plan.lines()[2:]:  # orphans, duplicates, what needs a force (counts below)
        st.caption(i18n.localise_codes(line, lang, table))
    if plan.errors:
        st.warning(
            T(
                f"拒收 {plan.rejected_after:,} 行，原因如下（可改正后重新上传；其余 "
                f"{plan.accepted_after:,} 行可用）：",
                f"{plan.rejected_after:,} rows rejected, reasons below (fix and upload again; "
                f"the other {plan.accepted_after:,} rows are usable):",
            )
        )
        rejections(plan.errors, {table: pending["name"]}, one_table=True)
        if plan.rejected_after > len(plan.errors):
            st.caption(
                T(
                    f"仅列出前 {len(plan.errors)} 行；上传后可在校验报告中下载全部拒收行。",
                    f"Only the first {len(plan.errors)} are listed; after the upload the "
                    "validation report offers all rejected rows for download.",
                )
            )
    else:
        st.success(
            T(
                f"全部 {plan.accepted_after:,} 行通过校验。",
                f"All {plan.accepted_after:,} rows pass.",
            )
        )
    force = False
    if plan.needs_force:
        st.error(
            T(
                "此次上传将删除或孤立大部分数据："
                + "；".join(i18n.localise_codes(w, lang, table) for w in plan.needs_force),
                "This upload would remove or orphan most of the data: "
                + "; ".join(plan.needs_force),
            )
        )
        force = st.checkbox(
            T("我确认仍要这样做（旧版本会保存，可恢复）", "Do it anyway (the old version is kept)"),
            key=f"{prefix}_force",
        )
    reason = st.text_input(T("上传原因", "Reason"), key=f"{prefix}_reason")
    sure = st.checkbox(
        T("我已核对上述变化", "I have checked the change above"), key=f"{prefix}_sure"
    )
    blocked = not sure or not reason.strip() or (bool(plan.needs_force) and not force)
    if st.button(
        T("确认上传", "Confirm the upload"), type="primary", disabled=blocked, key=f"{prefix}_go"
    ):
        with common.errors():
            e = upload.apply_bytes(
                path, pending["name"], pending["data"], plan, reason, common.actor(), force
            )
        st.session_state.pop(f"{prefix}_pending", None)
        st.session_state[f"{prefix}_done"] = plan.sha256
        if next_step is not None:  # a step of the guide: keep the guide open for the next
            st.session_state["guide_used"] = True
        common.clear_caches()
        common.flash(
            T(
                f"已保存为 {e.payload['file']}（账本 #{e.seq}），旧版本可在下方恢复。",
                f"Saved as {e.payload['file']} (ledger #{e.seq}); the old version can be "
                "restored below.",
            )
            + (next_step or "")
        )
        st.rerun()


def _steps(path: Path) -> list[tuple[str, bool]]:
    present = find_table_files(path)
    return [(name, name in present) for name, _, _ in GUIDE]


def guide_pending(path: Path) -> bool:
    """True while a table of the guide is neither uploaded nor skipped."""
    skipped = st.session_state.get("guide_skipped", set())
    return any(not done and name not in skipped for name, done in _steps(path))


def guide_open(path: Path) -> bool:
    """Keep the guide open while a table a draw needs is missing, or once it was used in this
    browser session (its next step is then what the user is doing)."""
    present = find_table_files(path)
    return "inspectors" not in present or bool(st.session_state.get("guide_used"))


def guide(path: Path) -> None:
    """The first upload, table by table: which table now, what it needs, its blank template,
    the upload with its validation result, and what comes next."""
    lang = common.lang()
    skipped: set[str] = st.session_state.setdefault("guide_skipped", set())
    steps = _steps(path)
    todo = [n for n, done in steps if not done and n not in skipped]
    current = todo[0] if todo else None
    marks = []
    for i, (name, done) in enumerate(steps, start=1):
        label = i18n.table_label(name, lang)
        state = (
            T("已上传", "uploaded")
            if done
            else T("已跳过", "skipped")
            if name in skipped
            else T("当前步骤", "this step")
            if name == current
            else T("待上传", "to do")
        )
        icon = (  # Streamlit's own icon font: emoji are boxes where no emoji font is installed
            ":material/check_circle:"
            if done
            else ":material/skip_next:"
            if name in skipped
            else ":material/arrow_forward:"
            if name == current
            else ":material/radio_button_unchecked:"
        )
        line = f"{T(f'第 {i} 步', f'Step {i}')}：{label} · {state}"
        marks.append(f"{icon} **{line}**" if name == current else f"{icon} {line}")
    st.markdown("  \n".join(marks))
    if current is None:
        st.success(
            T(
                "所有步骤已完成：各表的校验结果见下方校验报告，可以开始评分与抽签。",
                "Every step is done: see the validation report below; scoring and draws can start.",
            )
        )
        return
    n = [name for name, _, _ in GUIDE].index(current) + 1
    _, what, needs = GUIDE[n - 1]
    spec = TABLES[current]
    st.markdown(f"#### {T(f'第 {n} 步', f'Step {n}')}：{i18n.table_label(current, lang)}")
    st.write(f"{T(*what)} {T(*needs)}")
    required = "、".join(c.label if lang == "zh" else c.name for c in spec.columns if c.required)
    optional = "、".join(
        c.label if lang == "zh" else c.name for c in spec.columns if not c.required
    )
    st.markdown(
        T(f"**必填列**：{required}", f"**Required columns**: {required}")
        + (T(f"  \n可选列：{optional}", f"  \nOptional columns: {optional}") if optional else "")
    )
    st.download_button(
        T(f"下载空白模板 {current}.csv（中文表头）", f"Blank template {current}.csv"),
        bootstrap.template_csv(current),
        file_name=f"{current}.csv",
        mime="text/csv",
        key=f"guide_template_{current}",
    )
    later = todo[1:]
    follow = (
        T(
            f" 下一步：上传“{i18n.table_label(later[0], lang)}”。",
            f" Next: upload {i18n.table_label(later[0], lang)}.",
        )
        if later
        else T(" 全部步骤已完成。", " Every step is done.")
    )
    render(path, current, prefix=f"guide_{current}", next_step=follow)
    if not spec.required_table and st.button(
        T("跳过此步（以后可在下方上传）", "Skip this step (upload it later below)"),
        key=f"guide_skip_{current}",
    ):
        skipped.add(current)
        st.rerun()
