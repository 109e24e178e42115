"""The analyst page's rate proposal, computed without Streamlit: `tiered optimise` on the page's
baseline scores, and the table as the page shows it."""

from __future__ import annotations

import pandas as pd

from app_support.i18n import fmt_num, fmt_pct, sector_label, tier_label
from app_support.model import Baseline
from tiered.analysis.optimise import Proposal, propose
from tiered.workspace import Workspace

PRESETS = ("", "henan", "daqing", "yuexiu")
PRESET_LABELS = {
    "": ("无（仅保底）", "none (floor only)"),
    "henan": ("河南 2021 比例为下限", "Henan 2021 rates as minimums"),
    "daqing": ("大庆 分级区间", "Daqing bands"),
    "yuexiu": ("越秀 2021 比例为下限", "Yuexiu 2021 rates as minimums"),
}


def proposal(ws: Workspace, base: Baseline, budget: int | None, preset: str) -> Proposal:
    """The optimiser's proposal for the baseline's month, from the baseline's risk."""
    return propose(
        ws,
        month=f"{base.as_of:%Y-%m}",
        budget=budget,
        preset=preset or None,
        scores=base.frame[["uscc", "tier", "risk"]],
        risk_source=base.risk_source,
    )


def table(p: Proposal, lang: str, sector_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Per stratum: today's rate beside the proposal, with what each is expected to find."""
    zh = lang == "zh"
    t = p.table
    return pd.DataFrame(
        {
            "行业" if zh else "sector": [sector_label(s, lang, sector_labels) for s in t["sector"]],
            "等级" if zh else "tier": [tier_label(x, lang) for x in t["tier"]],
            "在营主体" if zh else "eligible": t["eligible"].astype(int),
            "问题概率" if zh else "problem rate": t["problem_rate"].map(fmt_pct),
            "来源" if zh else "from": t["source"].map(
                {
                    "draws": "随机抽查结果" if zh else "random draws",
                    "model": "模型" if zh else "model",
                }
            ),
            "现行年比例" if zh else "today's rate": t["current_rate"].map(fmt_pct),
            "建议年比例" if zh else "proposed rate": t["proposed_rate"].map(fmt_pct),
            "每月检查" if zh else "inspections / month": (t["expected_inspections"] / 12).map(
                fmt_num
            ),
            "每年预计发现问题" if zh else "expected problems / year": t["expected_problems"].map(
                fmt_num
            ),
            "区间半宽" if zh else "half-width": [
                "–" if pd.isna(v) else (">50%" if v > 0.5 else "±" + fmt_pct(v))
                for v in t["half_width"]
            ],
        }
    )
