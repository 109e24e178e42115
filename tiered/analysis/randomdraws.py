"""What the product's own random draws say: outcomes of drawn entities with their inclusion
probabilities, the honest ground for problem rates and for judging the model.

Inspections outside the draws (complaints, referrals, the old ways of choosing) were not chosen
at random, so their hit rates say little about the population. A drawn entity with inclusion
probability π stands for 1/π entities of its stratum; weighting results by 1/π gives estimates
of the whole frame (Horvitz–Thompson), and the same weights turn the model's precision at the
top k into an estimate for the population instead of for the inspected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scoring.config import TIERS
from tiered.layout import Layout

COLUMNS = ["month", "uscc", "sector", "tier", "inclusion_probability", "found_problem"]


def recorded_results(ws: str | Path | Layout) -> pd.DataFrame:
    """Drawn entities joined with their recorded outcomes (month, sector, tier,
    inclusion_probability, found_problem: True/False/None)."""
    parts = []
    lay = Layout.of(ws)
    for month in lay.draw_months():
        lst = lay.draw_dir(month) / "inspection_list.csv"
        res_path = lay.results(month)
        if not res_path.exists():
            continue
        drawn = pd.read_csv(lst, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        res = pd.read_csv(res_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        found = res.assign(found=res["found_problem"].str.lower().isin(["true", "1", "是"]))
        found = found.groupby("uscc")["found"].max()  # any problem in the month counts
        d = drawn[["uscc", "sector", "tier", "inclusion_probability"]].copy()
        d["inclusion_probability"] = d["inclusion_probability"].astype(float)
        d["found_problem"] = d["uscc"].map(found).astype(object)
        d.loc[d["found_problem"].isna(), "found_problem"] = None
        d.insert(0, "month", str(month))
        parts.append(d)
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True)


def stratum_rates(results: pd.DataFrame) -> pd.DataFrame:
    """Per (sector, tier): results, problems and the weighted problem rate over all months
    (each month's draw weighted by its inclusion probabilities)."""
    r = results[results["found_problem"].notna()]
    if r.empty:
        return pd.DataFrame(columns=["sector", "tier", "results", "problems", "rate"])
    w = 1.0 / r["inclusion_probability"].astype(float)
    y = r["found_problem"].astype(bool).astype(float)
    df = pd.DataFrame({"sector": r["sector"], "tier": r["tier"], "w": w, "wy": w * y, "y": y})
    g = df.groupby(["sector", "tier"], sort=True)
    out = g.agg(results=("y", "size"), problems=("y", "sum"), w=("w", "sum"), wy=("wy", "sum"))
    out["rate"] = out["wy"] / out["w"]
    out["problems"] = out["problems"].astype(int)
    return out.drop(columns=["w", "wy"]).reset_index()


def random_draw_report(results: pd.DataFrame, frame: pd.DataFrame, budget: float) -> dict:
    """Tier hit rates and the model's precision at the top `budget` share, from random draws
    only, weighted by 1/π; `frame` is the backtest's (month, uscc, risk) as known then."""
    r = results[results["found_problem"].notna()].copy()
    r["month"] = r["month"].astype(str)
    r = r.merge(frame[["month", "uscc", "risk"]], on=["month", "uscc"], how="left")
    empty = {"results": int(len(r)), "tier_hit_rates": {t: None for t in TIERS}}
    if r.empty:
        return {**empty, "precision_at_k": None, "share": budget}
    w = 1.0 / r["inclusion_probability"].astype(float).to_numpy()
    y = r["found_problem"].astype(bool).to_numpy(float)
    tiers = {}
    for t in TIERS:
        m = (r["tier"] == t).to_numpy()
        tiers[t] = _round(float((w[m] * y[m]).sum() / w[m].sum())) if m.any() else None
    scored = r["risk"].notna().to_numpy()
    prec = _weighted_top(r["risk"].to_numpy(float)[scored], y[scored], w[scored], budget)
    return {
        "results": int(len(r)),
        "base_rate": _round(float((w * y).sum() / w.sum())),
        "tier_hit_rates": tiers,
        "share": budget,
        "precision_at_k": _round(prec),
        "scored": int(scored.sum()),
    }


def _weighted_top(risk: np.ndarray, y: np.ndarray, w: np.ndarray, share: float) -> float | None:
    """Weighted hit rate among the highest risks holding `share` of the weighted population."""
    if not len(risk):
        return None
    order = np.argsort(-risk, kind="stable")
    cw = np.cumsum(w[order])
    cut = share * cw[-1]
    take = np.minimum(w[order], np.maximum(cut - (cw - w[order]), 0.0))  # partial at the cut
    return float((take * y[order]).sum() / take.sum()) if take.sum() > 0 else None


def _round(v: float | None) -> float | None:
    return None if v is None or np.isnan(v) else round(float(v), 4)
