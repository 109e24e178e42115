"""The configurable indicator system: indicators -> points, 0-1000 score, overrides, risk.

The pieces the pipeline (`scoring.pipeline.Scorer`) composes: `points` applies the indicator
table, `dimension_scores` sums it per dimension, `calibrate_risk` fits the score -> risk mapping.

score = baseline + sum(+points * min(value, cap)) - sum(points * min(value, cap)), clipped to
0-1000 and rounded to one decimal. Each dimension column is that dimension's net points, so
score = clip(baseline + basic + dynamic + supervision + related + social). The score uses only the
entity's own rows (and its related parties'), never the population.

`risk` is a monotone decreasing mapping of score (`RiskMapping`). Without enough inspection
history it is a fixed logistic prior; with history it is calibrated on the as-of score at each
past inspection: a logistic fit on score by default (smooth, sensible at the extremes with a few
thousand inspections), or isotonic regression (follows any monotone shape, needs more history).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from scoring import indicators
from scoring.config import DIMENSIONS, TIERS, ScoringConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Points:
    """Signed points per entity and indicator (columns in `names` order)."""

    names: tuple[str, ...]
    matrix: np.ndarray  # shape (n, len(names)), float64
    score: np.ndarray  # clipped, rounded composite score
    at_best: np.ndarray  # override tier code per entity (0 = no override)


def points(ind: pd.DataFrame | dict[str, np.ndarray], config: ScoringConfig) -> Points:
    """Apply the indicator table to indicator values."""
    names = tuple(config.indicators)
    n = len(next(iter(ind.values()))) if isinstance(ind, dict) else len(ind)
    mat = np.empty((n, len(names)), np.float64)
    for j, name in enumerate(names):
        spec = config.indicators[name]
        v = np.asarray(ind[name], np.float64)
        if spec.cap is not None:
            v = np.minimum(v, spec.cap)
        mat[:, j] = v * (spec.points if spec.direction == "+" else -spec.points)
    raw = config.baseline + mat.sum(axis=1)
    score = np.round(np.clip(raw, 0.0, 1000.0), 1)
    at_best = np.zeros(n, np.int8)
    for name, tier in config.overrides.items():
        hit = np.asarray(ind[name]) > 0
        np.maximum(at_best, np.where(hit, TIERS.index(tier), 0).astype(np.int8), out=at_best)
    return Points(names, mat, score, at_best)


def dimension_scores(pts: Points, config: ScoringConfig) -> dict[str, np.ndarray]:
    """Net points per dimension (rounded to one decimal)."""
    out = {}
    for dim in DIMENSIONS:
        cols = [j for j, nm in enumerate(pts.names) if config.indicators[nm].dimension == dim]
        out[dim] = (
            np.round(pts.matrix[:, cols].sum(axis=1), 1) if cols else np.zeros(len(pts.score))
        )
    return out


@dataclass(frozen=True)
class RiskMapping:
    """Monotone decreasing score -> risk, as knots interpolated linearly (flat outside)."""

    knots_score: tuple[float, ...]
    knots_risk: tuple[float, ...]
    method: str  # prior | isotonic | logistic
    n_inspections: int = 0

    def __call__(self, scores: np.ndarray | pd.Series) -> np.ndarray:
        return np.interp(np.asarray(scores, np.float64), self.knots_score, self.knots_risk)


_GRID = np.linspace(0.0, 1000.0, 201)


def prior_risk(config: ScoringConfig) -> RiskMapping:
    """The documented fallback: risk = 1 / (1 + exp((score - midpoint) / scale))."""
    r = config.risk
    y = 1.0 / (1.0 + np.exp((_GRID - r.prior_midpoint) / r.prior_scale))
    return RiskMapping(tuple(_GRID), tuple(y), "prior")


def fit_risk(scores: np.ndarray, found: np.ndarray, config: ScoringConfig) -> RiskMapping:
    """Fit score -> P(problem) on past inspections; falls back to the prior when it cannot."""
    prior = prior_risk(config)
    found = np.asarray(found, bool)
    n = len(found)
    if (
        config.risk.method == "prior"
        or n < config.risk.min_inspections
        or found.all()
        or (not found.any())
    ):
        return RiskMapping(prior.knots_score, prior.knots_risk, "prior", n)
    s = np.asarray(scores, np.float64)
    if config.risk.method == "logistic":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression().fit(((s - 500.0) / 100.0).reshape(-1, 1), found)
        if lr.coef_[0, 0] < 0:
            y = lr.predict_proba(((_GRID - 500.0) / 100.0).reshape(-1, 1))[:, 1]
            return RiskMapping(tuple(_GRID), tuple(y), "logistic", n)
        log.warning("logistic risk fit is not decreasing in score; using isotonic")
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(increasing=False, out_of_bounds="clip").fit(s, found)
    # A 2% share of the (strictly decreasing) prior keeps ranking by risk equal to ranking by score.
    y = 0.98 * iso.predict(_GRID) + 0.02 * prior(_GRID)
    return RiskMapping(tuple(_GRID), tuple(np.clip(y, 0.001, 0.999)), "isotonic", n)


def calibrate_risk(
    prepared: indicators.Prepared, as_of: pd.Timestamp | str, config: ScoringConfig
) -> RiskMapping:
    """Risk mapping calibrated on inspections before `as_of`, each scored as of its own date."""
    inspections = prepared.tables.inspections if prepared.tables is not None else None
    if inspections is None or not len(inspections):
        return prior_risk(config)
    past = inspections[calibration_rows(inspections, as_of, config)]
    found = past["found_problem"].fillna(False).to_numpy(bool)
    scores = (
        past_scores(prepared, past, config) if len(past) >= config.risk.min_inspections else None
    )
    return risk_from(len(inspections), scores, found, config)


def calibration_rows(
    inspections: pd.DataFrame, as_of: pd.Timestamp | str, config: ScoringConfig
) -> np.ndarray:
    """The inspections the mapping is calibrated on: within `risk.history_days` before `as_of`
    (per row: a partition's rows give its share)."""
    as_of = pd.Timestamp(as_of)
    d = pd.to_datetime(inspections["date"])
    return ((d < as_of) & (d >= as_of - pd.Timedelta(days=config.risk.history_days))).to_numpy()


def past_scores(
    prepared: indicators.Prepared, past: pd.DataFrame, config: ScoringConfig
) -> np.ndarray:
    """The composite score of each past inspection's entity as of that inspection's date."""
    return points(indicators.compute_at(prepared, past[["uscc", "date"]], config), config).score


def risk_from(
    inspections: int, scores: np.ndarray | None, found: np.ndarray, config: ScoringConfig
) -> RiskMapping:
    """`calibrate_risk` from a table of `inspections` rows and its calibration rows' scores
    and outcomes, in the table's order (`scores` may be None when there are too few rows)."""
    if not inspections:
        return prior_risk(config)
    if len(found) < config.risk.min_inspections:
        return replace(prior_risk(config), n_inspections=len(found))
    return fit_risk(scores, found, config)
