"""Annual rates per stratum that find the most problems, still random, every entity above its floor.

In plain words: each stratum (a sector x tier cell, or a finer cell such as one task's part of
it) has some number of eligible entities and an estimated chance that an inspection there finds
a problem. A budget of inspections can be spent anywhere, but every entity keeps at least the
floor chance of being drawn (不免抽), and a stratum's rate stays within its legal or local band.
Spending an inspection where problems are likelier finds more of them, so the best plan fills the
riskiest strata first, up to their upper band, leaves the least risky at their floor, and puts
the rest of the budget in between. The draw inside each stratum stays random: every entity of a
stratum has the same chance, which is the stratum's rate.

Optionally the plan must still *measure* the population: for each group (e.g. each tier) the
95% interval of the group's problem-rate estimate from one year's random draws must be at most a
given half-width. That needs enough inspections in every stratum of the group, including the
quiet ones (the Neyman / Bethel idea behind SAS SURVEYSELECT's ALLOC= and MARGIN=).

As formulas: choose rates p_h in [lo_h, hi_h] to maximise sum_h N_h p_h r_h subject to
sum_h N_h p_h = B (expected inspections in the period), where lo_h = max(floor, band low). The
precision target for group g is z^2 sum_{h in g} (N_h/N_g)^2 S_h^2 (1/(N_h p_h) - 1/N_h) <= X^2
with S_h^2 = r_h (1 - r_h): linear in 1/p_h, which is convex, so the solver sees 1/p_h through
its piecewise-linear interpolation (secants) on a fine geometric grid. The interpolation lies
above 1/p, so a plan that meets the linearised target meets the real one. The linear programme
is solved by HiGHS (`scipy.optimize.linprog`). When strata have the same estimated rate the
programme does not care how the budget is split among them; the split is then made as even as
the bands allow (equal rates), so equal risks give proportional allocation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from sampling.errors import PlanError

# Breakpoints of the secant approximation of 1/p per stratum (geometric between lo and hi):
# 16 keep it within 3% above 1/p for a floor of 0.5% and a cap of 100% (conservative).
SECANTS = 16


# Published local tier rules as bands (low, high) on each stratum's annual rate (DOMAIN.md):
# Daqing's are bands; Henan 2021 and Guangzhou Yuexiu 2021 publish rates, taken here as each
# tier's minimum (the optimiser may add to a tier, never take from it).
PRESETS: dict[str, dict[str, tuple[float, float]]] = {
    "daqing": {"A": (0.0, 0.05), "B": (0.05, 0.20), "C": (0.21, 0.60), "D": (0.61, 1.0)},
    "henan": {"A": (0.01, 1.0), "B": (0.02, 1.0), "C": (0.10, 1.0), "D": (0.30, 1.0)},
    "yuexiu": {"A": (0.05, 1.0), "B": (0.15, 1.0), "C": (0.30, 1.0), "D": (0.50, 1.0)},
}


def with_bands(strata: pd.DataFrame, bands: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """`strata` with `min_rate` / `max_rate` from per-tier bands (tiers not listed: 0 to 1)."""
    out = strata.copy()
    out["min_rate"] = out["tier"].map(lambda t: bands.get(t, (0.0, 1.0))[0]).astype(float)
    out["max_rate"] = out["tier"].map(lambda t: bands.get(t, (0.0, 1.0))[1]).astype(float)
    return out


class OptimiseError(PlanError):
    """The optimisation cannot be set up or has no feasible plan (budget below the floors...)."""


@dataclass(frozen=True)
class Precision:
    """A ceiling on the 95% interval half-width of each group's problem-rate estimate."""

    half_width: float
    by: tuple[str, ...] = ("tier",)
    confidence: float = 0.95

    @property
    def z(self) -> float:
        return NormalDist().inv_cdf(0.5 + self.confidence / 2)


@dataclass
class Allocation:
    """The proposal: `strata` is the input with `proposed_rate`, `expected_inspections`,
    `expected_problems` and `half_width`; `groups` the precision per group (when asked)."""

    strata: pd.DataFrame
    groups: pd.DataFrame | None
    budget: float
    inspections: float
    expected_problems: float
    unused_budget: float
    seconds: float


def bounds(strata: pd.DataFrame, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) per stratum: the floor and band minimum, the band maximum capped at 1."""
    if not 0 < floor <= 1:
        raise OptimiseError(f"floor 必须在 (0, 1] 之间：{floor} (floor must be in (0, 1])")
    n = len(strata)
    band_lo = strata["min_rate"].to_numpy(float) if "min_rate" in strata else np.zeros(n)
    band_hi = strata["max_rate"].to_numpy(float) if "max_rate" in strata else np.ones(n)
    band_lo = np.nan_to_num(band_lo, nan=0.0)
    band_hi = np.minimum(np.nan_to_num(band_hi, nan=1.0), 1.0)
    lo = np.maximum(band_lo, floor)
    bad = np.flatnonzero(lo > band_hi + 1e-12)
    if len(bad):
        row = strata.iloc[int(bad[0])]
        raise OptimiseError(
            f"层 {_label(row)} 的下限 {lo[bad[0]]:.4f} 高于上限 {band_hi[bad[0]]:.4f} "
            f"(stratum {_label(row)}: its floor or band minimum is above its band maximum)"
        )
    return lo, band_hi


def _label(row: pd.Series) -> str:
    keys = [str(row[k]) for k in row.index if k in ("task", "sector", "tier")]
    return "/".join(keys) or str(row.name)


def _check(strata: pd.DataFrame, budget: float) -> None:
    for col in ("eligible", "problem_rate"):
        if col not in strata:
            raise OptimiseError(f"分层表缺少列 {col} (the strata table lacks {col})")
    if (strata["eligible"] < 0).any():
        raise OptimiseError("eligible 不能为负数 (eligible counts must not be negative)")
    r = strata["problem_rate"].to_numpy(float)
    if np.isnan(r).any() or (r < 0).any() or (r > 1).any():
        raise OptimiseError("problem_rate 必须在 0 到 1 之间 (problem rates must be in [0, 1])")
    if not np.isfinite(budget) or budget < 0:
        raise OptimiseError(f"预算不能为负数：{budget} (the budget must not be negative)")


def half_widths(n_pop: np.ndarray, rate: np.ndarray, r: np.ndarray, z: float) -> np.ndarray:
    """Expected 95% half-width of a stratum's problem rate from `rate x N` random inspections."""
    n = n_pop * rate
    var = r * (1 - r) * (1 / np.where(n > 0, n, np.nan) - 1 / np.where(n_pop > 0, n_pop, np.nan))
    return z * np.sqrt(np.clip(var, 0, None))


def evaluate(
    strata: pd.DataFrame, rates: np.ndarray, precision: Precision | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Expected inspections, problems and half-widths of any rates (today's, or a proposal)."""
    z = (precision or Precision(0.1)).z
    n_pop = strata["eligible"].to_numpy(float)
    r = strata["problem_rate"].to_numpy(float)
    out = pd.DataFrame(
        {
            "rate": rates,
            "expected_inspections": n_pop * rates,
            "expected_problems": n_pop * rates * r,
            "half_width": half_widths(n_pop, rates, r, z),
        },
        index=strata.index,
    )
    if precision is None:
        return out, None
    return out, group_precision(strata, rates, precision)


def group_precision(strata: pd.DataFrame, rates: np.ndarray, precision: Precision) -> pd.DataFrame:
    """Per group: population, expected inspections and the expected interval half-width."""
    n_pop = strata["eligible"].to_numpy(float)
    r = strata["problem_rate"].to_numpy(float)
    n = n_pop * rates
    safe_n = np.where(n > 0, n, np.nan)
    term = n_pop**2 * r * (1 - r) * (1 / safe_n - 1 / np.where(n_pop > 0, n_pop, 1.0))
    df = strata[list(precision.by)].copy()
    df["N"], df["n"], df["term"] = n_pop, n, np.where(n_pop > 0, term, 0.0)
    g = df.groupby(list(precision.by), sort=True, observed=True)
    out = g.agg(eligible=("N", "sum"), expected_inspections=("n", "sum"), term=("term", "sum"))
    out["half_width"] = precision.z * np.sqrt(out["term"].clip(lower=0)) / out["eligible"]
    out["target"] = precision.half_width
    return out.drop(columns="term").reset_index()


def optimise_rates(
    strata: pd.DataFrame,
    budget: float,
    floor: float,
    precision: Precision | None = None,
) -> Allocation:
    """Annual rates per stratum maximising expected problems found within `budget`.

    `strata`: one row per stratum with `eligible` (entities, N_h) and `problem_rate` (r_h), and
    optionally `min_rate` / `max_rate` (band) and the key columns named in `precision.by`.
    `budget`: expected inspections in the period the rates are for (a year for annual rates).
    """
    t0 = time.perf_counter()
    _check(strata, budget)
    lo, hi = bounds(strata, floor)
    n_pop = strata["eligible"].to_numpy(float)
    r = strata["problem_rate"].to_numpy(float)
    need, room = float(n_pop @ lo), float(n_pop @ hi)
    if need > budget + 1e-6:
        raise OptimiseError(
            f"预算 {budget:,.0f} 次不足以满足各层的保底比例（需要 {need:,.0f} 次） "
            f"(the budget of {budget:,.0f} inspections is below the {need:,.0f} the floors "
            "and band minimums need)"
        )
    target = min(budget, room)
    live = n_pop > 0
    rates = lo.copy()
    if live.any():
        rates[live] = _solve(strata[live], n_pop[live], r[live], lo[live], hi[live], target,
                             precision)  # fmt: skip
        rates[live] = _even_out_ties(
            n_pop[live], r[live], lo[live], hi[live], rates[live], strata[live], precision
        )
    rates = np.clip(rates, lo, hi)
    table, groups = evaluate(strata, rates, precision)
    out = strata.copy()
    out["proposed_rate"] = rates
    for c in ("expected_inspections", "expected_problems", "half_width"):
        out[c] = table[c].to_numpy()
    inspections = float(table["expected_inspections"].sum())
    return Allocation(
        strata=out,
        groups=groups,
        budget=float(budget),
        inspections=inspections,
        expected_problems=float(table["expected_problems"].sum()),
        unused_budget=max(0.0, float(budget) - inspections),
        seconds=time.perf_counter() - t0,
    )


def _solve(strata, n_pop, r, lo, hi, target, precision) -> np.ndarray:
    """The linear programme (see the module docstring) solved by HiGHS.

    With a precision target, groups enter the programme lazily: first none, then those whose
    target the last solution misses, until every group meets it (most groups of a plan that
    favours risky strata meet it without help, and each one left out saves its rows)."""
    h = len(n_pop)
    c = -(n_pop * r) / max(n_pop.sum(), 1.0)  # scaled: objective of order 1
    a_eq = sparse.csr_matrix(n_pop.reshape(1, -1) / max(target, 1.0))
    b_eq = np.array([target / max(target, 1.0)])
    if precision is None:
        return _run(c, None, None, a_eq, b_eq, list(zip(lo, hi, strict=True)), h)
    if not 0 < precision.half_width < 1:
        raise OptimiseError("精度目标应在 0 与 1 之间 (the half-width must be in (0, 1))")
    missing = [k for k in precision.by if k not in strata]
    if missing:
        raise OptimiseError(f"分层表缺少分组列 {missing} (the strata lack the group columns)")
    groups = strata.groupby(list(precision.by), sort=True, observed=True).ngroup().to_numpy()
    active = np.zeros(groups.max() + 1, dtype=bool)
    rates = _run(c, None, None, a_eq, b_eq, list(zip(lo, hi, strict=True)), h)
    while True:
        hw = group_precision(strata, rates, precision)["half_width"].to_numpy()
        missed = (hw > precision.half_width * (1 + 1e-6)) & ~active
        if not missed.any():
            return rates
        active |= missed
        a_ub, b_ub, cc, var_bounds = _precision_rows(groups, active, n_pop, r, lo, hi, precision, c)
        m = a_ub.shape[1] - h
        a_eq_full = sparse.hstack([a_eq, sparse.csr_matrix((1, m))]).tocsr()
        res = linprog(cc, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq_full, b_eq=b_eq, bounds=var_bounds,
                      method="highs")  # fmt: skip
        if res.status == 2:
            least = _least_budget(groups, n_pop, r, lo, hi, precision)
            raise OptimiseError(
                f"在此预算内达不到精度目标 ±{precision.half_width:.1%}；至少需要约 {least:,.0f} 次"
                f"检查 (the precision target ±{precision.half_width:.1%} cannot be met within "
                f"the budget; it needs about {least:,.0f} inspections)"
            )
        if res.status != 0:
            raise OptimiseError(f"求解失败 (the solver failed): {res.message}")
        rates = np.asarray(res.x[:h])


def _run(c, a_ub, b_ub, a_eq, b_eq, var_bounds, h) -> np.ndarray:
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=var_bounds,
                  method="highs")  # fmt: skip
    if res.status != 0:
        raise OptimiseError(f"求解失败 (the solver failed): {res.message}")
    return np.asarray(res.x[:h])


def _precision_rows(groups, active, n_pop, r, lo, hi, precision, c):
    """Rows u_j >= secant_k(p_h) for the strata of the active groups (u_j stands for 1/p_h)
    and, per active group, sum a_h u_h <= its limit, scaled to 1 (relative solver tolerance)."""
    h = len(n_pop)
    idx = np.flatnonzero(active[groups])  # strata that get a u variable
    m = len(idx)
    grid = np.geomspace(lo[idx], hi[idx], SECANTS + 1, axis=1)  # (m, K+1)
    p0, p1 = grid[:, :-1], grid[:, 1:]
    keep = (p1 - p0) > 1e-12  # a stratum with lo == hi has u pinned by its bounds
    which = np.repeat(np.arange(m), SECANTS).reshape(m, SECANTS)[keep]
    k = len(which)
    sec = sparse.csr_matrix(
        (
            np.concatenate([(-1.0 / (p0 * p1))[keep], -np.ones(k)]),
            (np.tile(np.arange(k), 2), np.concatenate([idx[which], h + which])),
        ),
        shape=(k, h + m),
    )
    sec_b = -(1.0 / p0 + 1.0 / p1)[keep]
    n_g = np.bincount(groups, weights=n_pop)
    a = n_pop * r * (1 - r) / n_g[groups] ** 2
    limit = (precision.half_width / precision.z) ** 2 + np.bincount(groups, weights=a)
    gid = np.cumsum(active) - 1  # row of each active group
    grp = sparse.csr_matrix(
        ((a / limit[groups])[idx], (gid[groups[idx]], h + np.arange(m))),
        shape=(int(active.sum()), h + m),
    )
    a_ub = sparse.vstack([sec, grp]).tocsr()
    b_ub = np.concatenate([sec_b, np.ones(int(active.sum()))])
    u_bounds = [(1.0 / b, 1.0 / a_) for a_, b in zip(lo[idx], hi[idx], strict=True)]
    var_bounds = list(zip(lo, hi, strict=True)) + u_bounds
    return a_ub, b_ub, np.concatenate([c, np.zeros(m)]), var_bounds


def _least_budget(groups, n_pop, r, lo, hi, precision) -> float:
    """The fewest inspections that meet the precision target (for the error message)."""
    h = len(n_pop)
    active = np.ones(groups.max() + 1, dtype=bool)
    a_ub, b_ub, c, var_bounds = _precision_rows(
        groups, active, n_pop, r, lo, hi, precision, n_pop.astype(float)
    )
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=var_bounds, method="highs")
    return float(res.x[:h] @ n_pop) if res.status == 0 else float("inf")


def _even_out_ties(n_pop, r, lo, hi, rates, strata, precision) -> np.ndarray:
    """Among strata with the same estimated rate, spread their inspections as one common rate
    (clipped to each band): same objective, same budget, and equal risks get proportional
    allocation. Kept only if the precision targets still hold."""
    out = rates.copy()
    key = np.round(r, 12)
    for value in np.unique(key):
        idx = np.flatnonzero(key == value)
        if len(idx) < 2:
            continue
        total = float(n_pop[idx] @ rates[idx])
        a, b = float(lo[idx].min()), float(hi[idx].max())
        for _ in range(100):  # bisection on the common rate
            mid = (a + b) / 2
            if n_pop[idx] @ np.clip(mid, lo[idx], hi[idx]) > total:
                b = mid
            else:
                a = mid
        out[idx] = np.clip((a + b) / 2, lo[idx], hi[idx])
    if precision is not None:
        g = group_precision(strata, out, precision)
        if (g["half_width"] > precision.half_width * (1 + 1e-6)).any():
            return rates
    return out
