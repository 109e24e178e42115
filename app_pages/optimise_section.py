"""The analyst page's section "rate proposal": `tiered optimise` beside today's rates, with the
expected gain at the same budget, and applying it as a ledgered config version."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import i18n, optimiser
from app_support.model import Baseline
from tiered.analysis.optimise import apply_proposal
from tiered.workspace import Workspace


def render(ws: Workspace, base: Baseline, lang: str) -> None:
    st.subheader(T("抽查比例优化建议", "Rate proposal"))
    st.caption(
        T(
            "在同一预算内，把检查多放在问题概率高的层，每个主体的年入选概率不低于保底比例，"
            "层内仍然随机抽取。",
            "Within the same budget, more inspections go where problems are likelier; every "
            "entity keeps at least the floor chance a year, and the draw within a stratum stays "
            "random.",
        )
    )
    c = st.columns(2)
    budget = c[0].number_input(
        T("每月检查预算（0 = 按现行比例的总数）", "Inspections per month (0 = today's total)"),
        0,
        1_000_000,
        0,
        1,
        key="opt_budget",
    )
    preset = c[1].selectbox(
        T("分级比例约束", "Tier rules"),
        optimiser.PRESETS,
        format_func=lambda k: T(*optimiser.PRESET_LABELS[k]),
        key="opt_preset",
    )
    with common.errors():
        p = optimiser.proposal(ws, base, int(budget) or None, preset)
    tot = p.totals()
    same, new = tot["current_at_budget"], tot["proposed"]
    m = st.columns(3)
    common.metric(
        m[0],
        T("现行比例：每年预计发现问题", "Today's rates: expected problems / year"),
        i18n.fmt_num(same["expected_problems_per_year"]),
        T(f"发现率 {i18n.fmt_pct(same['hit_rate'])}", f"hit rate {i18n.fmt_pct(same['hit_rate'])}"),
    )
    common.metric(
        m[1],
        T("建议比例：每年预计发现问题", "Proposal: expected problems / year"),
        i18n.fmt_num(new["expected_problems_per_year"]),
        T(f"发现率 {i18n.fmt_pct(new['hit_rate'])}", f"hit rate {i18n.fmt_pct(new['hit_rate'])}"),
    )
    gain = "–" if tot["gain"] is None else f"×{tot['gain']:.2f}"
    common.metric(
        m[2],
        T("同等预算下的提升", "Gain at the same budget"),
        gain,
        T(
            f"每月 {i18n.fmt_num(new['inspections_per_month'])} 次检查",
            f"{i18n.fmt_num(new['inspections_per_month'])} inspections / month",
        ),
    )
    st.dataframe(optimiser.table(p, lang, ws.config.sector_labels), hide_index=True)
    with st.form("apply_proposal"):
        reason = st.text_input(
            T("应用原因（必填，记入账本）", "Reason (required, goes into the ledger)"),
            key="opt_reason",
        )
        go = st.form_submit_button(T("应用建议比例", "Apply the proposed rates"))
    if go:
        with common.errors():
            entry = apply_proposal(ws.path, p, reason, common.actor())
            common.clear_caches()
            common.flash(
                T(
                    f"已写入配置版本 v{entry.payload['version']}（账本 #{entry.seq}）。",
                    f"Config version v{entry.payload['version']} ledgered as #{entry.seq}.",
                )
            )
            st.rerun()
