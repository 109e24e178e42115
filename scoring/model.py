"""Learned violation risk: a calibrated LightGBM classifier on the as-of indicators.

Each past inspection is one training row: its features are the indicators as of the
inspection's own date (only data dated before it, `indicators.compute_at`) plus the entity's
inspection history, and its label is whether the inspection found a problem. The model is
monotone in every indicator whose direction the indicator table fixes (one more penalty never
lowers risk), is calibrated with scikit-learn on the most recent slice of history (a held-out
time slice, `CalibratedClassifierCV` on the frozen trees), and explains each prediction by the
features that push it up most (LightGBM's per-feature contributions). It is saved as LightGBM's
own text model plus a JSON file: nothing is pickled.

`RiskModel` follows scikit-learn's conventions: `__init__` only stores parameters, `fit`
validates and returns self, learned state ends in `_`, `random_state` becomes a generator in fit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from scoring.config import ScoringConfig
from scoring.model_config import ModelConfig
from scoring.model_features import FEATURE_LABELS, features_at, monotone_directions
from scoring.tiers import tier_codes
from scoring.treebins import predict_by_cells

log = logging.getLogger(__name__)

__all__ = [
    "FEATURE_LABELS",
    "RiskModel",
    "compare_on_holdout",
    "features_at",
    "model_from_config",
    "monotone_directions",
    "tier_basis_codes",
]
MODEL_FILE = "model.txt"
META_FILE = "model.json"


class RiskModel(ClassifierMixin, BaseEstimator):
    """P(an inspection finds a problem | as-of features), gradient-boosted and calibrated.

    X is a DataFrame; columns named in `categorical` hold text categories, the rest numbers
    (NaN allowed). `monotone` maps a feature to +1 (risk never falls as it grows) or -1.
    """

    def __init__(
        self,
        n_estimators: int = 200,
        learning_rate: float = 0.03,
        num_leaves: int = 5,
        min_child_samples: int = 50,
        reg_lambda: float = 5.0,
        feature_fraction: float = 0.9,
        monotone: dict[str, int] | None = None,
        categorical: tuple[str, ...] = (),
        calibration: str = "sigmoid",
        calibration_fraction: float = 0.2,
        calibration_half_life: float | None = None,
        refit: bool = True,
        random_state: int | None = None,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.feature_fraction = feature_fraction
        self.monotone = monotone
        self.categorical = categorical
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.calibration_half_life = calibration_half_life
        self.refit = refit
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y, sample_time=None) -> RiskModel:  # noqa: N803 - sklearn
        """Fit on past inspections; `sample_time` (dates) picks the latest slice to calibrate."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError("X must be a DataFrame of features")
        y = np.asarray(y).astype(bool)
        if len(y) != len(X):
            raise ValueError("X and y have different lengths")
        if y.all() or not y.any():
            raise ValueError("y needs both outcomes (problem found and not found)")
        if self.calibration not in ("sigmoid", "isotonic", "none"):
            raise ValueError("calibration must be sigmoid, isotonic or none")
        rng = np.random.default_rng(self.random_state)
        self.seed_ = int(rng.integers(0, 2**31 - 1))
        self.classes_ = np.array([False, True])
        self.feature_names_in_ = np.array([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.categories_ = {
            c: sorted({str(v) for v in X[c].dropna().unique()})
            for c in self.categorical
            if c in X.columns
        }
        mat = self._matrix(X)
        order = (
            np.argsort(np.asarray(pd.to_datetime(sample_time)), kind="stable")
            if sample_time is not None
            else np.arange(len(y))
        )
        n_cal = int(round(len(y) * self.calibration_fraction))
        cal_idx, fit_idx = order[len(y) - n_cal :], order[: len(y) - n_cal]
        usable = (
            self.calibration != "none"
            and n_cal >= 20
            and 0 < y[cal_idx].sum() < n_cal
            and 0 < y[fit_idx].sum() < len(fit_idx)
        )
        self.calibration_ = {"method": "none"}
        self.holdout_metrics_: dict[str, float] = {}
        self.holdout_rows_ = np.sort(cal_idx) if usable else np.zeros(0, np.int64)
        if usable:
            first = self._lgbm().fit(self._frame(mat[fit_idx]), y[fit_idx], **self._fit_kw())
            cal_x = self._frame(mat[cal_idx])
            weight = _recency_weights(sample_time, cal_idx, self.calibration_half_life)
            self.calibration_ = _calibrate(first, cal_x, y[cal_idx], self.calibration, weight)
            margin = first.booster_.predict(mat[cal_idx], raw_score=True)
            self.holdout_metrics_ = _metrics(y[cal_idx], margin, self._calibrated(margin))
            self.booster_ = first.booster_
        if not usable or self.refit:
            self.booster_ = self._lgbm().fit(self._frame(mat), y, **self._fit_kw()).booster_
        self.train_rows_ = int(len(y))
        self.train_positives_ = int(y.sum())
        return self

    def _lgbm(self):
        import lightgbm as lgb

        cons = [int((self.monotone or {}).get(f, 0)) for f in self.feature_names_in_]
        cats = set(self.categories_)
        cons = [0 if f in cats else c for f, c in zip(self.feature_names_in_, cons, strict=True)]
        return lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            reg_lambda=self.reg_lambda,
            colsample_bytree=self.feature_fraction,
            monotone_constraints=cons,
            monotone_constraints_method="intermediate",
            random_state=self.seed_,
            n_jobs=self.n_jobs,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )

    def _frame(self, mat: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(mat, columns=list(self.feature_names_in_))

    def _fit_kw(self) -> dict:
        names = list(self.feature_names_in_)
        return {
            "feature_name": names,
            "categorical_feature": [names.index(c) for c in self.categories_],
        }

    def _matrix(self, X: pd.DataFrame | Mapping[str, np.ndarray | pd.Series]) -> np.ndarray:  # noqa: N803
        """Features as float64; categories as their code in `categories_` (unknown -> NaN).
        `X`: a frame, or its columns by name (`model_features.feature_columns`: numbers as
        arrays, categories as categorical Series)."""
        names = X.columns if isinstance(X, pd.DataFrame) else X.keys()
        missing = [f for f in self.feature_names_in_ if f not in names]
        if missing:
            raise ValueError(f"missing feature columns: {missing}")
        n = len(X) if isinstance(X, pd.DataFrame) else len(next(iter(X.values()), ()))
        mat = np.empty((n, self.n_features_in_), np.float64, order="F")  # column writes
        for j, f in enumerate(self.feature_names_in_):
            if f in self.categories_:
                codes = _category_codes(X[f], self.categories_[f])
                mat[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                v = pd.to_numeric(X[f], errors="coerce")
                mat[:, j] = v.to_numpy(np.float64) if isinstance(v, pd.Series) else v
        return mat

    # -- prediction ------------------------------------------------------------------------
    def _calibrated(self, margin: np.ndarray) -> np.ndarray:
        c = self.calibration_
        if c["method"] == "sigmoid":
            return 1.0 / (1.0 + np.exp(c["a"] * margin + c["b"]))
        if c["method"] == "isotonic":
            return np.interp(margin, c["x"], c["y"])
        return 1.0 / (1.0 + np.exp(-margin))

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """The trees' uncalibrated log-odds (never tied by calibration; use it to break ties).
        Computed once per set of split sides the rows share (`treebins`): the same numbers."""
        return predict_by_cells(self.booster_, self._matrix(X), raw_score=True)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        p = np.clip(self._calibrated(self.predict_raw(X)), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        return self.predict_proba(X)[:, 1] >= 0.5

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        """Per-feature contributions to the log-odds (SHAP values; last column the bias)."""
        out = self.booster_.predict(self._matrix(X), pred_contrib=True)
        return pd.DataFrame(out, columns=[*self.feature_names_in_, "bias"], index=X.index)

    def reasons(
        self,
        X: pd.DataFrame,  # noqa: N803
        top: int = 3,
        labels: dict[str, str] | None = None,
    ) -> list[str]:
        """The `top` features that push each entity's risk up most, as readable text joined by ';'.

        Only positive contributions count: a low-risk entity may have fewer than `top` reasons.
        """
        contrib = self.contributions(X).drop(columns="bias")
        names = np.array(contrib.columns)
        vals = contrib.to_numpy()
        order = np.argsort(-vals, axis=1, kind="stable")[:, :top]
        labels = labels or FEATURE_LABELS
        out = []
        for i in range(len(vals)):
            parts = []
            for j in order[i]:
                if vals[i, j] <= 1e-9:
                    break
                parts.append(_reason_text(labels.get(names[j], names[j]), X.iloc[i][names[j]]))
            out.append(";".join(parts))
        return out

    # -- persistence (LightGBM text + JSON, no pickle) -------------------------------------
    def save(self, directory: str | Path, metadata: dict | None = None) -> Path:
        """Write `model.txt` (LightGBM text format) and `model.json` into `directory`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(directory / MODEL_FILE))
        meta = {
            "params": {k: _plain(v) for k, v in self.get_params().items()},
            "features": list(self.feature_names_in_),
            "categories": self.categories_,
            "calibration": self.calibration_,
            "seed": self.seed_,
            "train_rows": self.train_rows_,
            "train_positives": self.train_positives_,
            "holdout_metrics": self.holdout_metrics_,
            **(metadata or {}),
        }
        (directory / META_FILE).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
        )
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> RiskModel:
        """Rebuild a fitted model from `save`'s two files."""
        directory = Path(directory)
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        return cls.from_saved((directory / MODEL_FILE).read_text(encoding="utf-8"), meta)

    @classmethod
    def from_saved(cls, model_text: str, meta: dict) -> RiskModel:
        """`load` of the two files' contents already read: `model.txt`'s text and `model.json`
        parsed (a caller that has checked the very bytes it read loads those, not the file
        again). The trees are LightGBM's own parse of its text, the calibration the numbers
        JSON gives back exactly: it predicts what the model that was saved predicted."""
        import lightgbm as lgb

        params = dict(meta["params"])
        params["categorical"] = tuple(params.get("categorical") or ())
        model = cls(**params)
        model.booster_ = lgb.Booster(model_str=model_text)
        model.feature_names_in_ = np.array(meta["features"], dtype=object)
        model.n_features_in_ = len(model.feature_names_in_)
        model.categories_ = {k: list(v) for k, v in meta["categories"].items()}
        model.calibration_ = meta["calibration"]
        model.classes_ = np.array([False, True])
        model.seed_ = meta["seed"]
        model.train_rows_ = meta["train_rows"]
        model.train_positives_ = meta["train_positives"]
        model.holdout_metrics_ = meta.get("holdout_metrics", {})
        model.holdout_rows_ = np.zeros(0, np.int64)
        return model


def _category_codes(s: pd.Series, categories: list[str]) -> np.ndarray:
    """Each value's position in `categories` (-1: unknown or missing), as
    `pd.Categorical(s.astype("string"), categories=categories).codes`; a categorical column
    is looked up once per category instead of once per row."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        table = pd.Index(categories, dtype=object).get_indexer(s.cat.categories.astype(str))
        return np.append(table, -1)[s.cat.codes.to_numpy()]
    return pd.Categorical(s.astype("string"), categories=categories).codes


def _reason_text(label: str, value: object) -> str:
    """'投诉举报 2', '无纳税信用A级' (an absent good mark raises risk), '距上次抽查天数 无记录'."""
    if value is None or pd.isna(value):
        return f"{label} 无记录"
    if isinstance(value, int | float | np.number):
        v = float(value)
        return f"无{label}" if v == 0 else f"{label} {round(v, 2):g}"
    return f"{label} {value}"


def _recency_weights(sample_time, rows: np.ndarray, half_life: float | None) -> np.ndarray | None:
    """Calibration weights that halve every `half_life` days back from the latest row, so the
    calibration follows the most recent problem rate; None (equal weights) without dates."""
    if half_life is None or sample_time is None or not len(rows):
        return None
    t = np.asarray(pd.to_datetime(sample_time), dtype="datetime64[D]")[rows]
    age = (t.max() - t).astype(np.float64)
    return np.exp2(-age / float(half_life))


def _calibrate(
    first, x: pd.DataFrame, y: np.ndarray, method: str, weight: np.ndarray | None = None
) -> dict:
    """Fit scikit-learn's calibrator on the frozen trees' held-out log-odds (their
    `decision_function`), rows weighted by `weight`; return it as plain numbers (sigmoid a, b or
    isotonic knots) so it can be saved as JSON and applied identically after loading."""
    import warnings

    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    with warnings.catch_warnings():  # the weights are meant for the calibrator only
        warnings.filterwarnings("ignore", message=".*sample_weight.*", category=UserWarning)
        cal = CalibratedClassifierCV(FrozenEstimator(first), method=method).fit(
            x, y, sample_weight=weight
        )
    fitted = cal.calibrated_classifiers_[0].calibrators[0]
    if method == "sigmoid":
        a, b = float(fitted.a_), float(fitted.b_)
        if a >= 0:  # not increasing in the trees' output: calibration would invert the ranking
            log.warning("sigmoid calibration not increasing; risk left uncalibrated")
            return {"method": "none"}
        out = {"method": "sigmoid", "a": a, "b": b}
    else:
        out = {
            "method": "isotonic",
            "x": [float(v) for v in fitted.X_thresholds_],
            "y": [float(v) for v in fitted.y_thresholds_],
        }
    # the plain-number form must reproduce scikit-learn's own calibrated output
    margin = first.decision_function(x)
    mine = (
        1.0 / (1.0 + np.exp(out["a"] * margin + out["b"]))
        if method == "sigmoid"
        else np.interp(margin, out["x"], out["y"])
    )
    if not np.allclose(mine, cal.predict_proba(x)[:, 1], atol=1e-6):
        raise RuntimeError("calibration export does not match scikit-learn's calibrator")
    return out


def _metrics(y: np.ndarray, margin: np.ndarray, calibrated: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    return {
        "holdout_rows": float(len(y)),
        "holdout_auc": float(roc_auc_score(y, margin)),
        "holdout_brier": float(brier_score_loss(y, calibrated)),
        "holdout_base_rate": float(np.mean(y)),
        "holdout_mean_risk": float(np.mean(calibrated)),
    }


def _plain(v: object) -> object:
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def model_from_config(config: ModelConfig, scoring_config: ScoringConfig) -> RiskModel:
    """An unfitted RiskModel with the workspace's parameters and monotone directions."""
    return RiskModel(
        n_estimators=config.n_estimators,
        learning_rate=config.learning_rate,
        num_leaves=config.num_leaves,
        min_child_samples=config.min_child_samples,
        reg_lambda=config.reg_lambda,
        feature_fraction=config.feature_fraction,
        monotone=monotone_directions(scoring_config) if config.monotone else None,
        categorical=tuple(config.categorical),
        calibration=config.calibration,
        calibration_fraction=config.calibration_fraction,
        calibration_half_life=config.calibration_half_life_days,
        refit=config.refit,
        random_state=config.seed,
    )


def risk_as_points(risk: np.ndarray, scoring_config: ScoringConfig) -> np.ndarray:
    """Risk on the score's 0-1000 scale, through the inverse of the documented prior curve
    (risk = 1 / (1 + exp((score - midpoint) / scale))), so score thresholds apply to it."""
    r = np.clip(np.asarray(risk, np.float64), 1e-6, 1 - 1e-6)
    p = scoring_config.risk
    return np.clip(p.prior_midpoint + p.prior_scale * np.log((1.0 - r) / r), 0.0, 1000.0)


def tier_basis_codes(
    score: np.ndarray,
    risk: np.ndarray,
    at_best: np.ndarray | None,
    scoring_config: ScoringConfig,
    model_config: ModelConfig,
) -> np.ndarray:
    """Tier codes (0=A..3=D) from the score, the risk or a blend, per `model.tier_basis`.

    The blend is (1 - w) x score + w x risk-as-points; overrides ("at best C") always apply.
    """
    w = {"score": 0.0, "risk": 1.0}.get(model_config.tier_basis, model_config.blend_weight)
    basis = np.asarray(score, np.float64)
    if w > 0:
        basis = (1.0 - w) * basis + w * risk_as_points(risk, scoring_config)
    return tier_codes(basis, scoring_config.thresholds, at_best)


def compare_on_holdout(model: RiskModel, y, baseline_risk) -> dict[str, float | bool | None]:
    """Does the model rank the held-out (latest) inspections at least as well as a baseline
    risk (e.g. the composite score's)? Both AUCs on the same rows; `better` is False when the
    model had no usable holdout, so a caller falls back to the transparent baseline."""
    from sklearn.metrics import roc_auc_score

    idx = model.holdout_rows_
    y = np.asarray(y, bool)
    if not len(idx) or y[idx].all() or not y[idx].any():
        return {"model_auc": None, "baseline_auc": None, "better": False}
    m_auc = float(model.holdout_metrics_["holdout_auc"])
    b_auc = float(roc_auc_score(y[idx], np.asarray(baseline_risk, np.float64)[idx]))
    return {"model_auc": m_auc, "baseline_auc": b_auc, "better": m_auc >= b_auc}
