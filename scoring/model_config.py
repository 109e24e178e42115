"""Parameters of the learned violation-risk model and of what the tier is based on.

`tiered/config.py` builds `ModelConfig` from the `model:` section of `config.yaml`. The defaults
are small and conservative: a few hundred shallow trees, monotone in every indicator whose
direction the indicator table fixes, and a sigmoid calibration on the latest fifth of history.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.errors import ModelConfigError  # noqa: F401 - re-exported for callers

TIER_BASES = ("score", "risk", "blend")
CALIBRATIONS = ("sigmoid", "isotonic", "none")
CATEGORIES = ("sector", "region", "entity_type")  # the entity columns `categorical` may name


@dataclass(frozen=True)
class ModelConfig:
    """When and how the learned risk model is trained, and how it feeds the tier."""

    enabled: bool = True  # false = never train; risk is always the composite score's mapping
    min_inspections: int = 200  # fewer past inspections than this -> composite risk instead
    min_positives: int = 20  # fewer past inspections WITH (or without) a problem -> composite risk
    train_days: int | None = None  # train on inspections this many days back; none = all
    n_estimators: int = 200  # boosting rounds
    learning_rate: float = 0.03  # shrinkage per round
    num_leaves: int = 5  # leaves per tree (small trees generalise on small offices' data)
    min_child_samples: int = 50  # fewest inspections in a leaf
    reg_lambda: float = 5.0  # L2 penalty on leaf values
    feature_fraction: float = 0.9  # share of features tried per tree
    monotone: bool = True  # risk never falls when a negative indicator rises (and vice versa)
    categorical: tuple[str, ...] = ("sector",)  # entity columns used as categories (sector, region)
    calibration: str = "sigmoid"  # sigmoid | isotonic | none, fitted on the latest history
    calibration_fraction: float = 0.2  # share of the latest past inspections held out to calibrate
    # recent inspections weigh more in the calibration: a row's weight halves every this many
    # days before the latest inspection (follows a drifting problem rate); none = equal weights
    calibration_half_life_days: float | None = 90.0
    # after calibrating, refit the trees on all past inspections; off by default because the
    # calibration was fitted to the first trees' scores and over-predicted on later months
    refit: bool = False
    # use the model only if it ranks the held-out latest inspections at least as well as the
    # composite score does (AUC); otherwise risk stays the composite score's mapping
    require_better: bool = True
    seed: int = 0  # random_state of the model; the same data and seed give the same model
    tier_basis: str = "score"  # what the tier follows: score (default, transparent) | risk | blend
    blend_weight: float = 0.5  # blend: weight of the model's risk (as score points) vs the score


def check_model_config(config: ModelConfig) -> None:
    """Raise ModelConfigError naming the first unusable key."""
    if config.tier_basis not in TIER_BASES:
        raise ModelConfigError("model.tier_basis: score | risk | blend")
    if config.calibration not in CALIBRATIONS:
        raise ModelConfigError("model.calibration: sigmoid | isotonic | none")
    if not 0.0 <= config.blend_weight <= 1.0:
        raise ModelConfigError("model.blend_weight: 应在 0 到 1 之间 (must be between 0 and 1)")
    if not 0.0 < config.calibration_fraction < 1.0:
        raise ModelConfigError("model.calibration_fraction: 应在 0 到 1 之间 (between 0 and 1)")
    h = config.calibration_half_life_days
    if h is not None and not h > 0:
        raise ModelConfigError("model.calibration_half_life_days: 应大于 0 (must be > 0, or none)")
    if config.n_estimators < 1 or config.num_leaves < 2 or config.min_child_samples < 1:
        raise ModelConfigError("model: n_estimators >= 1, num_leaves >= 2, min_child_samples >= 1")
    if config.min_positives < 1 or config.min_inspections < 1:
        raise ModelConfigError("model: min_inspections 和 min_positives 至少为 1 (at least 1)")
    for c in config.categorical:
        if c not in CATEGORIES:
            raise ModelConfigError(
                f"model.categorical: 未知列 {c!r} (use sector, region or entity_type)"
            )
