"""Training the learned risk model on prepared tables' history as of a date, and using it.

`train` fits `RiskModel` on the inspections dated before `as_of` (each described by its features
as of its own date, `model_features.features_at`), or returns None when there are too few past
inspections, or too few of either outcome, to learn from; then the composite score's documented
risk mapping stays. With `require_better` the model is used only if it ranks the latest held-out
inspections at least as well as the composite score does. `predict` gives the model's calibrated
risk at (uscc, date) points. Everything works on frames and a `Prepared`: no files (saving a
model is the workflow's business, see `RiskModel.save`). `training_config` is the part of the
scoring config that training reads: with the same tables, date, model config, code and
`training_config`, `train` gives the same model (what lets a workflow reuse a stored one).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import composite
from scoring.config import ScoringConfig
from scoring.indicators import Prepared, entity_codes
from scoring.model import RiskModel, compare_on_holdout, model_from_config
from scoring.model_config import ModelConfig, check_model_config
from scoring.model_features import features_at, labels

log = logging.getLogger(__name__)


@dataclass
class TrainedModel:
    model: RiskModel
    as_of: pd.Timestamp
    metadata: dict  # training window, rows, positives, features, holdout metrics


# What of the scoring config training never reads: the tier thresholds and overrides (the
# features are indicator values and the composite score, never a tier), the composite risk
# mapping's settings, the reasons, and each indicator's label and dimension (the score is the
# sum of points; the features are named by indicator). Everything else is read: the indicators'
# points, directions and caps and the baseline make the `composite_score` feature and the
# holdout comparison, the directions the monotone constraints, and the windows, repair
# minimums, fading and related kinds the indicator features.
NOT_READ_IN_TRAINING = ("thresholds", "overrides", "risk", "reason_reference", "reasons")
INDICATOR_FIELDS_NOT_READ = ("label", "dimension")


def training_config(scoring_config: ScoringConfig) -> dict:
    """The part of `scoring_config` that `train` reads, as plain data (indicators as a list in
    the table's order: the score sums their points in that order)."""
    out = {
        f.name: getattr(scoring_config, f.name)
        for f in dataclasses.fields(scoring_config)
        if f.name not in NOT_READ_IN_TRAINING
    }
    out["indicators"] = [
        [
            name,
            {
                k: v
                for k, v in dataclasses.asdict(spec).items()
                if k not in INDICATOR_FIELDS_NOT_READ
            },
        ]
        for name, spec in scoring_config.indicators.items()
    ]
    return {k: dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v for k, v in out.items()}


def train(
    prepared: Prepared,
    as_of: pd.Timestamp | str,
    scoring_config: ScoringConfig,
    model_config: ModelConfig,
) -> TrainedModel | None:
    """Fit on the inspections dated before `as_of`; None when there is not enough history
    (or the model does not beat the composite score and `require_better` is on)."""
    check_model_config(model_config)
    mcfg, scfg = model_config, scoring_config
    tables = prepared.tables
    insp = tables.inspections if tables is not None else None
    if not mcfg.enabled or insp is None or not len(insp):
        return None
    past = insp[training_rows(insp, prepared.index, as_of, mcfg)]
    y = past["found_problem"].fillna(False).to_numpy(bool)
    if not enough(y, mcfg):
        return None
    x = features_at(prepared, past[["uscc", "date"]], scfg, mcfg.categorical)
    return fit(x, y, past["date"].to_numpy(), as_of, scfg, mcfg)


def training_rows(
    inspections: pd.DataFrame, index: pd.Index, as_of: pd.Timestamp | str, model_config: ModelConfig
) -> np.ndarray:
    """Which inspections the model learns from: of these entities (`index`), dated, before
    `as_of` and within `train_days` of it. Per row, so a partition's rows give its share."""
    as_of = pd.Timestamp(as_of)
    known = entity_codes(inspections["uscc"].astype(str), index) >= 0  # of these entities
    d = inspections["date"]
    keep = known & d.notna().to_numpy() & (d < as_of).to_numpy(bool)
    if model_config.train_days is not None:
        keep &= (d >= as_of - pd.Timedelta(days=model_config.train_days)).to_numpy(bool)
    return keep


def enough(y: np.ndarray, model_config: ModelConfig) -> bool:
    """Enough past inspections, and of both outcomes, to learn from."""
    mcfg = model_config
    if len(y) < mcfg.min_inspections or min(int(y.sum()), int((~y).sum())) < mcfg.min_positives:
        log.info("model not trained: %d inspections, %d with a problem", len(y), int(y.sum()))
        return False
    return True


def fit(
    x: pd.DataFrame,
    y: np.ndarray,
    dates: np.ndarray,
    as_of: pd.Timestamp | str,
    scoring_config: ScoringConfig,
    model_config: ModelConfig,
) -> TrainedModel | None:
    """The model fitted on feature rows `x` (one per past inspection, in the inspections'
    order), their outcomes `y` and dates; None when `require_better` rejects it."""
    mcfg, scfg = model_config, scoring_config
    as_of = pd.Timestamp(as_of)
    model = model_from_config(mcfg, scfg).fit(x, y, dates)
    versus = compare_on_holdout(model, y, -composite.points(x, scfg).score)
    if mcfg.require_better and not versus["better"]:
        log.info("model not used: it does not beat the composite score on the holdout %s", versus)
        return None
    meta = {
        "as_of": as_of.date().isoformat(),
        "training_window": {
            "first": pd.Timestamp(dates.min()).date().isoformat(),
            "last": pd.Timestamp(dates.max()).date().isoformat(),
        },
        "inspections": int(len(y)),
        "positives": int(y.sum()),
        "features": list(x.columns),
        "monotone": {k: v for k, v in (model.monotone or {}).items() if k in x.columns},
        "metrics": {**model.holdout_metrics_, "composite_holdout_auc": versus["baseline_auc"]},
        "tier_basis": mcfg.tier_basis,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return TrainedModel(model, as_of, meta)


def predict(
    trained: TrainedModel,
    prepared: Prepared,
    points: pd.DataFrame,
    scoring_config: ScoringConfig,
    *,
    reasons: bool = False,
    lang: str = "zh",
) -> pd.DataFrame:
    """DataFrame[uscc, risk(, risk_reasons)] in `points` order (uscc, date): the model's risk
    (rounded to 4 decimals) from data dated before each point. Per point, so a subset of points
    gives the same rows as the whole."""
    x = features_at(prepared, points, scoring_config, trained.model.categorical)
    out = pd.DataFrame({"uscc": points["uscc"].to_numpy(), "risk": risk_of(trained, x)})
    if reasons:
        lab = labels(scoring_config) if lang == "zh" else None
        out["risk_reasons"] = trained.model.reasons(x, labels=lab)
    return out


def risk_of(trained: TrainedModel, x: pd.DataFrame | dict[str, np.ndarray]) -> np.ndarray:
    """The model's risk (rounded to 4 decimals) of feature rows (`model_features`: a frame, or
    its columns by name)."""
    return np.round(trained.model.predict_proba(x)[:, 1], 4)
