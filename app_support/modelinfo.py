"""What the pages say about where `risk` comes from: the learned model or the composite score's
mapping, and, for the model, its training window, size and held-out AUC against the composite.

`model_info` retrains the model as of the scoring date (a fraction of a second on the demo) with
`require_better` off, so the analyst sees the figures that decided whether the model is used, also
when it was not. The pages cache it per workspace signature.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from tiered.workspace import Workspace

SOURCE_LABELS = {
    "model": ("学习模型（LightGBM，已校准）", "learned model (LightGBM, calibrated)"),
    "logistic": ("信用分映射（逻辑回归）", "score mapping (logistic)"),
    "isotonic": ("信用分映射（保序回归）", "score mapping (isotonic)"),
    "prior": ("信用分映射（先验，历史检查不足）", "score mapping (prior: too few inspections)"),
}

BASIS_LABELS = {
    "score": ("信用分", "the score"),
    "risk": ("模型问题概率", "the model's risk"),
    "blend": ("信用分与模型概率加权", "a blend of score and risk"),
}


def basis_label(basis: str, lang: str) -> str:
    zh, en = BASIS_LABELS.get(basis, (basis, basis))
    return en if lang == "en" else zh


def source_label(source: str, lang: str) -> str:
    """'model', a mapping method, or the backtest's 'composite[(model not better)]:method'."""
    not_better = source.startswith("composite(model not better)")
    method = source.rsplit(":", 1)[-1] if source.startswith("composite") else source
    zh, en = SOURCE_LABELS.get(method, (f"信用分映射（{method}）", f"score mapping ({method})"))
    if not_better:
        zh, en = zh + "，模型未优于信用分", en + ", model not better"
    return en if lang == "en" else zh


def source_note(source: str, tier_basis: str, lang: str) -> str:
    """The leader's one line: where risk comes from and what the tiers follow."""
    src, basis = source_label(source, lang), basis_label(tier_basis, lang)
    if lang == "en":
        return f"Risk from: {src} · tiers follow {basis}"
    return f"问题概率来源：{src} · 风险等级依据：{basis}"


@dataclass(frozen=True)
class ModelInfo:
    """The learned model's figures as of a date; `trained` False when history is too thin."""

    used: bool  # the scores' risk comes from the model
    enabled: bool  # model.enabled in config.yaml
    trained: bool  # enough past inspections of both outcomes to train
    as_of: str
    first: str | None = None  # training window
    last: str | None = None
    inspections: int = 0
    positives: int = 0
    holdout_rows: int = 0
    model_auc: float | None = None  # on the latest held-out inspections
    composite_auc: float | None = None  # the composite score on the same inspections
    brier: float | None = None
    tier_basis: str = "score"
    min_inspections: int = 0
    min_positives: int = 0


def model_info(ws: Workspace, as_of: pd.Timestamp, risk_source: str) -> ModelInfo:
    """Train as of `as_of` (without the beat-the-composite gate) and report its figures."""
    from tiered.analysis.modelrun import model_config_of, train

    mcfg = model_config_of(ws)
    common = {
        "used": risk_source == "model",
        "enabled": mcfg.enabled,
        "as_of": pd.Timestamp(as_of).date().isoformat(),
        "tier_basis": mcfg.tier_basis,
        "min_inspections": mcfg.min_inspections,
        "min_positives": mcfg.min_positives,
    }
    if not mcfg.enabled:
        return ModelInfo(trained=False, **common)
    trained = train(ws, as_of, dataclasses.replace(mcfg, require_better=False))
    if trained is None:
        return ModelInfo(trained=False, **common)
    meta = trained.metadata
    met = meta.get("metrics", {})

    def num(key: str) -> float | None:
        v = met.get(key)
        return None if v is None else float(v)

    return ModelInfo(
        trained=True,
        first=meta["training_window"]["first"],
        last=meta["training_window"]["last"],
        inspections=int(meta["inspections"]),
        positives=int(meta["positives"]),
        holdout_rows=int(met.get("holdout_rows") or 0),
        model_auc=num("holdout_auc"),
        composite_auc=num("composite_holdout_auc"),
        brier=num("holdout_brier"),
        **common,
    )


def verdict(info: ModelInfo, lang: str) -> str:
    """One sentence: why the scores' risk comes from where it does."""
    zh_en: tuple[str, str]
    if not info.enabled:
        zh_en = ("配置中已关闭学习模型（model.enabled: false）。", "The model is off in config.")
    elif not info.trained:
        zh_en = (
            f"历史检查不足，未训练模型（至少需要 {info.min_inspections:,} 次检查、"
            f"发现与未发现问题各 {info.min_positives:,} 次）。",
            f"Too few past inspections to train (needs {info.min_inspections:,}, with at least "
            f"{info.min_positives:,} of each outcome).",
        )
    elif info.used and (info.model_auc or 0.0) < (info.composite_auc or 0.0):
        zh_en = (
            "问题概率取自模型（配置 model.require_better: false，不与信用分比较）。",
            "Risk comes from the model (model.require_better is off in config).",
        )
    elif info.used:
        zh_en = (
            "模型在最近的留出检查上排序优于信用分，问题概率取自模型。",
            "The model ranks the latest held-out inspections better than the score: risk "
            "comes from the model.",
        )
    else:
        zh_en = (
            "模型在最近的留出检查上未优于信用分，问题概率仍取自信用分映射。",
            "The model does not beat the score on the latest held-out inspections: risk "
            "stays the score's mapping.",
        )
    return zh_en[1] if lang == "en" else zh_en[0]


def months_table(months: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The backtest's per-month table with translated headers and the risk source in words."""
    from app_support.i18n import column_labels

    out = months.copy()
    if "risk_source" in out:
        out["risk_source"] = [
            source_label(s, lang) if s else "–" for s in out["risk_source"].fillna("")
        ]
    for c in ("uniform_hits", "tiered_hits", "ranked_hits", "optimised_hits"):
        if c in out:
            out[c] = out[c].round(1)
    if "auc" in out:
        out["auc"] = out["auc"].round(3)
    return out.rename(columns=column_labels(out.columns, lang))


def source_counts(months: pd.DataFrame, lang: str) -> str:
    """'学习模型 11 个月 · 信用分映射（逻辑回归） 1 个月' over the backtest's months."""
    if "risk_source" not in months:
        return ""
    counts = months.loc[months["risk_source"].fillna("") != "", "risk_source"].value_counts()

    def unit(n: int) -> str:
        return (" month" if n == 1 else " months") if lang == "en" else " 个月"

    return " · ".join(f"{source_label(s, lang)} {n}{unit(n)}" for s, n in counts.items())
