"""Horvitz–Thompson estimates of the problem rate from one draw's inspection results.

Each inspected entity stands for 1/π entities of its stratum, where π is its inclusion
probability (quota / pool for the random draw, 1 for must-inspect). The estimated number of
entities with problems is Σ y/π, and the rate is that over the stratum population N = Σ 1/π
over the drawn entities (N_h = drawn_h / π_h, exact because π_h = quota_h / pool_h). Within a
stratum the draw is a simple random sample without replacement, so the variance of a stratum's
total is N_h² (1 − n_h/N_h) s_h² / n_h; strata are independent, so variances add. Intervals use
the normal approximation and are clipped to [0, 1].

Estimation strata are (sector, tier, π): must-inspect entities (π = 1) form their own certainty
stratum, which adds no variance. Drawn entities without a result (`found_problem` missing) are
treated as missing at random within their stratum: the respondents stand for the whole stratum.
A stratum with a single result has no within-stratum variance estimate; the binary maximum
0.25 is used so the interval is conservative rather than falsely narrow.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from sampling.errors import PlanError

NEEDED = ("sector", "tier", "inclusion_probability", "found_problem")


def _strata(results: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in NEEDED if c not in results.columns]
    if missing:
        raise PlanError(f"估计需要列：{', '.join(missing)} (estimation needs columns {missing})")
    df = results[list(NEEDED)].copy()
    pi = df["inclusion_probability"].astype(float)
    if ((pi <= 0) | (pi > 1) | pi.isna()).any():
        raise PlanError("入选概率必须在 (0, 1] 之间 (inclusion probabilities must be in (0, 1])")
    df["pi"] = pi.round(12)
    df["y"] = df["found_problem"].map(lambda v: np.nan if pd.isna(v) else float(bool(v)))
    g = df.groupby(["sector", "tier", "pi"], observed=True, sort=True)
    st = g.agg(drawn=("y", "size"), n=("y", "count"), problems=("y", "sum"), var=("y", "var"))
    st = st.reset_index()
    st["N"] = np.rint(st["drawn"] / st["pi"])
    st = st[st["n"] > 0].copy()
    st["mean"] = st["problems"] / st["n"]
    single = st["n"] < 2
    st.loc[single, "var"] = 0.25
    st["total"] = st["N"] * st["mean"]
    fpc = (1 - st["n"] / st["N"]).clip(lower=0)
    st["total_var"] = st["N"] ** 2 * fpc * st["var"].fillna(0.25) / st["n"]
    return st


def _summarise(st: pd.DataFrame, level: str, group: str, z: float) -> dict:
    n_pop = float(st["N"].sum())
    rate = float(st["total"].sum() / n_pop) if n_pop else float("nan")
    se = float(np.sqrt(st["total_var"].sum()) / n_pop) if n_pop else float("nan")
    return {
        "level": level,
        "group": group,
        "inspected": int(st["n"].sum()),
        "problems": int(st["problems"].sum()),
        "population": int(n_pop),
        "estimate": rate,
        "se": se,
        "ci_low": max(0.0, rate - z * se),
        "ci_high": min(1.0, rate + z * se),
    }


def problem_rates(results: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Tidy table of HT problem-rate estimates: overall, by sector and by tier.

    `results`: one row per drawn inspection with sector, tier, inclusion_probability and
    found_problem (bool; missing = no result yet). Columns out: level (overall / sector /
    tier), group, inspected, problems, population, estimate, se, ci_low, ci_high.
    """
    if not 0 < confidence < 1:
        raise PlanError("confidence 必须在 0 和 1 之间 (confidence must be in (0, 1))")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    st = _strata(results)
    rows = [_summarise(st, "overall", "all", z)]
    for level in ("sector", "tier"):
        for key, part in st.groupby(level, sort=True):
            rows.append(_summarise(part, level, str(key), z))
    return pd.DataFrame(rows)
