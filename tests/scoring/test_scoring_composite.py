"""The composite score: output shape, dimensions, overrides, reasons and the risk mapping."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from scoring import IndicatorSpec, ScoringConfig, ScoringConfigError, calibrate_risk, prepare
from scoring.composite import prior_risk
from scoring.config import DIMENSIONS
from tests.support.scores import score_tables

AS_OF = pd.Timestamp("2025-07-01")
COLUMNS = ["uscc", "score", "tier", "risk", "reasons", *DIMENSIONS]


def entities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uscc": ["C3", "A1", "B2", "D4", "X5"],
            "name": "x",
            "sector": "other",
            "region": "乐都区",
            "entity_type": ["enterprise", "individual", "enterprise", None, "individual"],
            "registered_on": pd.to_datetime(["2012-01-01", None, "2020-01-01", None, None]),
            "registered_capital": [500.0, np.nan, 50.0, np.nan, np.nan],
            "status": ["active", None, "active", "active", "deregistered"],
            "legal_representative": None,
        }
    )


def records() -> pd.DataFrame:
    rows = [
        ("B2", "penalty", "2025-03-01", "general", None),
        ("B2", "penalty", "2025-05-01", "general", None),
        ("D4", "serious_dishonesty", "2024-01-01", "serious", None),
        ("C3", "tax_grade", "2025-04-01", None, "D"),
        ("C3", "commendation", "2025-01-01", None, None),
        ("X5", "penalty", "2025-01-01", "serious", None),
    ]
    df = pd.DataFrame(rows, columns=["uscc", "kind", "date", "severity", "value"])
    df["date"] = pd.to_datetime(df["date"])
    df["amount"] = np.nan
    df["ended_on"] = pd.NaT
    df["source"] = None
    return df


def test_output_columns_active_only_sorted():
    out = score_tables(entities(), records(), None, AS_OF, ScoringConfig())
    assert list(out.columns) == COLUMNS
    assert out["uscc"].tolist() == ["A1", "B2", "C3", "D4"]  # X5 deregistered
    assert out["score"].between(0, 1000).all()
    assert out["risk"].between(0, 1).all()
    assert set(out["tier"]) <= set("ABCD")


def test_score_is_baseline_plus_dimensions():
    cfg = ScoringConfig()
    out = score_tables(entities(), records(), None, AS_OF, cfg)
    total = cfg.baseline + out[list(DIMENSIONS)].sum(axis=1)
    assert np.allclose(out["score"], total.clip(0, 1000), atol=0.3)


def test_overrides_and_reasons():
    out = score_tables(entities(), records(), None, AS_OF, ScoringConfig()).set_index("uscc")
    assert out.loc["D4", "tier"] == "D"
    assert out.loc["C3", "tier"] in ("C", "D")  # tax grade D: at best C
    assert out.loc["B2", "reasons"].split(";")[0] == "近一年行政处罚2次（一般）"
    assert out.loc["D4", "reasons"].startswith("列入严重违法失信名单")
    en = score_tables(entities(), records(), None, AS_OF, ScoringConfig(), lang="en").set_index(
        "uscc"
    )
    assert "administrative penalty" in en.loc["B2", "reasons"]
    assert all(len(r.split(";")) <= 3 for r in out["reasons"])


def test_override_can_be_switched_off_and_points_changed():
    cfg = ScoringConfig()
    cfg = replace(cfg, overrides={}, thresholds=replace(cfg.thresholds, a=0, b=0, c=0))
    out = score_tables(entities(), records(), None, AS_OF, cfg).set_index("uscc")
    assert (out["tier"] == "A").all()
    ind = dict(cfg.indicators)
    ind["penalty_general"] = IndicatorSpec("supervision", 100, "-", 1)
    cfg2 = replace(cfg, indicators=ind)
    b2 = score_tables(entities(), records(), None, AS_OF, cfg2).set_index("uscc").loc["B2"]
    assert b2["supervision"] < 0 and b2["supervision"] >= -100  # capped at one unit


def test_score_does_not_depend_on_the_population():
    ent, rec = entities(), records()
    full = score_tables(ent, rec, None, AS_OF, ScoringConfig()).set_index("uscc")
    alone = score_tables(
        ent[ent["uscc"] == "B2"], rec[rec["uscc"] == "B2"], None, AS_OF, ScoringConfig()
    )
    assert alone.set_index("uscc").loc["B2", "score"] == full.loc["B2", "score"]


def test_bad_config_names_the_key():
    bad = replace(ScoringConfig(), indicators={"nope": IndicatorSpec("basic", 1, "+")})
    with pytest.raises(ScoringConfigError, match="scoring.indicators.nope"):
        score_tables(entities(), records(), None, AS_OF, bad)
    bad = replace(ScoringConfig(), overrides={"serious_dishonesty": "E"})
    with pytest.raises(ScoringConfigError, match="overrides"):
        score_tables(entities(), records(), None, AS_OF, bad)


def _history(n: int, seed: int = 0):
    """Entities whose penalties make later inspections find problems more often."""
    rng = np.random.default_rng(seed)
    ent = pd.DataFrame(
        {
            "uscc": [f"H{i:04d}" for i in range(n)],
            "name": "x",
            "sector": "other",
            "region": "乐都区",
            "entity_type": "individual",
            "registered_on": pd.NaT,
            "registered_capital": np.nan,
            "status": "active",
            "legal_representative": None,
        }
    )
    bad = rng.random(n) < 0.3
    rec = pd.DataFrame(
        {
            "uscc": ent["uscc"][bad].to_numpy(),
            "kind": "penalty",
            "date": pd.Timestamp("2024-01-10"),
            "severity": "general",
            "amount": np.nan,
            "value": None,
            "ended_on": pd.NaT,
            "source": None,
        }
    )
    ins = pd.DataFrame(
        {
            "uscc": ent["uscc"],
            "date": pd.Timestamp("2024-06-01"),
            "found_problem": rng.random(n) < np.where(bad, 0.7, 0.1),
            "item": None,
            "result": None,
            "inspectors": None,
        }
    )
    return ent, rec, ins


def test_risk_calibrated_on_inspection_history():
    ent, rec, ins = _history(600)
    for method in ("logistic", "isotonic"):
        cfg = ScoringConfig()
        cfg = replace(cfg, risk=replace(cfg.risk, method=method))
        mapping = calibrate_risk(prepare(ent, rec, ins), AS_OF, cfg)
        assert mapping.method == method and mapping.n_inspections == 600
        # penalised entities score ~650 at inspection time, the others ~700
        assert mapping(np.array([650.0]))[0] == pytest.approx(0.7, abs=0.1)
        assert mapping(np.array([705.0]))[0] == pytest.approx(0.1, abs=0.05)
        out = score_tables(ent, rec, ins, AS_OF, cfg)
        assert out.groupby("tier")["risk"].mean().is_monotonic_increasing


def test_risk_falls_back_to_prior_without_history():
    ent, rec, ins = _history(50)
    cfg = ScoringConfig()
    assert calibrate_risk(prepare(ent, rec, ins), AS_OF, cfg).method == "prior"
    assert calibrate_risk(prepare(ent, rec, None), AS_OF, cfg).method == "prior"
    p = prior_risk(cfg)
    assert p(np.array([cfg.risk.prior_midpoint]))[0] == pytest.approx(0.5, abs=1e-3)
    # only inspections before as_of calibrate
    assert (
        calibrate_risk(prepare(ent, rec, ins), pd.Timestamp("2024-06-01"), cfg).n_inspections == 0
    )


def test_entities_registered_on_or_after_as_of_are_not_scored() -> None:
    ents = pd.DataFrame(
        {
            "uscc": ["A1", "B2", "C3"],
            "name": ["甲", "乙", "丙"],
            "sector": "other",
            "region": "乐都区",
            "entity_type": "enterprise",
            "registered_on": pd.to_datetime(["2020-01-01", "2025-06-01", None]),
            "registered_capital": 10.0,
            "status": "active",
            "legal_representative": None,
        }
    )
    out = score_tables(ents, None, None, "2025-06-01")
    assert out["uscc"].tolist() == ["A1", "C3"]  # B2 did not exist yet; no date = existed
    assert score_tables(ents, None, None, "2025-06-02")["uscc"].tolist() == ["A1", "B2", "C3"]
