"""Tables in, scores out: as-of indicators, the composite credit score, tiers and reasons.

Knows no files, no sampling and no Streamlit. Public entry points: `indicators.prepare` (tables
-> arrays, once), `Scorer(config).fit(prepared, as_of).result_` (one row per covered entity; the
one way to score), `indicators.compute` / `indicators.compute_at`, `tiers` (assign_tiers,
tier_mix, thresholds_for_mix, psi, psi_band), `calibrate_risk`, `learned` (the risk model).
"""

from scoring.composite import RiskMapping, calibrate_risk
from scoring.config import (
    DIMENSIONS,
    FadingConfig,
    IndicatorSpec,
    RiskConfig,
    ScoringConfig,
    ScoringConfigError,
    ThresholdConfig,
    WindowConfig,
)
from scoring.indicators import Prepared, prepare
from scoring.pipeline import Scorer, ScoreRun

__all__ = [
    "DIMENSIONS",
    "FadingConfig",
    "IndicatorSpec",
    "Prepared",
    "RiskConfig",
    "RiskMapping",
    "ScoreRun",
    "Scorer",
    "ScoringConfig",
    "ScoringConfigError",
    "ThresholdConfig",
    "WindowConfig",
    "calibrate_risk",
    "prepare",
]
