"""Horvitz–Thompson estimates: unbiased over repeated draws, sensible intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sampling.config import SamplingConfig
from sampling.draw import draw
from sampling.errors import PlanError
from sampling.estimate import problem_rates
from sampling.plan import mark_eligibility

from .conftest import build_frame


def test_unbiased_over_many_draws() -> None:
    frame = build_frame(1000, seed=11, inspected_share=0.3)
    rng = np.random.default_rng(0)
    p = frame["tier"].map({"A": 0.05, "B": 0.3, "C": 0.5, "D": 0.85}).to_numpy()
    truth_y = pd.Series(rng.random(len(frame)) < p, index=frame["uscc"].to_numpy())
    cfg = SamplingConfig(tier_rates={"A": 0.3, "B": 0.4, "C": 0.8, "D": 1.0}, floor_rate=0.1)
    marked = mark_eligibility(frame, "2026-03", cfg)
    marked = marked[marked["eligible"]]
    est, truths, covered = [], [], 0
    for s in range(100):
        out = draw(frame, "2026-03", f"sim{s}", cfg)
        sel = out.selected.assign(found_problem=truth_y.loc[out.selected["uscc"]].to_numpy())
        overall = problem_rates(sel).iloc[0]
        # the estimate stands for the strata that got at least one draw this month
        # (must-inspect entities, and the random pools whose quota is above zero)
        hit = out.strata[out.strata["quota"] > 0][["sector", "tier"]]
        pool = marked[~marked["must_inspect"]].merge(hit, on=["sector", "tier"])
        pop = pd.concat([marked[marked["must_inspect"]], pool])
        assert overall["population"] == len(pop)
        truth = float(truth_y.loc[pop["uscc"]].mean())
        est.append(overall["estimate"])
        truths.append(truth)
        covered += overall["ci_low"] <= truth <= overall["ci_high"]
    err = np.array(est) - np.array(truths)
    assert np.std(err) > 0
    assert abs(err.mean()) < 3 * np.std(err) / np.sqrt(len(err))
    assert covered / len(est) > 0.85


def test_tidy_output_and_certainty_stratum() -> None:
    df = pd.DataFrame(
        {
            "sector": ["tax"] * 4 + ["food_drug"] * 2,
            "tier": ["A", "A", "D", "D", "B", "B"],
            "inclusion_probability": [0.1, 0.1, 1.0, 1.0, 0.5, 0.5],
            "found_problem": [True, False, True, True, False, None],
        }
    )
    res = problem_rates(df)
    assert list(res.columns) == [
        "level",
        "group",
        "inspected",
        "problems",
        "population",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
    ]
    assert set(res["level"]) == {"overall", "sector", "tier"}
    d = res[(res["level"] == "tier") & (res["group"] == "D")].iloc[0]
    assert d["estimate"] == 1.0 and d["se"] == 0.0 and d["population"] == 2
    a = res[(res["level"] == "tier") & (res["group"] == "A")].iloc[0]
    assert a["population"] == 20 and a["estimate"] == pytest.approx(0.5)
    b = res[(res["level"] == "tier") & (res["group"] == "B")].iloc[0]
    assert b["inspected"] == 1 and b["population"] == 4 and b["se"] > 0  # one result missing
    overall = res.iloc[0]
    assert overall["estimate"] == pytest.approx((10 + 2 + 0) / (20 + 2 + 4))
    with pytest.raises(PlanError):
        problem_rates(df.assign(inclusion_probability=0.0))


def _single_result_strata(rng: np.random.Generator, k: int, p: float) -> pd.DataFrame:
    """k strata of 100 entities, one inspected in each (π = 0.01), true problem rate p."""
    return pd.DataFrame(
        {
            "sector": [f"s{i}" for i in range(k)],
            "tier": "A",
            "inclusion_probability": 0.01,
            "found_problem": rng.random(k) < p,
        }
    )


def test_single_result_strata_borrow_their_tier_variance() -> None:
    """Intervals from one-result strata keep their coverage and are far narrower than with
    the binary maximum 0.25 (which made them 2.4x too wide at a 5% rate)."""
    rng = np.random.default_rng(1)
    covered, widths = 0, []
    for _ in range(300):
        overall = problem_rates(_single_result_strata(rng, 60, 0.05)).iloc[0]
        covered += overall["ci_low"] <= 0.05 <= overall["ci_high"]
        widths.append(overall["ci_high"] - overall["ci_low"])
    old_width = 2 * 1.96 * np.sqrt(60 * 100**2 * 0.25 * 0.99) / 6000
    assert covered / 300 > 0.9
    assert np.mean(widths) < old_width / 2


def test_a_tier_without_problems_still_gets_an_interval() -> None:
    df = _single_result_strata(np.random.default_rng(0), 10, 0.0)
    assert problem_rates(df).iloc[0]["ci_high"] > 0


def test_uncovered_strata_are_reported_or_imputed() -> None:
    results = pd.DataFrame(
        {
            "sector": ["tax"] * 4 + ["food_drug"] * 2,
            "tier": ["A", "A", "D", "D", "A", "A"],
            "inclusion_probability": [0.1, 0.1, 0.5, 0.5, 0.2, 0.2],
            "found_problem": [True, False, True, True, False, False],
        }
    )
    frame = pd.DataFrame(
        {
            "sector": ["tax", "tax", "food_drug", "food_drug", "other"],
            "tier": ["A", "D", "A", "D", "C"],
            "eligible": [20, 4, 10, 30, 7],  # food_drug/D and other/C drew nobody
        }
    )
    plain = problem_rates(results)
    told = problem_rates(results, frame=frame)
    assert told.iloc[0]["estimate"] == plain.iloc[0]["estimate"]
    assert told.iloc[0]["population"] == 34 and told.iloc[0]["uncovered"] == 37
    c = told[(told["level"] == "tier") & (told["group"] == "C")].iloc[0]
    assert c["inspected"] == 0 and c["uncovered"] == 7
    imp = problem_rates(results, frame=frame, impute=True)
    o = imp.iloc[0]
    assert o["imputed"] == 30 and o["uncovered"] == 7 and o["population"] == 64
    d_rate = told[(told["level"] == "tier") & (told["group"] == "D")].iloc[0]["estimate"]
    assert d_rate == 1.0
    assert o["estimate"] == pytest.approx((10 + 4 + 0 + 30 * d_rate) / 64)
