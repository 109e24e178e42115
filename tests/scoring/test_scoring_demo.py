"""The default configuration on the demo workspace: tier mix near published mixes, ordered hits."""

from __future__ import annotations

import pandas as pd
import pytest

from scoring import ScoringConfig, composite, indicators, prepare, tiers
from tests.support.scores import score_tables
from tiered.demo import build as tiered_demo

AS_OF = pd.Timestamp("2026-11-01")


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return tiered_demo.generate(4000, seed=5, end="2026-10")


def test_default_tier_mix_on_the_demo(demo):
    out = score_tables(
        demo["entities"], demo["records"], demo["inspections"], AS_OF, ScoringConfig()
    )
    mix = out["tier"].value_counts(normalize=True)
    assert 0.40 <= mix["A"] <= 0.60
    assert 0.30 <= mix["B"] <= 0.50
    assert 0.03 <= mix["C"] <= 0.10
    assert 0.015 <= mix["D"] <= 0.06
    assert out["reasons"].str.len().gt(0).all()
    assert out.groupby("tier")["risk"].mean().is_monotonic_increasing


def test_tiers_separate_past_inspection_outcomes(demo):
    cfg = ScoringConfig()
    ins = demo["inspections"]
    past = ins[ins["date"] < AS_OF]
    feats = indicators.compute_at(
        prepare(demo["entities"], demo["records"], ins), past[["uscc", "date"]], cfg
    )
    pts = composite.points(feats, cfg)
    tier = tiers.assign_tiers(pts.score, cfg.thresholds, pts.at_best)
    hit = pd.Series(past["found_problem"].to_numpy()).groupby(tier).mean()
    assert hit["A"] < hit["B"] < hit[["C", "D"]].max()
