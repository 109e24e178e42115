"""The task page's tab "results and publication": categorised results for one drawn task
(a file, or typed into the table: every typed row is submitted, a bad one comes back rejected
with its reason), then its publication (`tiered results --task`, `tiered publish --task`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import i18n, taskview
from tables import clock
from tiered.files import csv_bom_bytes
from tiered.layout import Layout
from tiered.publish.tasks import publish_task
from tiered.results import import_results, read_results
from tiered.tasks.lists import TaskDraw
from tiered.tasks.model import Task
from tiered.workspace import Workspace


def render(ws: Workspace, task: Task, drawn: TaskDraw | None, row: dict, lang: str) -> None:
    path, lay, cfg, task_id = ws.path, Layout.of(ws.path), ws.config, task.task_id
    if drawn is None:
        st.info(T("请先抽签。", "Draw the task first."))
    else:
        results = read_results(lay.task_results(task_id))
        labels = taskview.category_options(lang)
        c = st.columns(4)
        common.metric(c[0], T("待检查主体", "To inspect"), i18n.fmt_int(row["drawn"]))
        common.metric(c[1], T("已录入结果", "Results"), i18n.fmt_int(row["results"]))
        common.metric(
            c[2],
            T("发现问题", "Problems found"),
            i18n.fmt_int((results["found_problem"] == "true").sum()),
        )
        common.metric(
            c[3],
            T("无法联系", "Unreachable"),
            i18n.fmt_int((results["category"] == "unreachable").sum()),
        )

        def _import(data: bytes, suffix: str, source: str) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                f = Path(tmp) / f"{source}{suffix}"
                f.write_bytes(data)
                with common.errors():
                    s = import_results(path, None, f, actor=common.actor(), task=task_id)
            common.clear_caches()
            common.flash_import(s)
            if s.rejected:
                st.session_state["task_rejected"] = task_id
            st.rerun()

        up_tab, edit_tab = st.tabs(
            [T("上传结果文件", "Upload a file"), T("在表格中录入", "Fill in")]
        )
        with up_tab:
            st.caption(
                T(
                    "列：统一社会信用代码、日期、结果类别（或是否发现问题）、检查事项、检查结果",
                    "Columns: uscc, date, category (or found_problem), item, result",
                )
            )
            up = st.file_uploader(
                T("结果文件", "Results file"), type=["csv", "xlsx"], key="task_res_file"
            )
            if up is not None and st.button(T("导入", "Import"), key="task_res_import"):
                _import(up.getvalue(), Path(up.name).suffix.lower(), Path(up.name).stem)
        with edit_tab:
            todo = drawn.listed[~drawn.listed["uscc"].isin(set(results["uscc"]))]
            todo = todo[todo["replaced_reason"].isin(["", "unreachable"])]
            edit = pd.DataFrame(
                {
                    "uscc": todo["uscc"],
                    "name": todo["name"],
                    "date": pd.NaT,
                    "category": None,
                    "item": ";".join(task.items),
                    "result": "",
                }
            )
            st.caption(
                T(
                    f"尚未录入结果的 {len(edit):,} 户。填写过的每一行都会提交；缺少日期或结果类别的"
                    "行会被拒收并说明原因。",
                    f"{len(edit):,} entities without a result. Every row you fill in is "
                    "submitted; one without a date or category is rejected with its reason.",
                )
            )
            edited = st.data_editor(
                edit,
                hide_index=True,
                disabled=["uscc", "name"],
                column_config={
                    "uscc": i18n.column_label("uscc", lang),
                    "name": i18n.column_label("name", lang),
                    "date": st.column_config.DateColumn(
                        i18n.column_label("date", lang), max_value=clock.today()
                    ),
                    "category": st.column_config.SelectboxColumn(
                        i18n.column_label("category", lang), options=list(labels.values())
                    ),
                    "item": i18n.column_label("item", lang),
                    "result": i18n.column_label("result", lang),
                },
                key="task_res_editor",
                placeholder="",  # an empty cell to fill in, not "None"
            )
            if st.button(T("保存录入的结果", "Save the results entered"), key="task_res_save"):
                rows_in = taskview.entered_results(edited, lang)
                if rows_in.empty:
                    st.warning(T("表格中没有填写任何结果。", "Nothing was entered."))
                else:
                    _import(csv_bom_bytes(rows_in), ".csv", f"app-entry-{task_id}")
        rej = lay.rejected_task_results(task_id)
        if st.session_state.get("task_rejected") == task_id and rej.is_file():
            why = pd.read_csv(rej, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            if len(why):
                st.warning(T("最近一次导入拒收的行及原因：", "Rows the last import rejected:"))
                why = why[[c for c in ("row", "uscc", "reason") if c in why.columns]]
                why["reason"] = [i18n.message(x, lang) for x in why["reason"]]
                st.dataframe(why, hide_index=True)
        if len(results):
            shown = results[["uscc", "date", "category", "found_problem", "item", "result"]].copy()
            shown["category"] = shown["category"].map(lambda v: labels.get(v, v or ""))
            shown["found_problem"] = [i18n.yes_no(v, lang) for v in shown["found_problem"]]
            st.dataframe(
                shown.rename(columns=i18n.column_labels(shown.columns, lang)), hide_index=True
            )
        st.subheader(T("公示", "Publication"))
        st.caption(taskview.deadline_text(row, lang))
        outstanding = row["without_result"]["entities"]
        confirm = True
        if len(results) and outstanding:
            confirm = st.checkbox(
                T(
                    f"我已知悉尚有 {outstanding:,} 户未录入结果，仍要先公示已录入的结果",
                    f"I know {outstanding:,} results are outstanding and want to publish the "
                    "recorded ones now",
                ),
                key="task_publish_partial",
            )
        if st.button(
            T("生成公示名单", "Publish"),
            type="primary",
            key="task_publish",
            disabled=not len(results) or not confirm,
        ):
            with common.errors(), st.spinner(T("正在生成…", "Publishing…")):
                s = publish_task(path, task_id, actor=common.actor(), config=cfg.publish)
            st.success(
                T(
                    f"已公示 {s.rows:,} 条（账本 #{s.ledger_seq}）",
                    f"Published {s.rows:,} rows (ledger #{s.ledger_seq})",
                )
            )
            for w in s.warnings:
                st.warning(i18n.message(w, lang))
            if s.abnormal_operation:
                st.warning(
                    T(
                        f"{len(s.abnormal_operation)} 户通过登记的住所（经营场所）无法联系：请启动"
                        "列入经营异常名录程序。",
                        f"{len(s.abnormal_operation)} unreachable at the registered address: "
                        "start the abnormal-operation list procedure.",
                    )
                )
        for suffix, mime in ((".xlsx", common.XLSX_MIME), (".csv", "text/csv")):
            f = lay.task_publication(task_id, suffix)
            if f.exists():
                st.download_button(
                    T(f"下载公示名单 {f.name}", f"Download public list {f.name}"),
                    f.read_bytes(),
                    file_name=f.name,
                    mime=mime,
                    key=f"task_pub{suffix}",
                )
