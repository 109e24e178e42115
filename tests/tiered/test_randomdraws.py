"""Random-draw-only figures: weighted by 1/π, so they estimate the population, not the
inspected; and the backtest reports them once a workspace has draws with results."""

from __future__ import annotations

import pandas as pd
import pytest

from tiered.analysis.randomdraws import random_draw_report, stratum_rates


def _results() -> tuple[pd.DataFrame, pd.DataFrame]:
    # tier A drawn at 10% (stands for 10 each), tier D at 50% (2 each)
    res = pd.DataFrame(
        {
            "month": "2026-05",
            "uscc": [f"E{i}" for i in range(6)],
            "sector": "tax",
            "tier": ["A", "A", "A", "D", "D", "D"],
            "inclusion_probability": [0.1, 0.1, 0.1, 0.5, 0.5, 0.5],
            "found_problem": [False, False, True, True, True, None],
        }
    )
    frame = pd.DataFrame(
        {"month": "2026-05", "uscc": res["uscc"], "risk": [0.1, 0.2, 0.9, 0.8, 0.7, 0.6]}
    )
    return res, frame


def test_weighted_tier_rates_and_base_rate() -> None:
    res, frame = _results()
    rep = random_draw_report(res, frame, budget=0.2)
    assert rep["results"] == 5
    assert rep["tier_hit_rates"]["A"] == pytest.approx(1 / 3, abs=1e-4)
    assert rep["tier_hit_rates"]["D"] == 1.0 and rep["tier_hit_rates"]["B"] is None
    # weighted: A stands for 30 entities (10 with problems), D for 4 (4 with problems)
    assert rep["base_rate"] == pytest.approx(14 / 34, abs=1e-4)


def test_precision_at_top_share_is_weighted() -> None:
    res, frame = _results()
    # top 20% of 34 weighted entities = 6.8: the 0.9-risk A (weight 10) alone fills it
    assert random_draw_report(res, frame, budget=0.2)["precision_at_k"] == 1.0
    # top 50% = 17: the 0.9 A (10, hit), 0.8 D (2, hit), 0.7 D (2, hit), 0.2 A (3 of 10, no)
    rep = random_draw_report(res, frame, budget=0.5)
    assert rep["precision_at_k"] == pytest.approx(14 / 17, abs=1e-4)


def test_stratum_rates_pool_months() -> None:
    res, _ = _results()
    two = pd.concat([res, res.assign(month="2026-06", found_problem=False)])
    st = stratum_rates(two).set_index("tier")
    assert st.loc["A", "results"] == 6 and st.loc["A", "rate"] == pytest.approx(1 / 6)
    assert st.loc["D", "rate"] == pytest.approx(2 / 5)  # the 2nd month has all three


def test_no_results_is_said() -> None:
    res, frame = _results()
    rep = random_draw_report(res.assign(found_problem=None), frame, 0.1)
    assert rep["results"] == 0 and rep["precision_at_k"] is None
