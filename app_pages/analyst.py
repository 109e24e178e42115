"""Analyst: move thresholds and weights, see the tier mix, the monthly plan, expected problems
and PSI at once; save a new config version with a reason (ledgered)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import common, optimise_section
from app_pages.common import T
from app_support import charts, configedit, i18n, model, modelinfo
from scoring.config import TIERS, ThresholdConfig
from scoring.tiers import psi_band, thresholds_for_mix
from tiered.analysis.scorerun import run_score

common.guard(__file__)
lang = common.lang()
ws = common.workspace()
base = common.baseline()
cfg = ws.config
sc = cfg.scoring
saved, saved_info = model.last_saved_run(ws.path)

# ------------------------------------------------------------------ inputs: thresholds, weights
st.caption(
    T(
        f"评分基准日 {base.as_of:%Y-%m-%d}，{i18n.fmt_int(base.n)} 户在营主体。调整后即时重算。",
        f"Scored as of {base.as_of:%Y-%m-%d}, {i18n.fmt_int(base.n)} active entities. "
        "Changes recompute at once.",
    )
)
with st.expander(T("按目标等级分布求阈值", "Thresholds from a target tier mix")):
    tc = st.columns(4)
    target = {
        t: tc[i].number_input(f"{t} %", 0.0, 100.0, [50.0, 38.0, 8.0, 4.0][i], 1.0, key=f"mix_{t}")
        for i, t in enumerate(TIERS)
    }
    if st.button(T("求阈值", "Find thresholds"), key="fit_mix"):
        with common.errors():
            th = thresholds_for_mix(
                base.scores, {t: v / 100 for t, v in target.items()}, base.at_best
            )
        for k in "abc":
            st.session_state[f"th_{k}"] = round(float(getattr(th, k)), 1)
        st.rerun()

c = st.columns(3)
vals = {}
for col, k, tier in zip(c, "abc", "ABC", strict=True):
    vals[k] = col.number_input(
        T(f"{tier} 级最低分", f"Minimum score for {tier}"),
        0.0,
        1000.0,
        float(getattr(sc.thresholds, k)),
        5.0,
        key=f"th_{k}",
    )
thresholds = ThresholdConfig(vals["a"], vals["b"], vals["c"])
if not vals["a"] >= vals["b"] >= vals["c"]:
    st.error(T("阈值须满足 A ≥ B ≥ C。", "Thresholds must satisfy A ≥ B ≥ C."))
    st.stop()

with st.expander(T("指标权重（分值）", "Indicator weights (points)")):
    points_col = T("分值", "points")
    wt = pd.DataFrame(
        [
            {
                T("指标", "indicator"): i18n.indicator_label(name, spec.label, lang),
                T("维度", "dimension"): i18n.column_label(spec.dimension, lang),
                T("方向", "direction"): i18n.pick(
                    i18n.DIRECTION_LABELS.get(spec.direction, (spec.direction,) * 2), lang
                ),
                points_col: float(spec.points),
                T("上限（单位数）", "cap (units)"): T("不设上限", "none")
                if spec.cap is None
                else f"{spec.cap:g}",
            }
            for name, spec in sc.indicators.items()
        ],
        index=pd.Index(list(sc.indicators), name="indicator"),  # the codes, kept off the screen
    )
    edited = st.data_editor(
        wt,
        hide_index=True,
        disabled=[c for c in wt.columns if c != points_col],
        key="weights",
    )
points = dict(zip(edited.index, edited[points_col].astype(float), strict=True))
changed_points = {k: v for k, v in points.items() if abs(v - sc.indicators[k].points) > 1e-9}

with st.expander(T("各等级年抽查比例", "Annual sampling rate by tier")):
    rc = st.columns(4)
    tier_rates = {
        t: rc[i].number_input(
            f"{t}",
            0.0,
            1.0,
            float(cfg.sampling.tier_rates.get(t, 0.0)),
            0.005,
            format="%.3f",
            key=f"rate_{t}",
        )
        for i, t in enumerate(TIERS)
    }

# --------------------------------------------------------------------------------- what-if
if changed_points:
    new_sc = configedit.preview(ws.path, configedit.fragment(cfg, points=points)).scoring
    scores, at_best, risk = model.rescore(base, new_sc)
else:
    scores, at_best, risk = base.scores, base.at_best, base.risk
sampling = (
    configedit.preview(ws.path, configedit.fragment(cfg, tier_rates=tier_rates)).sampling
    if tier_rates != {t: cfg.sampling.tier_rates.get(t, 0.0) for t in TIERS}
    else cfg.sampling
)
rates = model.annual_rates(base.sectors, sampling)
rt = model.retier(scores, at_best, risk, base.sector_code, len(base.sectors), thresholds, rates)

m = st.columns(4)
for col, t, n in zip(m, TIERS, rt.tier_counts, strict=True):
    common.metric(
        col,
        i18n.tier_label(t, lang),
        i18n.fmt_int(n),
        i18n.fmt_pct(n / max(base.n, 1)),
    )
m2 = st.columns(4)
m2[0].metric(T("每月检查（计划）", "Inspections / month (plan)"), i18n.fmt_num(rt.monthly.sum()))
common.metric(
    m2[1],
    T("预计每月发现问题", "Expected problems / month"),
    i18n.fmt_num(rt.expected_problems.sum()),
)
hit = rt.expected_problems.sum() / max(rt.monthly.sum(), 1e-9)
m2[2].metric(T("预计问题发现率", "Expected hit rate"), i18n.fmt_pct(hit))
band = {
    "stable": T("稳定", "stable"),
    "watch": T("需关注", "watch"),
    "shift": T("明显偏移", "shift"),
}
if saved is not None:
    ref = saved["tier"].value_counts().reindex(list(TIERS), fill_value=0).to_numpy()
    p_t = model.shares_psi(ref, rt.tier_counts)
    p_s = model.score_psi(saved["score"].to_numpy(np.float64), scores)
    common.metric(
        m2[3],
        T("PSI（等级，对比上次保存）", "PSI (tiers, vs last saved run)"),
        f"{p_t:.3f} · {band[psi_band(p_t)]}",
        T(f"分数 PSI {p_s:.3f}", f"score PSI {p_s:.3f}"),
    )
else:
    common.metric(m2[3], "PSI", "–", T("尚无保存的评分", "no saved run yet"))

left, right = st.columns(2)
with left:
    st.subheader(T("信用分分布与阈值", "Scores and thresholds"))
    st.altair_chart(charts.score_histogram(scores, lang, thresholds), width="stretch")
with right:
    st.subheader(T("调整后的等级分布", "Tier mix with these settings"))
    st.altair_chart(charts.tier_mix_bar(rt.tier_counts, lang), width="stretch")

st.subheader(
    T("各层每月检查数与预计发现问题数", "Monthly inspections and expected problems per stratum")
)
table = model.stratum_table(base, rt)
piv = table.pivot_table(
    index="sector", columns="tier", values="monthly", aggfunc="sum", fill_value=0.0
)
prob = table.pivot_table(
    index="sector", columns="tier", values="expected_problems", aggfunc="sum", fill_value=0.0
)
show = pd.DataFrame(index=piv.index)
for t in piv.columns:
    show[f"{t} · {i18n.column_label('monthly', lang)}"] = piv[t].map(lambda v: f"{v:,.1f}")
    show[f"{t} · {i18n.column_label('expected_problems', lang)}"] = prob[t].map(
        lambda v: f"{v:,.1f}"
    )
show.index = [i18n.sector_label(s, lang, cfg.sector_labels) for s in show.index]
show.index.name = i18n.column_label("sector", lang)
st.dataframe(show)

# ------------------------------------------------------------------------------ risk source
st.subheader(T("问题概率来源", "Where the risk comes from"))
info = common.model_info(base)
st.caption(
    T("当前评分的问题概率：", "Risk in the current scores: ")
    + modelinfo.source_label(base.risk_source, lang)
    + " · "
    + modelinfo.verdict(info, lang)
)
if info.trained:
    st.caption(
        T(
            f"模型训练窗口：{info.first} 至 {info.last}（{info.as_of} 之前的全部检查）",
            f"Training window: {info.first} to {info.last} (every inspection before {info.as_of})",
        )
    )
    mc = st.columns(3)
    common.metric(
        mc[0],
        T("训练检查次数", "Training inspections"),
        i18n.fmt_int(info.inspections),
        T(
            f"发现问题 {i18n.fmt_int(info.positives)} 次",
            f"{i18n.fmt_int(info.positives)} with a problem",
        ),
    )
    common.metric(
        mc[1],
        T("模型 AUC（留出）", "Model AUC (held out)"),
        "–" if info.model_auc is None else f"{info.model_auc:.3f}",
        T(
            f"最近 {i18n.fmt_int(info.holdout_rows)} 次检查",
            f"latest {i18n.fmt_int(info.holdout_rows)} inspections",
        ),
    )
    common.metric(
        mc[2],
        T("信用分 AUC（同一留出）", "Score AUC (same holdout)"),
        "–" if info.composite_auc is None else f"{info.composite_auc:.3f}",
        T(
            f"分级依据：{modelinfo.basis_label(info.tier_basis, 'zh')}",
            f"tiers follow: {modelinfo.basis_label(info.tier_basis, 'en')}",
        ),
    )

# ---------------------------------------------------------------------------- rate proposal
optimise_section.render(ws, base, lang)

# ------------------------------------------------------------------------------------ save
st.subheader(T("保存为新配置版本", "Save as a new config version"))
changes = configedit.fragment(cfg, thresholds=vals, points=points, tier_rates=tier_rates)
common.leave_guard(bool(changes))
if changes:
    st.code(__import__("yaml").safe_dump(changes, allow_unicode=True), language="yaml")
else:
    st.caption(T("当前设置与已保存的配置相同。", "The settings equal the saved config."))
if st.session_state.pop("_reason_saved", False):
    st.session_state["save_reason"] = ""  # a saved reason is never offered again
with st.form("save_config"):
    reason = st.text_area(
        T("修改原因（必填，记入账本）", "Reason (required, goes into the ledger)"),
        key="save_reason",
    )
    go = st.form_submit_button(T("保存配置并重新评分", "Save config and re-score"), type="primary")
if go:
    with common.errors(), st.status(T("正在保存…", "Saving…")) as status:
        entry = configedit.save_version(ws.path, changes, reason, common.actor())
        st.write(
            T(
                f"配置版本 v{entry.payload['version']} 已写入账本 #{entry.seq}",
                f"Config version v{entry.payload['version']} ledgered as #{entry.seq}",
            )
        )
        run_score(ws.path, base.as_of.strftime("%Y-%m-%d"), actor=common.actor())
        st.write(T("已按新配置重新评分并保存。", "Re-scored and saved with the new config."))
        status.update(label=T("已保存", "Saved"), state="complete")
    common.clear_caches()
    for k in list(st.session_state):
        if k.startswith(("th_", "rate_")) or k == "weights":
            del st.session_state[k]
    st.session_state["_reason_saved"] = True
    common.flash(T("已保存新配置版本。", "New config version saved."))
    st.rerun()
