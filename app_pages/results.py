"""Staff: record a month's inspection results (upload a file or fill in the table) and publish."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import drawprep, i18n
from tables import clock
from tiered.draws import supersede as supersession
from tiered.files import csv_bom_bytes
from tiered.layout import Layout
from tiered.publish.publication import publish, publish_preview
from tiered.results import import_results, read_draw, read_results

common.guard(__file__)
lang = common.lang()
path = common.ws_path()

months = [str(m) for m in reversed(Layout.of(path).draw_months())]
if not months:
    st.info(
        T(
            "还没有抽查名单：请先在“月度抽查”页面抽签。",
            "No inspection list yet: make a draw on the 'Monthly draw' page first.",
        )
    )
    st.stop()
month = st.selectbox(T("月份", "Month"), months, key="res_month")
with common.errors():
    drawn = read_draw(path, month)
results = read_results(Layout.of(path).results(month))
done = results["uscc"].nunique() if len(results) else 0
c1, c2, c3 = st.columns(3)
c1.metric(T("抽中主体", "Entities drawn"), i18n.fmt_int(len(drawn)))
c2.metric(T("已录入结果", "Results recorded"), i18n.fmt_int(done))
c3.metric(
    T("发现问题", "Problems found"),
    i18n.fmt_int((results["found_problem"] == "true").sum() if len(results) else 0),
)


def _import(data: bytes, suffix: str, source: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / f"{source}{suffix}"
        f.write_bytes(data)
        with common.errors():
            s = import_results(path, month, f, actor=common.actor())
    common.clear_caches()
    common.flash_import(s)
    st.rerun()


tab_up, tab_edit = st.tabs(
    [T("上传结果文件", "Upload a results file"), T("在表格中录入", "Fill in the table")]
)
with tab_up:
    st.caption(
        T(
            "列：统一社会信用代码、日期、是否发现问题、检查事项、检查结果（CSV/XLSX）",
            "Columns: uscc, date, found_problem, item, result (CSV/XLSX)",
        )
    )
    up = st.file_uploader(T("结果文件", "Results file"), type=["csv", "xlsx"], key="res_file")
    if up is not None and st.button(T("导入", "Import"), type="primary", key="res_import"):
        _import(up.getvalue(), Path(up.name).suffix.lower(), Path(up.name).stem)

with tab_edit:
    recorded = set(results["uscc"]) if len(results) else set()
    todo = drawn[~drawn["uscc"].isin(recorded)][["uscc", "name", "inspectors"]].copy()
    todo["date"] = pd.NaT
    todo["found_problem"] = None
    todo["item"] = ""
    todo["result"] = ""
    st.caption(
        T(
            f"尚未录入结果的 {len(todo):,} 户。填写过的每一行都会提交：缺少日期或是否发现问题"
            "的行会被拒收并说明原因，不会被忽略。",
            f"{len(todo):,} entities without a result. Every row you fill in is submitted: one "
            "without a date or an outcome is rejected with its reason, never ignored.",
        )
    )
    choices = [drawprep.YES, drawprep.NO] if lang == "zh" else ["yes", "no"]
    edited = st.data_editor(
        todo,
        hide_index=True,
        disabled=["uscc", "name", "inspectors"],
        column_config={
            "uscc": i18n.column_label("uscc", lang),
            "name": i18n.column_label("name", lang),
            "inspectors": i18n.column_label("inspectors", lang),
            "date": st.column_config.DateColumn(
                i18n.column_label("date", lang), max_value=clock.today()
            ),
            "found_problem": st.column_config.SelectboxColumn(
                i18n.column_label("found_problem", lang), options=choices
            ),
            "item": i18n.column_label("item", lang),
            "result": i18n.column_label("result", lang),
        },
        key="res_editor",
        placeholder="",  # an empty cell to fill in, not "None"
    )
    if st.button(T("保存录入的结果", "Save the results entered"), key="res_save"):
        rows = drawprep.entered_results(edited)
        if rows.empty:
            st.warning(
                T(
                    "表格中没有填写任何结果。",
                    "Nothing was entered in the table.",
                )
            )
        else:
            _import(csv_bom_bytes(rows), ".csv", f"app-entry-{month}")

# The rejected file holds the latest import's refusals; its ledger entry says how many.
imports = supersession.current_entries(path, month, "results_import")  # not superseded ones
n_rej = int(imports[-1].payload.get("rejected", 0)) if imports else 0
rej = Layout.of(path).rejected_results(month)
if n_rej and rej.exists():
    st.warning(
        T(
            f"最近一次导入拒收 {n_rej:,} 行，原因如下；可下载后修改再导入。",
            f"The latest import rejected {n_rej:,} rows (reasons below); download, fix and "
            "import again.",
        )
    )
    rej_df = pd.read_csv(rej, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    why = rej_df[[c for c in ("row", "reason") if c in rej_df.columns]].copy()
    if "reason" in why:
        why["reason"] = [i18n.message(m, lang) for m in why["reason"]]
    st.dataframe(
        why.rename(columns={"row": i18n.column_label("row", lang), "reason": T("原因", "reason")}),
        hide_index=True,
    )
    st.download_button(
        T("下载被拒收的结果行", "Download rejected result rows"),
        rej.read_bytes(),
        file_name=rej.name,
        mime="text/csv",
        key="res_rej",
    )

if len(results):
    st.subheader(T("已录入的结果", "Recorded results"))
    shown = results.copy()
    if "found_problem" in shown:
        shown["found_problem"] = [i18n.yes_no(v, lang) for v in shown["found_problem"]]
    shown = shown.replace({"None": "", "nan": ""})
    st.dataframe(shown.rename(columns=i18n.column_labels(shown.columns, lang)), hide_index=True)

st.subheader(T("公示", "Publication"))
st.caption(
    T(
        "生成公示名单（个人信息已脱敏），并检查是否在检查结束后20个工作日内公示。",
        "Writes the public list (personal data masked) and checks the 20-working-day rule.",
    )
)
with common.errors():
    pre = publish_preview(path, month, config=common.workspace().config.publish)
missing = pre.outstanding
if len(results) and len(missing):
    st.warning(
        T(
            f"尚有 {len(missing):,} / {pre.drawn:,} 户未录入结果；现在公示只包含已录入的 "
            f"{pre.drawn - len(missing):,} 户。未录入的主体若在月底前完成检查，最迟应于 "
            f"{missing['due_if_inspected_by_month_end'].iloc[0]} 公示。",
            f"{len(missing):,} of {pre.drawn:,} entities have no result yet; publishing now "
            f"lists only the {pre.drawn - len(missing):,} recorded. If inspected by the month's "
            f"end they are due by {missing['due_if_inspected_by_month_end'].iloc[0]}.",
        )
    )
rec = pre.recorded
with st.expander(
    T(
        f"公示前预览：未录入 {len(missing):,} 户 · 已录入 {len(rec):,} 户的公示期限",
        f"Before publishing: {len(missing):,} outstanding · deadlines of {len(rec):,} results",
    )
):
    st.dataframe(
        pd.DataFrame(
            {
                i18n.column_label("uscc", lang): missing["uscc"],
                i18n.column_label("name", lang): missing["name"],
                T("最迟公示日（按月底完成检查计）", "due if inspected by month end"): missing[
                    "due_if_inspected_by_month_end"
                ],
            }
        ),
        hide_index=True,
    )
    st.dataframe(
        pd.DataFrame(
            {
                i18n.column_label("uscc", lang): rec["uscc"],
                T("检查日期", "inspected on"): rec["date"],
                T("最迟公示日（20个工作日）", "due (20 working days)"): rec["due"],
                T("剩余工作日", "working days left"): [
                    str(n) if n >= 0 else T(f"已逾期 {-n}", f"{-n} overdue")
                    for n in rec["working_days_left"]
                ],
            }
        ),
        hide_index=True,
    )
confirm = True
if len(results) and len(missing):
    confirm = st.checkbox(
        T(
            f"我已知悉尚有 {len(missing):,} 户未录入结果，仍要先公示已录入的结果",
            f"I know {len(missing):,} results are outstanding and want to publish the "
            "recorded ones now",
        ),
        key="publish_partial",
    )
if st.button(
    T("生成公示名单", "Publish"),
    type="primary",
    disabled=not len(results) or not confirm,
    key="publish",
):
    with common.errors(), st.spinner(T("正在生成…", "Publishing…")):
        s = publish(path, month, actor=common.actor(), config=common.workspace().config.publish)
    st.success(
        T(
            f"已公示 {s.rows:,} 条（账本 #{s.ledger_seq}）",
            f"Published {s.rows:,} rows (ledger #{s.ledger_seq})",
        )
    )
    for w in s.warnings:
        st.warning(i18n.message(w, lang))
    if s.late:
        st.warning(
            T(f"{len(s.late)} 条超过公示期限", f"{len(s.late)} published after the deadline")
        )
for suffix, mime in (
    (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (".csv", "text/csv"),
):
    f = Layout.of(path).publication(month, suffix)
    if f.exists():
        st.download_button(
            T(f"下载公示名单 {f.name}", f"Download public list {f.name}"),
            f.read_bytes(),
            file_name=f.name,
            mime=mime,
            key=f"pub{suffix}",
        )
last = supersession.current_entries(path, month, "publication")
if last:
    st.caption(
        T(
            f"最近一次公示：{i18n.beijing(last[-1].time)}（北京时间），操作人 {last[-1].actor}",
            f"Last published {i18n.beijing(last[-1].time)} (Beijing time) by {last[-1].actor}",
        )
    )
