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

A stratum with a single result has no within-stratum variance estimate. It borrows one from its
tier (the strata are "collapsed"): p(1 − p) with p = (problems + ½) / (results + 1) over the
tier's results, the ½ keeping a tier with no problems yet from claiming zero variance. (The
binary maximum 0.25 used before made tier-A and overall intervals about three times too wide.)

A stratum that drew nobody (its monthly quota rounded to 0) has no results, so the estimates
stand for the **covered** population only (`population`). Given the frame's strata (`frame`,
with the eligible count of each), the table also says how many entities that leaves out
(`uncovered`); with `impute=True` the uncovered strata take their tier's estimated rate, their
entities join `population` and `imputed` counts them (a tier with no results at all stays
uncovered).
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
    if single.any():
        st.loc[single, "var"] = _borrowed_variance(st).loc[single]
    st["total"] = st["N"] * st["mean"]
    fpc = (1 - st["n"] / st["N"]).clip(lower=0)
    st["total_var"] = st["N"] ** 2 * fpc * st["var"].fillna(0.0) / st["n"]
    return st


def _borrowed_variance(st: pd.DataFrame) -> pd.Series:
    """p(1 - p) of each stratum's tier, p = (problems + 1/2) / (results + 1)."""
    by_tier = st.groupby("tier", observed=True)[["problems", "n"]].transform("sum")
    p = (by_tier["problems"] + 0.5) / (by_tier["n"] + 1.0)
    return p * (1 - p)


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


def _uncovered(st: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's (sector, tier) strata without any result, with their eligible counts."""
    missing = [c for c in ("sector", "tier", "eligible") if c not in frame.columns]
    if missing:
        raise PlanError(f"分层表缺少列：{', '.join(missing)} (frame strata lack {missing})")
    fr = frame.groupby(["sector", "tier"], observed=True, sort=True)["eligible"].sum()
    seen = set(zip(st["sector"], st["tier"], strict=True))
    keep = [k not in seen and v > 0 for k, v in fr.items()]
    return fr[keep].rename("N").reset_index()


def _imputed(st: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """Uncovered strata as pseudo-strata carrying their tier's rate and its variance."""
    tiers = st.groupby("tier", observed=True).agg(total=("total", "sum"), N=("N", "sum"),
                                                  var=("total_var", "sum"))  # fmt: skip
    rate = tiers["total"] / tiers["N"]
    se2 = tiers["var"] / tiers["N"] ** 2
    g = gaps[gaps["tier"].isin(rate.index)].copy()
    g["mean"] = g["tier"].map(rate)
    g["total"] = g["N"] * g["mean"]
    g["total_var"] = g["N"] ** 2 * g["tier"].map(se2)
    g["n"] = 0
    g["problems"] = 0
    return g


def problem_rates(
    results: pd.DataFrame,
    confidence: float = 0.95,
    frame: pd.DataFrame | None = None,
    impute: bool = False,
) -> pd.DataFrame:
    """Tidy table of HT problem-rate estimates: overall, by sector and by tier.

    `results`: one row per drawn inspection with sector, tier, inclusion_probability and
    found_problem (bool; missing = no result yet). Columns out: level (overall / sector /
    tier), group, inspected, problems, population, estimate, se, ci_low, ci_high; with `frame`
    (sector, tier, eligible per stratum of the draw's frame) also `uncovered` and `imputed`.
    """
    if not 0 < confidence < 1:
        raise PlanError("confidence 必须在 0 和 1 之间 (confidence must be in (0, 1))")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    st = _strata(results)
    gaps = _uncovered(st, frame) if frame is not None else None
    if gaps is not None and impute:
        extra = _imputed(st, gaps)
        gaps = gaps[~gaps["tier"].isin(extra["tier"])]
        st = pd.concat([st, extra.assign(imputed=extra["N"])], ignore_index=True)
    rows = [(_summarise(st, "overall", "all", z), st, gaps)]
    for level in ("sector", "tier"):
        for key, part in st.groupby(level, sort=True):
            sub = None if gaps is None else gaps[gaps[level] == key]
            rows.append((_summarise(part, level, str(key), z), part, sub))
        if gaps is not None:  # groups with no result at all still show what they leave out
            for key in sorted(set(gaps[level]) - set(st[level])):
                sub = gaps[gaps[level] == key]
                rows.append((_summarise(st.iloc[:0], level, str(key), z), st.iloc[:0], sub))
    out = []
    for row, part, sub in rows:
        if gaps is not None:
            row["uncovered"] = int(sub["N"].sum()) if sub is not None else 0
            row["imputed"] = int(part["imputed"].sum()) if "imputed" in part else 0
        out.append(row)
    return pd.DataFrame(out)
