"""The learned risk model: conventions, monotonicity, calibration, reasons, save/load, features."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from scoring.config import ScoringConfig
from scoring.indicators import prepare
from scoring.model import RiskModel, model_from_config, risk_as_points, tier_basis_codes
from scoring.model_config import ModelConfig, ModelConfigError, check_model_config
from scoring.model_features import feature_names, features_at, labels, monotone_directions
from scoring.tiers import tier_codes

CFG = ScoringConfig()


def synthetic(n: int = 1500, seed: int = 0, reverse: bool = False):
    """Features named like the real ones; risk rises with penalties (falls if `reverse`)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(0.0, index=range(n), columns=feature_names(CFG, ("sector",)))
    x["penalty_general"] = rng.poisson(0.6, n).astype(float)
    x["penalty_general_n"] = x["penalty_general"]
    x["complaint"] = rng.poisson(0.4, n).astype(float)
    x["tax_grade_A"] = (rng.random(n) < 0.3).astype(float)
    x["last_found"] = np.where(rng.random(n) < 0.5, np.nan, rng.random(n) < 0.3)
    x["sector"] = rng.choice(["food_drug", "tax", "other"], n)
    sign = -1.0 if reverse else 1.0
    logit = -1.8 + sign * 0.9 * x["penalty_general"] + 0.5 * x["complaint"] - 1.0 * x["tax_grade_A"]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    when = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    return x, y, when


def test_sklearn_conventions():
    m = RiskModel(n_estimators=20, random_state=3)
    assert m.get_params()["random_state"] == 3
    assert not [k for k in vars(m) if k.endswith("_")]  # __init__ only stores parameters
    c = clone(m)
    assert c.get_params() == m.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(m)
    x, y, when = synthetic(400)
    assert m.fit(x, y, when) is m
    check_is_fitted(m)
    assert m.predict_proba(x).shape == (400, 2)
    assert set(np.unique(m.predict(x))) <= {False, True}


def test_fit_validates():
    x, y, _ = synthetic(300)
    with pytest.raises(ValueError, match="both outcomes"):
        RiskModel().fit(x, np.zeros(300, bool))
    with pytest.raises(TypeError):
        RiskModel().fit(x.to_numpy(), y)
    with pytest.raises(ValueError, match="lengths"):
        RiskModel().fit(x, y[:-1])
    with pytest.raises(ValueError, match="calibration"):
        RiskModel(calibration="platt").fit(x, y)


def test_same_seed_same_model():
    x, y, when = synthetic(800, seed=1)
    a = model_from_config(ModelConfig(seed=5), CFG).fit(x, y, when).predict_proba(x)
    b = model_from_config(ModelConfig(seed=5), CFG).fit(x, y, when).predict_proba(x)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("monotone", [True, False])
def test_monotone_constraint_holds_even_against_the_data(monotone):
    # the data says penalties LOWER risk; with the constraint the model must not learn that
    x, y, when = synthetic(2000, seed=2, reverse=True)
    m = model_from_config(ModelConfig(monotone=monotone, calibration="none"), CFG).fit(x, y, when)
    more = x.copy()
    more["penalty_general"] += 1
    more["penalty_general_n"] += 1
    diff = m.predict_proba(more)[:, 1] - m.predict_proba(x)[:, 1]
    if monotone:
        assert diff.min() >= -1e-12
    else:
        assert diff.min() < -0.01  # without it the reversed signal is learnt


def test_directions_from_indicator_table():
    d = monotone_directions(CFG)
    assert d["penalty_serious"] == 1 and d["penalty_serious_n"] == 1
    assert d["tax_grade_A"] == -1 and d["age_years"] == -1
    assert d["last_found"] == 1
    assert "inspections_n" not in d and "sector" not in d


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_matches_base_rate(method):
    x, y, when = synthetic(3000, seed=4)
    m = RiskModel(calibration=method, random_state=0).fit(x, y, when)
    assert m.calibration_["method"] == method
    late = np.argsort(np.asarray(when))[-600:]
    p = m.predict_proba(x.iloc[late])[:, 1]
    assert abs(p.mean() - y[late].mean()) < 0.05
    assert 0.0 <= p.min() and p.max() <= 1.0
    assert m.holdout_metrics_["holdout_auc"] > 0.65


def test_save_load_roundtrip_without_pickle(tmp_path):
    x, y, when = synthetic(900, seed=5)
    m = RiskModel(calibration="isotonic", categorical=("sector",), random_state=1).fit(x, y, when)
    m.save(tmp_path / "m", {"training_window": {"first": "2023-01-01"}})
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["model.json", "model.txt"]
    assert (tmp_path / "m" / "model.txt").read_text().startswith("tree")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["training_window"]["first"] == "2023-01-01" and "sector" in meta["features"]
    back = RiskModel.load(tmp_path / "m")
    np.testing.assert_allclose(back.predict_proba(x), m.predict_proba(x), atol=1e-12)
    np.testing.assert_allclose(back.contributions(x), m.contributions(x), atol=1e-12)
    assert back.get_params() == m.get_params()


def test_unknown_category_is_missing_not_an_error():
    x, y, when = synthetic(600, seed=6)
    m = RiskModel(categorical=("sector",), random_state=0).fit(x, y, when)
    x2 = x.head(5).copy()
    x2["sector"] = "never_seen"
    assert np.isfinite(m.predict_proba(x2)).all()


def test_contributions_sum_to_log_odds_and_reasons_name_the_driver():
    x, y, when = synthetic(1500, seed=7)
    m = RiskModel(calibration="none", random_state=0).fit(x, y, when)
    c = m.contributions(x)
    np.testing.assert_allclose(c.sum(axis=1), m.predict_raw(x), atol=1e-9)
    row = x.head(1).copy()
    row[["penalty_general", "penalty_general_n", "complaint"]] = [5.0, 5.0, 0.0]
    text = m.reasons(row, top=3, labels=labels(CFG))[0]
    assert "行政处罚（一般）" in text.split(";")[0]
    assert len(text.split(";")) <= 3


def test_model_config_checks():
    check_model_config(ModelConfig())
    for bad in (
        ModelConfig(tier_basis="risky"),
        ModelConfig(calibration="platt"),
        ModelConfig(blend_weight=1.5),
        ModelConfig(categorical=("inspectors",)),
    ):
        with pytest.raises(ModelConfigError):
            check_model_config(bad)


def test_tier_basis():
    score = np.array([900.0, 700.0, 600.0, 400.0])
    risk = np.array([0.9, 0.05, 0.5, 0.01])
    at_best = np.array([0, 0, 0, 0], np.int8)
    by_score = tier_basis_codes(score, risk, at_best, CFG, ModelConfig())
    np.testing.assert_array_equal(by_score, tier_codes(score, CFG.thresholds, at_best))
    by_risk = tier_basis_codes(score, risk, at_best, CFG, ModelConfig(tier_basis="risk"))
    order = np.argsort(risk)
    assert np.all(np.diff(by_risk[order]) >= 0)  # more risk never a better tier
    blend = tier_basis_codes(score, risk, at_best, CFG, ModelConfig(tier_basis="blend"))
    assert np.all(np.minimum(by_score, by_risk) <= blend)
    assert np.all(blend <= np.maximum(by_score, by_risk))
    forced = tier_basis_codes(score, risk, np.array([3, 0, 0, 0], np.int8), CFG,
                              ModelConfig(tier_basis="risk"))  # fmt: skip
    assert forced[0] == 3  # an override still applies
    assert np.all(np.diff(risk_as_points(np.array([0.01, 0.2, 0.5, 0.9]), CFG)) < 0)


def _tiny():
    ent = pd.DataFrame(
        {
            "uscc": ["E1", "E2"],
            "name": ["a", "b"],
            "sector": ["food_drug", "tax"],
            "region": ["r", "r"],
            "entity_type": ["enterprise", None],
            "registered_on": pd.to_datetime(["2020-01-01", None]),
            "registered_capital": [10.0, np.nan],
            "status": ["active", "active"],
            "legal_representative": [None, None],
        }
    )
    insp = pd.DataFrame(
        {
            "uscc": ["E1", "E1", "E1", "E2"],
            "date": pd.to_datetime(["2024-01-10", "2024-03-05", "2024-03-05", "2024-02-01"]),
            "found_problem": [True, False, True, False],
        }
    )
    return ent, insp


def test_history_features_use_only_earlier_inspections():
    ent, insp = _tiny()
    pts = pd.DataFrame(
        {
            "uscc": ["E1", "E1", "E1", "E2", "E2"],
            "date": pd.to_datetime(
                ["2024-01-10", "2024-03-05", "2024-04-04", "2024-02-01", "2024-01-01"]
            ),
        }
    )
    f = features_at(prepare(ent, None, insp), pts, CFG, ("sector", "region"))
    assert list(f.columns) == feature_names(CFG, ("sector", "region"))
    np.testing.assert_array_equal(f["inspections_n"], [0, 1, 3, 0, 0])
    assert pd.isna(f["last_found"][0]) and f["last_found"][1] == 1.0
    assert f["last_found"][2] == 1.0  # two inspections on the last day, one found a problem
    np.testing.assert_array_equal(f["days_since_inspection"][[1, 2]], [55, 30])
    assert list(f["sector"]) == ["food_drug"] * 3 + ["tax"] * 2
    # a same-day inspection never counts for itself
    assert f.loc[3, "inspection_problem_n"] == 0 and f.loc[3, "inspection_clean"] == 0
