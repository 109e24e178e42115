"""Risk calibration (issue 17.20): the error is measured, and the calibration follows the latest
data: recent inspections weigh more, and the calibrated trees are the ones that predict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.calibration import calibration_summary
from scoring.config import ScoringConfig
from scoring.model import RiskModel, model_from_config
from scoring.model_config import ModelConfig, ModelConfigError, check_model_config


def test_calibration_summary_by_hand():
    risk = np.array([0.05, 0.05, 0.15, 0.15, 0.95])
    found = np.array([0, 0, 1, 0, 1], bool)
    s = calibration_summary(found, risk, bins=10, groups=5)
    assert s["mean_predicted"] == pytest.approx(0.27)
    assert s["observed"] == pytest.approx(0.4)
    # bins [0, .1): |0.05 - 0| x 2/5, [.1, .2): |0.15 - 0.5| x 2/5, [.9, 1]: |0.95 - 1| x 1/5
    assert s["ece"] == pytest.approx(0.02 + 0.14 + 0.01)
    assert [q["n"] for q in s["quintiles"]] == [1, 1, 1, 1, 1]
    assert s["quintiles"][-1] == {"quintile": 5, "n": 1, "predicted": 0.95, "observed": 1.0}
    assert calibration_summary([], [])["ece"] is None


def test_perfectly_calibrated_risk_has_small_error():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 50_000)
    s = calibration_summary(rng.uniform(0, 1, p.size) < p, p)
    assert s["ece"] < 0.01 and abs(s["mean_predicted"] - s["observed"]) < 0.01
    assert all(abs(q["predicted"] - q["observed"]) < 0.02 for q in s["quintiles"])


def _drifting(n: int = 6000, seed: int = 0):
    """Inspections over two years; in the latest fifth the problem rate falls from ~40% to ~10%
    (same features), as when a sector's checks start to bite."""
    rng = np.random.default_rng(seed)
    day = np.sort(rng.integers(0, 730, n))
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(day, "D")
    f = rng.normal(size=n)
    late = day >= np.quantile(day, 0.9)  # the second half of the calibration window
    base = np.where(late, -2.4, -0.4)
    y = rng.random(n) < 1 / (1 + np.exp(-(0.8 * f + base)))
    x = pd.DataFrame({"f": f, "g": rng.normal(size=n)})
    return x, y, t, late


def test_recent_inspections_weigh_more_in_the_calibration():
    x, y, t, late = _drifting()
    flat = RiskModel(n_estimators=60, random_state=0, refit=False).fit(x, y, t)
    recent = RiskModel(n_estimators=60, random_state=0, refit=False, calibration_half_life=20.0)
    recent.fit(x, y, t)
    new = x[late]
    flat_p = flat.predict_proba(new)[:, 1].mean()
    recent_p = recent.predict_proba(new)[:, 1].mean()
    latest = y[late].mean()
    assert latest < 0.2 < flat_p  # equal weights: the window's average rate
    assert abs(recent_p - latest) < abs(flat_p - latest) - 0.05
    # ranking is untouched: the calibration is monotone in the same trees
    assert np.array_equal(
        np.argsort(flat.predict_raw(new), kind="stable"),
        np.argsort(recent.predict_raw(new), kind="stable"),
    )


def test_default_model_predicts_with_the_trees_it_calibrated():
    cfg = ModelConfig()
    assert cfg.refit is False and cfg.calibration_half_life_days == 90.0
    x, y, t, _ = _drifting(3000, seed=1)
    m = model_from_config(cfg, ScoringConfig())
    m.monotone = None  # the synthetic features are not indicators
    m.fit(x, y, t)
    assert m.calibration_half_life == 90.0
    rows = m.holdout_rows_
    assert len(rows) == 600
    # on the held-out rows the calibrated mean is the calibrator's own (weighted) fit
    p = m.predict_proba(x.iloc[rows])[:, 1]
    assert m.holdout_metrics_["holdout_mean_risk"] == pytest.approx(p.mean(), abs=1e-9)


def test_half_life_must_be_positive():
    with pytest.raises(ModelConfigError, match="calibration_half_life_days"):
        check_model_config(ModelConfig(calibration_half_life_days=0.0))
    check_model_config(ModelConfig(calibration_half_life_days=None))
