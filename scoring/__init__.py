"""Tables in, scores out: as-of indicators, the composite credit score, tiers and reasons.

Knows no files, no sampling and no Streamlit. Public entry points:
`score` (one row per active entity), `indicators.compute` / `indicators.compute_at`,
`tiers` (assign_tiers, tier_mix, thresholds_for_mix, psi, psi_band), `calibrate_risk`.
"""

from scoring.composite import RiskMapping, ScoreRun, calibrate_risk, score, score_details
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

__all__ = [
    "DIMENSIONS",
    "FadingConfig",
    "IndicatorSpec",
    "RiskConfig",
    "RiskMapping",
    "ScoreRun",
    "ScoringConfig",
    "ScoringConfigError",
    "ThresholdConfig",
    "WindowConfig",
    "calibrate_risk",
    "score",
    "score_details",
]
