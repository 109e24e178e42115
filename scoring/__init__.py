"""Tables in, scores out: as-of indicators, the composite credit score, tiers and reasons.

Knows no files, no sampling and no Streamlit. Public entry points: `indicators.prepare` (tables
-> arrays, once), `Scorer(config).fit(prepared, as_of).result_` (one row per covered entity; the
one way to score), `indicators.compute` / `indicators.compute_at`, `tiers` (assign_tiers,
tier_mix, thresholds_for_mix, psi, psi_band), `calibrate_risk`, `learned` (the risk model).
"""

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

# Loaded on first use: the pipeline pulls in the learned model (scikit-learn, SciPy: ~1 s to
# import), which a command that only reads config or prepared tables (a draw) never needs.
_LAZY = {
    "RiskMapping": "scoring.composite",
    "calibrate_risk": "scoring.composite",
    "Prepared": "scoring.indicators",
    "prepare": "scoring.indicators",
    "Scorer": "scoring.pipeline",
    "ScoreRun": "scoring.pipeline",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scoring' has no attribute {name!r}")


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
