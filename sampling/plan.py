"""The monthly sampling plan: who may be drawn, who must be, and how many per stratum.

A stratum is one sector x tier cell. For each stratum:

* **eligible** entities are active and not inspected within their tier's cooldown (default 12
  months, following "planned checks of the same entity at most once a year");
* **must-inspect** entities are the eligible ones of a must-inspect tier (none by default;
  e.g. D) not inspected for `must_inspect_months` (default 12). They are always drawn, with
  inclusion probability 1. The cooldown wins over must-inspect: an entity inspected last month
  is not drawn again, whatever its tier;
* the other eligible entities form the stratum's **random pool**. Its monthly target is
  `annual rate x base / 12`, where the annual rate is the tier rate times the sector multiplier
  (or the stratum's own rate in `stratum_rates`), raised to the floor (不免抽: never below
  `floor_rate`) and capped at 1, and the **base** is the stratum's active entities less its
  must-inspect ones: those cooling down after an inspection count too, so that the rate is the
  share of the stratum inspected in a year. Applying it to the pool alone would fall short as
  the pool shrinks with every draw (a 38% rate with a 12-month cooldown would deliver about
  28%); the target is capped at the pool;
* with a **monthly budget**, the random targets are scaled down by one common factor so that
  random draws plus must-inspect fit the budget, but no stratum goes below its floor target. If
  must-inspect and floors alone exceed the budget, the budget is exceeded and a warning logged;
* targets are rounded to whole **quotas**. Default "systematic" rounding gives each stratum its
  whole part and one more with probability equal to its fractional part (a seeded systematic
  pass over the strata in key order), so that every stratum keeps a chance each month and the
  expected quota equals the target; "largest_remainder" hands the `round(total)` extra places to
  the largest fractional parts, ties by stratum key;
* **inclusion probability** (of a random-pool entity) = quota / pool; must-inspect entities
  have probability 1 (a stratum with an empty pool and must-inspect entities reports 1).
"""

from __future__ import annotations

import hashlib
import logging
import math

import numpy as np
import pandas as pd

from sampling.config import SamplingConfig
from sampling.errors import PlanError

log = logging.getLogger(__name__)

REQUIRED = ("uscc", "sector", "tier", "status")
STRATUM = ["sector", "tier"]


def month_start(month: str) -> pd.Timestamp:
    """First day of a 'YYYY-MM' month; a clear error for anything else."""
    text = str(month).strip()
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        return pd.Timestamp(year=int(text[:4]), month=int(text[5:]), day=1)
    except ValueError:
        raise PlanError(f"月份格式应为 YYYY-MM：{month!r} (month must look like 2026-03)") from None


def check_config(config: SamplingConfig) -> None:
    """Reject settings that would break the plan's promises (floor above zero, k >= 2)."""
    if not 0 < config.floor_rate <= 1:
        raise PlanError(
            f"floor_rate 必须大于 0 且不超过 1（不免抽）：{config.floor_rate} "
            "(floor_rate must be in (0, 1])"
        )
    bad = {k: v for k, v in [*config.tier_rates.items(), *config.stratum_rates.items()]
           if not 0 <= v <= 1}  # fmt: skip
    if bad:
        raise PlanError(f"tier_rates 必须在 0 到 1 之间：{bad} (tier rates must be in [0, 1])")
    if config.monthly_budget is not None and config.monthly_budget < 0:
        raise PlanError("monthly_budget 不能为负数 (monthly_budget must not be negative)")
    if config.assignment.inspectors_per_inspection < 2:
        raise PlanError(
            "每次检查至少需要 2 名执法人员：inspectors_per_inspection = "
            f"{config.assignment.inspectors_per_inspection} (at least 2 inspectors required)"
        )


def _check_frame(frame: pd.DataFrame, sorted_uscc=None) -> None:
    """Required columns, unique uscc (from `sorted_uscc`, the frame's uscc sorted as Arrow
    text, when the caller has it: adjacent values differ), a tier for everyone."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise PlanError(f"抽查对象缺少列：{', '.join(missing)} (frame lacks columns {missing})")
    unique = sorted_uscc is not None
    if unique and len(sorted_uscc) > 1:
        import pyarrow.compute as pc

        n = len(sorted_uscc)
        unique = pc.all(pc.not_equal(sorted_uscc.slice(0, n - 1), sorted_uscc.slice(1))).as_py()
    if not unique and not frame["uscc"].is_unique:
        dup = frame.loc[frame["uscc"].duplicated(), "uscc"].iloc[0]
        raise PlanError(f"统一社会信用代码重复：{dup} (duplicate uscc)")
    if frame["tier"].isna().any():
        u = frame.loc[frame["tier"].isna(), "uscc"].iloc[0]
        raise PlanError(f"主体 {u} 没有信用风险等级 (entity has no tier)")


def eligibility_flags(
    frame: pd.DataFrame, month: str, config: SamplingConfig, *, sorted_uscc=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eligible, must_inspect, active) boolean arrays aligned with `frame`'s rows.
    `sorted_uscc`: the frame's uscc sorted (Arrow), when the caller has it (checks uniqueness)."""
    _check_frame(frame, sorted_uscc)
    start = month_start(month)
    status = frame["status"]
    active = (status.isna() | (status == "active")).to_numpy()
    n = len(frame)
    if "last_inspected" in frame.columns:
        col = frame["last_inspected"]
        if col.dtype != "datetime64[ns]":
            col = pd.to_datetime(col).astype("datetime64[ns]")
        last = col.to_numpy()
    else:
        last = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    never = np.isnat(last)
    t_codes, t_uni = pd.factorize(frame["tier"])
    start64 = np.datetime64(start, "ns")
    cooling = np.zeros(n, dtype=bool)
    for i, tier in enumerate(t_uni):
        months = config.cooldown(str(tier))
        if months > 0:
            cut = np.datetime64(start - pd.DateOffset(months=months), "ns")
            sel = t_codes == i
            cooling[sel] = ~never[sel] & (last[sel] >= cut) & (last[sel] < start64)
    eligible = active & ~cooling
    must = np.zeros(n, dtype=bool)
    if config.must_inspect_months is not None and config.must_inspect_tiers:
        cut = np.datetime64(start - pd.DateOffset(months=config.must_inspect_months), "ns")
        stale = never | (last < cut)
        in_tier = np.isin(
            t_codes, [i for i, t in enumerate(t_uni) if str(t) in config.must_inspect_tiers]
        )
        must = eligible & in_tier & stale
    return eligible, must, active


def mark_eligibility(frame: pd.DataFrame, month: str, config: SamplingConfig) -> pd.DataFrame:
    """A copy of `frame` with `eligible`, `must_inspect` and `excluded_reason` columns."""
    eligible, must, active = eligibility_flags(frame, month, config)
    out = frame.copy()
    out["active"] = active
    out["eligible"] = eligible
    out["must_inspect"] = must
    out["excluded_reason"] = np.where(~active, "inactive", np.where(~eligible, "cooldown", ""))
    return out


def stratum_codes(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """(row -> stratum index, strata frame of sector and tier sorted as text)."""
    s_codes, s_uni = pd.factorize(frame["sector"])
    t_codes, t_uni = pd.factorize(frame["tier"])
    combined = s_codes.astype(np.int64) * max(len(t_uni), 1) + t_codes
    present = np.flatnonzero(np.bincount(combined)) if len(combined) else combined
    lut = np.zeros(int(present.max()) + 1 if len(present) else 1, dtype=np.int64)
    lut[present] = np.arange(len(present))
    inverse = lut[combined]
    strata = pd.DataFrame(
        {
            "sector": [str(s_uni[c // max(len(t_uni), 1)]) for c in present],
            "tier": [str(t_uni[c % max(len(t_uni), 1)]) for c in present],
        }
    )
    order = strata.sort_values(STRATUM, kind="stable").index.to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse.reshape(-1)], strata.iloc[order].reset_index(drop=True)


def _unit_fraction(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2.0**64


def _scale_to_budget(target: np.ndarray, floor: np.ndarray, room: float) -> np.ndarray:
    """Targets scaled by one factor s so that sum(max(floor, s*target)) == room."""
    if target.sum() <= room:
        return target
    if floor.sum() >= room:
        log.warning("monthly budget too small for floors and must-inspect; floors kept")
        return floor.copy()
    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if np.maximum(floor, mid * target).sum() > room:
            hi = mid
        else:
            lo = mid
    return np.maximum(floor, lo * target)


def monthly_target(annual: np.ndarray, base: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """A month's expected random draws per stratum: a twelfth of the annual rate applied to the
    stratum's base (active, cooling ones included), never more than the pool holds."""
    return np.minimum(np.asarray(annual) * np.asarray(base) / 12.0, np.asarray(pool))


def _scale_to_total(
    base: np.ndarray, floor: np.ndarray, pool: np.ndarray, total: float
) -> np.ndarray:
    """Targets min(pool, max(floor, s*base)) with one common factor s, summing to `total`.

    For a draw of a given size (a ratio of the pool or a count) rather than a monthly share of
    the annual rates: the rates keep their proportions, floors and the pool cap still hold.
    """
    cap = pool.astype(float)
    if total >= cap.sum():
        return cap
    low = np.minimum(cap, floor)
    if low.sum() >= total:
        log.warning("draw size too small for the floors; floors kept")
        return low
    lo, hi = 0.0, 1.0
    while np.minimum(cap, np.maximum(low, hi * base)).sum() < total:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.minimum(cap, np.maximum(low, mid * base)).sum() < total:
            lo = mid
        else:
            hi = mid
    target = np.minimum(cap, np.maximum(low, hi * base))
    free = (target < cap) & (target > low)  # spread the bisection's last crumb over these
    if free.any():
        target[free] *= (total - target[~free].sum()) / target[free].sum()
    return target


def round_quotas(target: np.ndarray, method: str, seed: str) -> np.ndarray:
    """Whole quotas from fractional targets (see the module docstring on the two methods)."""
    whole = np.floor(target + 1e-9)
    frac = np.clip(target - whole, 0.0, None)
    extra = np.zeros(len(target))
    if method == "largest_remainder":
        k = int(math.floor(math.fsum(frac.tolist()) + 0.5 + 1e-9))  # exact sum: see rules.py
        order = np.argsort(-frac, kind="stable")  # strata come sorted by key: ties by key
        extra[order[:k]] = 1
    else:
        u = _unit_fraction("quota|" + seed)
        hi = np.cumsum(frac)
        lo = hi - frac
        # stratum gets one more when a point u + j (j = 0, 1, ...) falls in [lo, hi)
        extra = (np.floor(hi - u) - np.floor(lo - u)).clip(0, 1)
    return (whole + extra).astype(np.int64)


def plan_targets(
    marked: pd.DataFrame,
    config: SamplingConfig,
    codes: tuple[np.ndarray, pd.DataFrame] | None = None,
    *,
    share: float = 1 / 12,
    ratio: float | None = None,
    count: int | None = None,
) -> pd.DataFrame:
    """Per-stratum counts, base, annual rates and targets (quotas before rounding), sorted by
    (sector, tier): everything a commitment freezes before the seed exists.

    `marked` needs `eligible` and `must_inspect` (see `mark_eligibility`) and, for the annual
    base, `active` (without it the base is the eligible entities); `codes` may pass a
    precomputed `stratum_codes(marked)`.
    A draw takes `share` of the annual rates (a month: 1/12); with `ratio` (of the random pool)
    or `count` it instead draws that many in all, the rates giving each stratum its part.
    """
    check_config(config)
    code, st = codes if codes is not None else stratum_codes(marked)
    el = marked["eligible"].to_numpy(dtype=bool)
    must = marked["must_inspect"].to_numpy(dtype=bool)
    st = st.copy()
    st["eligible"] = np.bincount(code[el], minlength=len(st)).astype(np.int64)
    st["must_inspect"] = np.bincount(code[must & el], minlength=len(st)).astype(np.int64)
    st["pool"] = st["eligible"] - st["must_inspect"]
    active = marked["active"].to_numpy(dtype=bool) if "active" in marked else el
    st["base"] = np.bincount(code[active], minlength=len(st)).astype(np.int64) - st["must_inspect"]
    rate = np.array([config.rate(s, t) for s, t in zip(st["sector"], st["tier"], strict=True)])
    annual = np.minimum(1.0, np.maximum(rate, config.floor_rate))
    pool = st["pool"].to_numpy(dtype=float)
    base = st["base"].to_numpy(dtype=float)
    if share == 1 / 12:
        target = monthly_target(annual, base, pool)
    else:
        target = np.minimum(annual * base * share, pool)
    if ratio is not None or count is not None:
        total = float(count) if count is not None else float(ratio) * pool.sum()
        floor = min(1.0, config.floor_rate) * pool * share
        target = _scale_to_total(annual * pool, floor, pool, total)
    elif config.monthly_budget is not None:
        floor = monthly_target(min(1.0, config.floor_rate), base, pool)
        room = float(config.monthly_budget) - float(st["must_inspect"].sum())
        target = _scale_to_budget(target, floor, max(room, 0.0))
    st["annual_rate"] = annual
    st["target"] = target
    return st


def plan_quotas(
    marked: pd.DataFrame,
    config: SamplingConfig,
    seed: str,
    codes: tuple[np.ndarray, pd.DataFrame] | None = None,
    **size: float | int | None,
) -> pd.DataFrame:
    """`plan_targets` plus the seeded rounding: quotas, drawn counts and inclusion probabilities.

    The rules are published in words (`sampling.rules`) so that anyone can re-derive them;
    `size` (share, ratio, count) passes to `plan_targets`.
    """
    st = plan_targets(marked, config, codes, **size)
    pool = st["pool"].to_numpy(dtype=float)
    target = st["target"].to_numpy()
    quota = np.minimum(round_quotas(target, config.rounding, seed), st["pool"].to_numpy())
    st["quota"] = quota
    st["drawn"] = st["quota"] + st["must_inspect"]
    # a random-pool entity's probability; a stratum that is all must-inspect reports 1
    must_n = st["must_inspect"].to_numpy()
    st["inclusion_probability"] = np.where(
        pool > 0, quota / np.where(pool > 0, pool, 1), np.where(must_n > 0, 1.0, 0.0)
    )
    return st
