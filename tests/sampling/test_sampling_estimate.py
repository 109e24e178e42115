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
