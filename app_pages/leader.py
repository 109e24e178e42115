"""Leader: tier mix, sector x region heat map, score distribution, trend, problem rates with
intervals, draws this year against the plan."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import charts, drawprep, i18n, model

common.guard(__file__)
lang = common.lang()
ws = common.workspace()
base = common.baseline()
cfg = ws.config


@st.cache_data(show_spinner=False, max_entries=4)
def _trend(path: str, sig: tuple, end: str) -> pd.DataFrame:
    return model.monthly_trend(common._load(path, sig), pd.Timestamp(end), months=12)


counts = base.frame["tier"].value_counts().reindex(list("ABCD"), fill_value=0).to_numpy()
st.caption(  # no workspace path or model terms here: those are on the admin's and analyst's pages
    T(
        f"评分基准日 {base.as_of:%Y-%m-%d} · 在营主体 {i18n.fmt_int(base.n)} 户",
        f"Scored as of {base.as_of:%Y-%m-%d} · {i18n.fmt_int(base.n)} active entities",
    )
)
cols = st.columns(4)
for col, tier, c in zip(cols, "ABCD", counts, strict=True):
    common.metric(
        col,
        i18n.tier_label(tier, lang),
        i18n.fmt_int(c),
        i18n.fmt_pct(c / max(base.n, 1)),
    )

left, right = st.columns(2)
with left:
    st.subheader(T("风险等级分布", "Tier mix"))
    st.altair_chart(charts.tier_mix_bar(counts, lang), width="stretch")
with right:
    st.subheader(T("信用分分布", "Score distribution"))
    st.altair_chart(
        charts.score_histogram(base.scores, lang, cfg.scoring.thresholds), width="stretch"
    )

st.subheader(T("行业 × 区县：较高和高风险（C+D）占比", "Sector × region: share of tiers C and D"))
st.altair_chart(
    charts.heat_map(model.heat_table(base.frame), lang, cfg.sector_labels),
    width="stretch",
)

st.subheader(
    T("月度趋势（按每月1日计算的风险等级）", "Monthly trend (tiers as of each month's 1st)")
)
with st.spinner(T("正在逐月计算…", "Computing month by month…")), common.errors():
    p = common.ws_path()
    trend = _trend(str(p), common.signature(p), base.as_of.strftime("%Y-%m-%d"))
st.altair_chart(charts.trend_chart(trend, lang), width="stretch")

st.subheader(
    T(
        "各等级问题发现率（已录入结果，含95%置信区间）",
        "Problem rate by tier (recorded results, 95% intervals)",
    )
)
results = model.recorded_results(ws.path)
with common.errors():
    est = model.problem_rates_by_tier(results)
if est.empty:
    st.info(
        T(
            "尚无已录入的抽查结果。业务人员录入结果后，这里显示按等级的问题发现率估计。",
            "No recorded results yet. Once staff record results, estimates by tier appear here.",
        )
    )
else:
    st.altair_chart(charts.rates_chart(est, lang), width="stretch")
    few = est["inspected"] < model.MIN_ESTIMATE_N
    too_few = T("样本过少", "too few inspections")
    show = pd.DataFrame(
        {
            i18n.column_label("tier", lang): [
                T("全部", "overall") if lv == "overall" else i18n.tier_label(g, lang)
                for lv, g in zip(est["level"], est["group"], strict=True)
            ],
            i18n.column_label("inspected", lang): est["inspected"].map(i18n.fmt_int),
            i18n.column_label("problems", lang): est["problems"].map(i18n.fmt_int),
            T("发现数/检查数", "problems / inspected"): [
                f"{int(k)}/{int(n)}" for k, n in zip(est["problems"], est["inspected"], strict=True)
            ],
        }
    )
    for c in ("estimate", "ci_low", "ci_high"):
        shown = est[c].map(i18n.fmt_pct)
        show[i18n.column_label(c, lang)] = shown.where(~few, too_few if c == "estimate" else "–")
    if few.any():
        st.caption(
            T(
                f"“样本过少”：检查少于 {model.MIN_ESTIMATE_N} 次的等级不给出加权估计和区间，"
                "只列原始发现数/检查数。",
                f"'too few inspections': groups with fewer than {model.MIN_ESTIMATE_N} "
                "inspections get no weighted estimate or interval, only the raw problems / "
                "inspections.",
            )
        )
    st.dataframe(show, hide_index=True)

year = base.as_of.year
st.subheader(T(f"{year} 年抽查完成情况与计划", f"Draws in {year} against the plan"))
rates = model.annual_rates(base.sectors, cfg.sampling)
rt = model.retier(
    base.scores,
    base.at_best,
    base.risk,
    base.sector_code,
    len(base.sectors),
    cfg.scoring.thresholds,
    rates,
)
nominal = float(rt.monthly.sum())  # every active entity x its annual rate / 12
month = f"{base.as_of:%Y-%m}"
with common.errors():
    planned = drawprep.expected_draws(ws, month, base.frame, cfg.sampling)
dvp = model.draws_vs_plan(ws.path, year, planned, ws.tables.get("inspections"))
done = dvp["drawn"].notna().sum()  # months drawn here, and earlier months' recorded checks
c1, c2, c3 = st.columns(3)
c1.metric(T("已完成抽签月份", "Months drawn"), f"{done} / 12")
common.metric(
    c2,
    T("已抽取检查对象", "Entities drawn"),
    i18n.fmt_int(pd.to_numeric(dvp["drawn"]).fillna(0).sum()),
)
common.metric(
    c3,
    T("全年计划（按当前比例）", "Annual plan (current rates)"),
    i18n.fmt_int(planned * 12),
    T(f"每月约 {planned:,.1f} 户", f"about {planned:,.1f} a month"),
)
st.caption(
    T(
        f"计划线按 {month} 的抽签规则测算：各层可抽主体 × 年抽查比例 ÷ 12。"
        f"近期已检查（冷却期内）的主体不可抽，故低于全部在营主体 × 比例的名义数"
        f"（每月 {nominal:,.1f} 户）。灰色柱是未在本系统抽签的月份中已记录的计划检查数。",
        f"The plan line uses {month}'s draw rules: eligible entities per stratum x annual rate "
        f"/ 12. Entities inspected recently (in their cooldown) cannot be drawn, so it is below "
        f"the nominal all active entities x rate ({nominal:,.1f} a month). Grey bars are the "
        "recorded planned inspections of months not drawn here.",
    )
)
st.altair_chart(charts.draws_chart(dvp, lang), width="stretch")
