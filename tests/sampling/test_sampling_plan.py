"""Quotas, floors, budget caps, must-inspect and cooldown."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling.config import AssignmentConfig, SamplingConfig
from sampling.errors import PlanError
from sampling.plan import mark_eligibility, month_start, plan_quotas

from .conftest import build_frame


def _plan(frame: pd.DataFrame, config: SamplingConfig, seed: str = "1") -> pd.DataFrame:
    return plan_quotas(mark_eligibility(frame, "2026-03", config), config, seed)


def test_exclusions_and_must_inspect() -> None:
    frame = pd.DataFrame(
        {
            "uscc": ["a", "b", "c", "d", "e"],
            "sector": "tax",
            "tier": ["D", "D", "D", "A", "D"],
            "status": ["active", "active", "revoked", "active", None],
            "last_inspected": pd.to_datetime(
                ["2026-01-15", "2024-01-01", None, "2025-06-01", None]
            ),
        }
    )
    assert not mark_eligibility(frame, "2026-03", SamplingConfig())["must_inspect"].any()
    cfg = SamplingConfig(must_inspect_tiers=("D",))  # off by default
    m = mark_eligibility(frame, "2026-03", cfg).set_index("uscc")
    assert m.loc["a", "excluded_reason"] == "cooldown" and not m.loc["a", "eligible"]
    assert m.loc["b", "must_inspect"] and m.loc["e", "must_inspect"]  # missing status = active
    assert m.loc["c", "excluded_reason"] == "inactive"
    assert m.loc["d", "excluded_reason"] == "cooldown"
    short = SamplingConfig(cooldown_months={"A": 6}, must_inspect_months=None)
    m2 = mark_eligibility(frame, "2026-03", short).set_index("uscc")
    assert m2.loc["d", "eligible"] and not m2["must_inspect"].any()


def test_quota_is_rate_times_pool_over_twelve() -> None:
    frame = build_frame(3000, seed=3, inspected_share=0.0)
    cfg = SamplingConfig(must_inspect_months=None, rounding="largest_remainder")
    st_ = _plan(frame, cfg)
    for r in st_.itertuples():
        expected = max(cfg.rate(r.sector, r.tier), cfg.floor_rate) * r.pool / 12
        assert abs(r.quota - expected) < 1 + 1e-9
        assert r.inclusion_probability == pytest.approx(r.quota / r.pool)
    assert st_["quota"].sum() == int(np.floor(st_["target"].sum() + 0.5))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(50, 600),
    seed=st.integers(0, 50),
    budget=st.one_of(st.none(), st.integers(0, 40)),
    method=st.sampled_from(["systematic", "largest_remainder"]),
)
def test_quotas_sum_to_the_total(n: int, seed: int, budget: int | None, method: str) -> None:
    frame = build_frame(n, seed=seed)
    cfg = SamplingConfig(monthly_budget=budget, rounding=method)
    st_ = _plan(frame, cfg, str(seed))
    assert (st_["quota"] <= st_["pool"]).all() and (st_["quota"] >= 0).all()
    total_target = st_["target"].sum()
    if method == "largest_remainder":
        assert st_["quota"].sum() == int(np.floor(total_target + 0.5 + 1e-9))
    else:
        assert abs(st_["quota"].sum() - total_target) < 1
    assert (st_["drawn"] == st_["quota"] + st_["must_inspect"]).all()
    floors = cfg.floor_rate * st_["pool"] / 12
    assert (st_["target"] >= floors - 1e-9).all()
    if budget is not None and floors.sum() + st_["must_inspect"].sum() <= budget:
        assert st_["target"].sum() + st_["must_inspect"].sum() <= budget + 1e-6


def test_budget_scales_down_but_keeps_floors() -> None:
    frame = build_frame(5000, seed=1, inspected_share=0.0)
    free = _plan(frame, SamplingConfig(must_inspect_months=None))
    capped = _plan(frame, SamplingConfig(must_inspect_months=None, monthly_budget=20))
    assert free["quota"].sum() > 20
    assert capped["quota"].sum() in (19, 20, 21)
    assert (capped["target"] >= SamplingConfig().floor_rate * capped["pool"] / 12 - 1e-9).all()


def test_systematic_rounding_gives_small_strata_a_chance() -> None:
    # 20 entities at 1 %/year: target 0.0167/month; largest remainder would never pick them
    frame = pd.DataFrame(
        {"uscc": [f"u{i}" for i in range(20)], "sector": "tax", "tier": "A", "status": "active"}
    )
    cfg = SamplingConfig(must_inspect_months=None)
    quotas = [int(_plan(frame, cfg, str(s))["quota"].sum()) for s in range(300)]
    assert 0 < sum(quotas) < 20  # expected 300 * 0.0167 = 5
    lr = dataclasses.replace(cfg, rounding="largest_remainder")
    assert _plan(frame, lr)["quota"].sum() == 0


def test_bad_settings_are_refused() -> None:
    frame = build_frame(20)
    for cfg in (
        SamplingConfig(floor_rate=0.0),
        SamplingConfig(tier_rates={"A": 1.5}),
        SamplingConfig(assignment=AssignmentConfig(inspectors_per_inspection=1)),
    ):
        with pytest.raises(PlanError):
            _plan(frame, cfg)
    with pytest.raises(PlanError):
        month_start("2026-3")
    with pytest.raises(PlanError):
        mark_eligibility(frame.drop(columns="tier"), "2026-03", SamplingConfig())
