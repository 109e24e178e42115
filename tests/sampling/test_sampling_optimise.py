"""The rate optimiser: floors and bands always hold, more budget never finds fewer problems,
equal risks give proportional allocation, and the precision target is met or refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling.optimise import (
    OptimiseError,
    Precision,
    evaluate,
    group_precision,
    optimise_rates,
)


def _strata(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sector": [f"s{i // 4}" for i in range(n)],
            "tier": [list("ABCD")[i % 4] for i in range(n)],
            "eligible": rng.integers(0, 3000, n),
            "problem_rate": rng.beta(1.5, 4, n),
        }
    )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 10_000),
    share=st.floats(0.0, 1.0),
    floor=st.floats(0.001, 0.2),
)
def test_never_below_floor_or_outside_band(n: int, seed: int, share: float, floor: float) -> None:
    s = _strata(n, seed)
    rng = np.random.default_rng(seed + 1)
    s["min_rate"] = np.where(rng.random(n) < 0.3, rng.uniform(0, 0.3, n), 0.0)
    s["max_rate"] = np.maximum(s["min_rate"] + rng.uniform(0.05, 0.8, n), floor)
    lo = np.maximum(s["min_rate"], floor).to_numpy()
    need = float(s["eligible"] @ lo)
    room = float(s["eligible"] @ np.minimum(s["max_rate"], 1))
    budget = need + share * (room - need)
    out = optimise_rates(s, budget, floor).strata
    p = out["proposed_rate"].to_numpy()
    assert (p >= lo - 1e-9).all()
    assert (p <= np.minimum(s["max_rate"], 1).to_numpy() + 1e-9).all()
    assert out["expected_inspections"].sum() <= budget + 1e-6 * max(budget, 1)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), seed=st.integers(0, 10_000), a=st.floats(0, 1), b=st.floats(0, 1))
def test_tighter_budget_never_finds_more(n: int, seed: int, a: float, b: float) -> None:
    s = _strata(n, seed)
    floor = 0.01
    need, room = float(s["eligible"].sum() * floor), float(s["eligible"].sum())
    small, large = sorted([need + a * (room - need), need + b * (room - need)])
    e_small = optimise_rates(s, small, floor).expected_problems
    e_large = optimise_rates(s, large, floor).expected_problems
    assert e_small <= e_large + 1e-6 * max(e_large, 1)


def test_equal_risks_give_proportional_allocation() -> None:
    s = _strata(48, 3).assign(problem_rate=0.2)
    s = s[s["eligible"] > 0]
    budget = 0.07 * s["eligible"].sum()
    out = optimise_rates(s, budget, floor=0.005).strata
    assert np.allclose(out["proposed_rate"], 0.07)
    # with a band pinning one stratum, the others share the rest equally
    s2 = s.assign(max_rate=np.where(np.arange(len(s)) == 0, 0.01, 1.0))
    p = optimise_rates(s2, budget, floor=0.005).strata["proposed_rate"].to_numpy()
    assert p[0] == pytest.approx(0.01) and np.allclose(p[1:], p[1])


def test_riskier_strata_are_filled_first() -> None:
    s = pd.DataFrame(
        {"tier": list("ABCD"), "eligible": [1000] * 4, "problem_rate": [0.05, 0.2, 0.5, 0.8]}
    )
    p = optimise_rates(s, 1500, floor=0.01).strata["proposed_rate"].to_numpy()
    assert p == pytest.approx([0.01, 0.01, 0.48, 1.0])


def test_budget_below_floors_is_refused() -> None:
    s = _strata(8, 1)
    with pytest.raises(OptimiseError, match="floors"):
        optimise_rates(s, 0.5 * 0.02 * s["eligible"].sum(), floor=0.02)


def test_precision_target_is_met() -> None:
    s = _strata(48, 5)
    budget = 0.05 * s["eligible"].sum()
    free = optimise_rates(s, budget, floor=0.005)
    prec = Precision(0.03, by=("tier",))
    before = group_precision(s, free.strata["proposed_rate"].to_numpy(), prec)
    assert before["half_width"].max() > 0.03  # the target binds
    held = optimise_rates(s, budget, floor=0.005, precision=prec)
    assert (held.groups["half_width"] <= 0.03 + 1e-9).all()
    assert held.expected_problems <= free.expected_problems + 1e-6
    assert held.inspections == pytest.approx(budget)


def test_unreachable_precision_names_the_budget_it_needs() -> None:
    s = _strata(16, 2)
    with pytest.raises(OptimiseError, match="needs about"):
        optimise_rates(s, 0.01 * s["eligible"].sum(), 0.005, Precision(0.002, by=("tier",)))


def test_evaluate_matches_the_proposal() -> None:
    s = _strata(12, 4)
    a = optimise_rates(s, 0.1 * s["eligible"].sum(), 0.005)
    table, _ = evaluate(s, a.strata["proposed_rate"].to_numpy())
    assert table["expected_problems"].sum() == pytest.approx(a.expected_problems)
