"""The task page's tab "annual plan report": `tiered plan WS --year YYYY` made on request and
the year's saved report shown (expected entities per task and month, inspector visits per
department and county against those available, the frequency rules the plan would break)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import i18n
from tiered.draws import readable
from tiered.layout import Layout
from tiered.tasks.plan import plan_report
from tiered.workspace import Workspace


def render(ws: Workspace, year: int, lang: str) -> None:
    path, lay = ws.path, Layout.of(ws.path)
    st.caption(
        T(
            f"{year} 年各任务预计抽取户数（按月）、各部门各区县所需检查人次与在岗人数、计划会违反的"
            "频次规则。只写入报告和一条账本记录。",
            f"{year}: expected entities per task and month, inspector visits needed per "
            "department and county against those available, frequency rules the plan would "
            "break. Writes only the report and a ledger entry.",
        )
    )
    if st.button(T(f"生成 {year} 年度计划报告", f"Make the {year} plan report"), key="plan_go"):
        with common.errors(), st.spinner(T("正在计算…", "Computing…")):
            plan_report(path, year, actor=common.actor())
        st.rerun()
    report_file = lay.plan_report(year)
    if not report_file.is_file():
        st.info(T("尚未生成本年度计划报告。", "No plan report for this year yet."))
    else:
        rep = json.loads(report_file.read_text("utf-8"))
        st.caption(
            T(
                f"编制于 {rep.get('made_on', '')} · {i18n.message(rep['tiers']['rule'], lang)}",
                f"made on {rep.get('made_on', '')} · {rep['tiers']['rule'].split(' (', 1)[-1]}",
            )
            if "tiers" in rep
            else ""
        )
        rules = rep["rules_broken"]
        k = st.columns(4)
        common.metric(k[0], T("任务", "Tasks"), i18n.fmt_int(len(rep["tasks"])))
        common.metric(
            k[1],
            T("预计抽取", "Expected entities"),
            i18n.fmt_num(sum(t["expected"] for t in rep["tasks"])),
        )
        common.metric(
            k[2], T("超过频次上限", "Over the cap"), i18n.fmt_int(rules["cap"]["entities"])
        )
        common.metric(
            k[3],
            T("未达频次下限", "Below a minimum"),
            i18n.fmt_int(rules["frequency_minimum"]["entities"]),
        )
        plan_tasks = pd.DataFrame(
            [
                {
                    i18n.pick(("任务编号", "task"), lang): t["task_id"],
                    i18n.pick(("任务名称", "name"), lang): t["name"],
                    i18n.pick(("检查期间", "window"), lang): f"{t['start']} – {t['end']}",
                    i18n.column_label("in_scope", lang): t["in_scope"],
                    i18n.column_label("eligible", lang): t["eligible"],
                    i18n.column_label("expected", lang): t["expected"],
                    i18n.column_label("tiers_as_of", lang): t.get("tiers_as_of", ""),
                }
                for t in rep["tasks"]
            ]
        )
        st.dataframe(plan_tasks, hide_index=True)
        months = pd.DataFrame(
            {
                i18n.column_label("month", lang): list(rep["months"]),
                i18n.column_label("expected", lang): list(rep["months"].values()),
            }
        )
        st.bar_chart(
            months,
            x=i18n.column_label("month", lang),
            y=i18n.column_label("expected", lang),
            height=220,
        )
        staff = pd.DataFrame(rep["inspectors"])
        if len(staff):
            staff["region"] = [readable.REGION_NAMES.get(r, r) for r in staff["region"]]
            staff["short"] = [i18n.yes_no(v, lang) for v in staff["short"]]
            staff = staff.sort_values("visits_per_inspector", ascending=False, na_position="first")
            st.dataframe(
                staff.rename(columns=i18n.column_labels(staff.columns, lang)), hide_index=True
            )
        st.caption(
            T(
                f"{rules['cap']['rule']}：{rules['cap']['entities']:,} 户；"
                f"{rules['frequency_minimum']['rule']}：{rules['frequency_minimum']['entities']:,}"
                " 户",
                f"{rules['cap']['rule']}: {rules['cap']['entities']:,}; "
                f"{rules['frequency_minimum']['rule']}: {rules['frequency_minimum']['entities']:,}",
            )
        )
