"""Analyst: the backtest. Replays past months and compares uniform, tiered, ranked and optimised
draws at the same budget, with the composite score's (or the learned model's) risk as of each
month."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import charts, i18n, modelinfo
from scoring.config import TIERS
from tables import clock
from tiered.analysis.backtest import backtest_workspace

common.guard(__file__)
lang = common.lang()
path = common.ws_path()


@st.cache_data(show_spinner=False, max_entries=8)
def _run(p: str, sig: tuple, start: str, end: str, budget: float):
    r = backtest_workspace(common._load(p, sig), start, end, budget)
    return r.summary, r.months


last = pd.Timestamp(clock.today()).to_period("M") - 1
c = st.columns(3)
start = c[0].text_input(T("起始月份", "From month"), str(last - 11), key="bt_from")
end = c[1].text_input(T("结束月份", "To month"), str(last), key="bt_to")
budget = c[2].number_input(
    T("检查预算（占当月有结果主体的比例）", "Budget (share of the month's frame)"),
    0.01,
    1.0,
    0.10,
    0.01,
    key="bt_budget",
)
st.caption(
    T(
        "每月以当月有检查结果的主体为样本框，三种方式检查相同数量的主体；"
        "只使用月初之前已知的信息。",
        "Each month the frame is the entities with a recorded outcome; every policy "
        "inspects the same number of them, using only what was known before the month.",
    )
)

if st.button(T("运行回测", "Run the backtest"), type="primary", key="bt_run"):
    st.session_state["bt_args"] = (start.strip(), end.strip(), float(budget))
args = st.session_state.get("bt_args")
if not args:
    st.stop()
with common.errors(), st.status(T("正在逐月回放…", "Replaying month by month…")) as status:
    summary, months = _run(str(path), common.signature(path), *args)
    status.update(label=T("回测完成", "Backtest complete"), state="complete", expanded=False)

m = st.columns(4)
m[0].metric(T("月数", "Months"), i18n.fmt_int(summary["months"]))
m[1].metric(T("检查次数", "Inspections"), i18n.fmt_int(summary["inspections"]))
m[2].metric(T("基础发现率", "Base rate"), i18n.fmt_pct(summary["base_rate"]))
m[3].metric("AUC", "–" if summary["auc"] is None else f"{summary['auc']:.3f}")
p = st.columns(4)
for col, key, zh, en in (
    (p[0], "uniform", "纯随机", "uniform"),
    (p[1], "tiered", "分级随机", "tiered"),
    (p[2], "ranked", "按风险排序", "ranked"),
    (p[3], "optimised", "优化比例随机", "optimised"),
):
    v = summary["policies"][key]
    common.metric(
        col,
        T(f"{zh} 发现率", f"{en} hit rate"),
        i18n.fmt_pct(v["hit_rate"]),
        None if v["lift"] is None else T(f"提升 ×{v['lift']:.2f}", f"lift ×{v['lift']:.2f}"),
    )

left, right = st.columns(2)
with left:
    st.subheader(T("同等预算下的问题发现率", "Hit rate at the same budget"))
    st.altair_chart(charts.policies_chart(summary, lang), width="stretch")
with right:
    st.subheader(T("逐月发现率", "Hit rate by month"))
    st.altair_chart(charts.monthly_policies_chart(months, lang), width="stretch")

st.subheader(T("各等级实际问题发现率", "Observed hit rate by tier"))
st.dataframe(
    pd.DataFrame(
        {
            i18n.column_label("tier", lang): [i18n.tier_label(t, lang) for t in TIERS],
            T("问题发现率", "hit rate"): [
                i18n.fmt_pct(summary["tier_hit_rates"].get(t)) for t in TIERS
            ],
        }
    ),
    hide_index=True,
)
cal = summary.get("calibration") or {}
if cal.get("ece") is not None:
    quint = "  ".join(
        f"Q{q['quintile']} {i18n.fmt_pct(q['predicted'])}/{i18n.fmt_pct(q['observed'])}"
        for q in cal["quintiles"]
    )
    st.caption(
        T(
            f"校准：平均预测问题概率 {i18n.fmt_pct(cal['mean_predicted'])}，实际发现率 "
            f"{i18n.fmt_pct(cal['observed'])}，校准误差 ECE {cal['ece']:.3f}；按风险五等分："
            f"{quint}",
            f"Calibration: mean predicted risk {i18n.fmt_pct(cal['mean_predicted'])}, observed "
            f"{i18n.fmt_pct(cal['observed'])}, ECE {cal['ece']:.3f}; by risk quintile "
            f"(predicted/observed): {quint}",
        )
    )
opt = summary["policies"]["optimised"]
st.caption(
    T(
        f"优化比例随机：按 tiered optimise 的各层比例随机抽取，每个主体入选概率不低于 "
        f"{i18n.fmt_pct(opt['min_inclusion_probability'])}（保底 {i18n.fmt_pct(opt['floor'])}）。",
        f"optimised: random with the rates tiered optimise gives each stratum; every entity's "
        f"inclusion probability is at least {i18n.fmt_pct(opt['min_inclusion_probability'])} "
        f"(floor {i18n.fmt_pct(opt['floor'])}).",
    )
)
rd = summary.get("random_draws")
if rd:
    st.caption(
        T(
            f"仅随机抽查结果（{rd['results']} 条，按入选概率倒数加权）：发现率 "
            f"{i18n.fmt_pct(rd['base_rate'])}，风险最高 {rd['share']:.0%} 的命中率 "
            f"{i18n.fmt_pct(rd['precision_at_k'])}；各等级 "
            + "、".join(f"{t} {i18n.fmt_pct(v)}" for t, v in rd["tier_hit_rates"].items()),
            f"Random draws only ({rd['results']} results, weighted by 1/π): hit rate "
            f"{i18n.fmt_pct(rd['base_rate'])}, precision in the top {rd['share']:.0%} by risk "
            f"{i18n.fmt_pct(rd['precision_at_k'])}; by tier "
            + ", ".join(f"{t} {i18n.fmt_pct(v)}" for t, v in rd["tier_hit_rates"].items()),
        )
    )
src = modelinfo.source_counts(months, lang)
if src:
    st.caption(T("各月问题概率来源：", "Risk source by month: ") + src)
with st.expander(T("逐月明细", "Per month")):
    st.dataframe(modelinfo.months_table(months, lang), hide_index=True)
