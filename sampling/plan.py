"""The monthly sampling plan: who may be drawn, who must be, and how many per stratum.

A stratum is one sector x tier cell. For each stratum:

* **eligible** entities are active and not inspected within their tier's cooldown (default 12
  months, following "planned checks of the same entity at most once a year");
* **must-inspect** entities are the eligible ones of a must-inspect tier (default D) not
  inspected for `must_inspect_months` (default 12). They are always drawn, with inclusion
  probability 1. The cooldown wins over must-inspect: an entity inspected last month is not
  drawn again, whatever its tier;
* the other eligible entities form the stratum's **random pool**. Its monthly target is
  `annual rate x pool / 12`, where the annual rate is the tier rate times the sector multiplier,
  raised to the floor (不免抽: never below `floor_rate`) and capped at 1;
* with a **monthly budget**, the random targets are scaled down by one common factor so that
  random draws plus must-inspect fit the budget, but no stratum goes below its floor target. If
  must-inspect and floors alone exceed the budget, the budget is exceeded and a warning logged;
* targets are rounded to whole **quotas**. Default "systematic" rounding gives each stratum its
  whole part and one more with probability equal to its fractional part (a seeded systematic
  pass over the strata in key order), so that every stratum keeps a chance each month and the
  expected quota equals the target; "largest_remainder" hands the `round(total)` extra places to
  the largest fractional parts, ties by stratum key;
* **inclusion probability** (of a random-pool entity) = quota / pool.
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
    bad = {k: v for k, v in config.tier_rates.items() if not 0 <= v <= 1}
    if bad:
        raise PlanError(f"tier_rates 必须在 0 到 1 之间：{bad} (tier rates must be in [0, 1])")
    if config.monthly_budget is not None and config.monthly_budget < 0:
        raise PlanError("monthly_budget 不能为负数 (monthly_budget must not be negative)")
    if config.assignment.inspectors_per_inspection < 2:
        raise PlanError(
            "每次检查至少需要 2 名执法人员：inspectors_per_inspection = "
            f"{config.assignment.inspectors_per_inspection} (at least 2 inspectors required)"
        )


def mark_eligibility(frame: pd.DataFrame, month: str, config: SamplingConfig) -> pd.DataFrame:
    """Add `eligible`, `must_inspect` and `excluded_reason` columns (a copy)."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise PlanError(f"抽查对象缺少列：{', '.join(missing)} (frame lacks columns {missing})")
    if frame["uscc"].duplicated().any():
        dup = frame.loc[frame["uscc"].duplicated(), "uscc"].iloc[0]
        raise PlanError(f"统一社会信用代码重复：{dup} (duplicate uscc)")
    if frame["tier"].isna().any():
        u = frame.loc[frame["tier"].isna(), "uscc"].iloc[0]
        raise PlanError(f"主体 {u} 没有信用风险等级 (entity has no tier)")
    start = month_start(month)
    out = frame.copy()
    status = out["status"].fillna("active")
    active = (status == "active").to_numpy()
    if "last_inspected" in out.columns:
        last = pd.to_datetime(out["last_inspected"]).to_numpy()
    else:
        last = np.full(len(out), np.datetime64("NaT"), dtype="datetime64[ns]")
    never = np.isnat(last)
    tiers = out["tier"].astype(str).to_numpy()
    cooling = np.zeros(len(out), dtype=bool)
    for tier in np.unique(tiers):
        months = config.cooldown(tier)
        if months > 0:
            cut = np.datetime64(start - pd.DateOffset(months=months), "ns")
            sel = tiers == tier
            cooling[sel] = ~never[sel] & (last[sel] >= cut) & (last[sel] < np.datetime64(start))
    eligible = active & ~cooling
    must = np.zeros(len(out), dtype=bool)
    if config.must_inspect_months is not None and config.must_inspect_tiers:
        cut = np.datetime64(start - pd.DateOffset(months=config.must_inspect_months), "ns")
        stale = never | (last < cut)
        must = eligible & np.isin(tiers, list(config.must_inspect_tiers)) & stale
    reason = np.where(~active, "inactive", np.where(cooling, "cooldown", ""))
    out["eligible"] = eligible
    out["must_inspect"] = must
    out["excluded_reason"] = reason
    return out


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


def _round(target: np.ndarray, method: str, seed: str) -> np.ndarray:
    whole = np.floor(target + 1e-9)
    frac = np.clip(target - whole, 0.0, None)
    extra = np.zeros(len(target))
    if method == "largest_remainder":
        k = int(math.floor(frac.sum() + 0.5 + 1e-9))
        order = np.argsort(-frac, kind="stable")  # strata come sorted by key: ties by key
        extra[order[:k]] = 1
    else:
        u = _unit_fraction("quota|" + seed)
        hi = np.cumsum(frac)
        lo = hi - frac
        # stratum gets one more when a point u + j (j = 0, 1, ...) falls in [lo, hi)
        extra = (np.floor(hi - u) - np.floor(lo - u)).clip(0, 1)
    return (whole + extra).astype(np.int64)


def plan_quotas(marked: pd.DataFrame, config: SamplingConfig, seed: str) -> pd.DataFrame:
    """Per-stratum counts, rates, targets and quotas, sorted by (sector, tier)."""
    check_config(config)
    el = marked[marked["eligible"]]
    all_strata = marked[STRATUM].drop_duplicates().astype(str)
    counts = (
        el.assign(one=1, must=el["must_inspect"].astype(int))
        .groupby(STRATUM, observed=True)
        .agg(eligible=("one", "sum"), must_inspect=("must", "sum"))
        .reset_index()
    )
    counts[STRATUM] = counts[STRATUM].astype(str)
    st = all_strata.merge(counts, on=STRATUM, how="left").fillna({"eligible": 0, "must_inspect": 0})
    st = st.sort_values(STRATUM, kind="stable").reset_index(drop=True)
    st["eligible"] = st["eligible"].astype(np.int64)
    st["must_inspect"] = st["must_inspect"].astype(np.int64)
    st["pool"] = st["eligible"] - st["must_inspect"]
    base = np.array([config.rate(s, t) for s, t in zip(st["sector"], st["tier"], strict=True)])
    annual = np.minimum(1.0, np.maximum(base, config.floor_rate))
    pool = st["pool"].to_numpy(dtype=float)
    target = annual * pool / 12.0
    if config.monthly_budget is not None:
        floor = min(1.0, config.floor_rate) * pool / 12.0
        room = float(config.monthly_budget) - float(st["must_inspect"].sum())
        target = _scale_to_budget(target, floor, max(room, 0.0))
    quota = np.minimum(_round(target, config.rounding, seed), st["pool"].to_numpy())
    st["annual_rate"] = annual
    st["target"] = target
    st["quota"] = quota
    st["drawn"] = st["quota"] + st["must_inspect"]
    with np.errstate(invalid="ignore", divide="ignore"):
        st["inclusion_probability"] = np.where(pool > 0, quota / np.where(pool > 0, pool, 1), 0.0)
    return st
