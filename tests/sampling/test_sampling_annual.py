"""Annual rates mean what they say: monthly quotas over a pool that shrinks with each draw's
cooldown still inspect the configured share of each stratum in a year.

The long run (150 years) follows a stratum's counts, which is all the quota arithmetic sees: how
many entities were inspected k months ago; a shorter run draws real entities through
`mark_eligibility` and `plan_quotas`, the path a monthly draw takes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sampling.config import SamplingConfig
from sampling.plan import mark_eligibility, monthly_target, plan_quotas, round_quotas


def _counts_run(rates: np.ndarray, n: int, cooldown: int, years: int) -> np.ndarray:
    """Per stratum, inspections per entity per year over `years` after a first year."""
    k = len(rates)
    recent = np.zeros((max(cooldown, 1), k))  # recent[j] = inspected j+1 months ago
    done = np.zeros(k)
    for m in range(12 * (years + 1)):
        cooling = recent[:cooldown].sum(axis=0) if cooldown else np.zeros(k)
        pool = n - cooling
        quota = round_quotas(monthly_target(rates, np.full(k, n), pool), "systematic", f"m{m}")
        if m >= 12:
            done += quota
        recent = np.vstack([quota, recent[:-1]])
    return done / (n * years)


@pytest.mark.parametrize("cooldown", [12, 6, 0])
def test_annual_rate_over_150_years(cooldown: int) -> None:
    rates = np.array([0.01, 0.05, 0.15, 0.38, 0.6, 0.9])
    share = _counts_run(rates, n=500, cooldown=cooldown, years=150)
    assert np.allclose(share, rates, atol=0.002), share


def test_pool_only_base_would_fall_short() -> None:
    """The old arithmetic (a twelfth of the rate on the pool) delivers ~28% for 38%."""
    n, rate, recent, done = 500, 0.38, np.zeros(12), 0.0
    for m in range(12 * 51):
        pool = n - recent.sum()
        q = round_quotas(monthly_target(np.array([rate]), np.array([pool]), np.array([pool])),
                         "systematic", f"m{m}")[0]  # fmt: skip
        done += q if m >= 12 else 0
        recent = np.concatenate([[q], recent[:-1]])
    assert done / (n * 50) < 0.30


def test_plan_quotas_deliver_the_rate_on_real_entities() -> None:
    cfg = SamplingConfig(tier_rates={"A": 0.05, "D": 0.38}, sector_multipliers={}, floor_rate=0.01)
    rng = np.random.default_rng(0)
    n_per, years = 240, 6
    tiers = np.repeat(["A", "D"], n_per)
    frame = pd.DataFrame(
        {
            "uscc": [f"E{i:06d}" for i in range(len(tiers))],
            "sector": "other",
            "tier": tiers,
            "status": "active",
        }
    )
    last = np.full(len(tiers), np.datetime64("NaT"), dtype="datetime64[ns]")
    counts = {"A": 0, "D": 0}
    for m in range(12 * (years + 1)):
        month = f"{2000 + m // 12}-{m % 12 + 1:02d}"
        marked = mark_eligibility(frame.assign(last_inspected=last), month, cfg)
        plan = plan_quotas(marked, cfg, seed=f"sim{m}")
        eligible = marked["eligible"].to_numpy()
        for row in plan.itertuples():
            pool = np.flatnonzero(eligible & (tiers == row.tier))
            chosen = rng.choice(pool, size=int(row.quota), replace=False)
            last[chosen] = np.datetime64(f"{month}-01", "ns")
            counts[row.tier] += len(chosen) if m >= 12 else 0
    for tier, rate in cfg.tier_rates.items():
        assert abs(counts[tier] / (n_per * years) - rate) < 0.02, (tier, counts)
