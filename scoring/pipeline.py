"""The one scoring pipeline: prepared tables and a date in, one row per covered entity out.

    run = Scorer(config).fit(prepared, as_of).result_      # a ScoreRun: .frame, .risk_mapping, ...

`Scorer` follows scikit-learn's estimator conventions: `__init__` only stores its parameters;
`fit(prepared, as_of)` validates them, learns what needs the population (the risk mapping
calibrated on past inspections, the reasons' typical entity, the learned risk model) and scores
every entity covered at `as_of` (`Prepared.covered`: active and already registered); learned
state ends in `_`; `fit` returns self. `transform(prepared)` scores the covered entities of any
prepared tables with that fitted state.

What each parameter switches:
- `risk`: "calibrate" (default) fits score -> risk on the inspections before `as_of`
  (`composite.calibrate_risk`, the documented prior when there are too few); a `RiskMapping` is
  used as given; None leaves out the risk column (what a draw needs: tiers only, faster);
  "calibrate-unless-model" calibrates only when the learned model is not used (the scores
  file's risk is then the model's: `risk_mapping_` stays None).
- `reasons`: the top reasons per entity (`explain`), in `lang`; False leaves them out.
- `model`: a `ModelConfig`; when enabled and there is enough history, `fit` trains the learned
  model (`learned.train`), the risk column is the model's and the tier follows
  `model.tier_basis`; `model_` is the trained model (None: the composite mapping's risk).
- `trained`: a learned model already trained as of the same date on the same history with the
  same configs (a workflow's stored model, `learned.TrainedModel`); used as given instead of
  training (`model` must be enabled; it still sets the tier basis).
- `keep_indicators`: keep the covered entities' indicator values in `result_.indicators`
  (the analyst's what-if re-weights them without recomputing).

Partitioning: an entity's row depends only on its own rows, its related parties' (same legal
representative and region) and the fitted state. So fit once (on the whole, or pass `risk=` a
mapping fitted elsewhere), then `transform` each partition's `prepare(entities, records,
inspections)` (entities of a partition with their rows, partitions keyed so that related parties
stay together): the concatenated frames, sorted by uscc, equal `result_.frame`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import composite, explain, indicators, learned, model_features
from scoring.config import TIERS, ScoringConfig, check_config
from scoring.model import tier_basis_codes
from scoring.model_config import ModelConfig, check_model_config
from scoring.tiers import tier_codes

CALIBRATE = "calibrate"
UNLESS_MODEL = "calibrate-unless-model"  # calibrate only when no learned model gives the risk


@dataclass(frozen=True)
class ScoreRun:
    """A score run: the table and what the app, the ledger and a what-if want besides."""

    frame: pd.DataFrame  # uscc, score, tier, [risk], [reasons], dimensions; sorted by uscc
    risk_mapping: composite.RiskMapping | None  # the composite score's score -> risk
    typical: np.ndarray | None  # reference contributions used for reasons
    timings: dict[str, float]  # seconds per stage: indicators, composite, risk, tiers, ...
    risk_source: str  # "model", the mapping's method (logistic, isotonic, prior) or "none"
    model: learned.TrainedModel | None  # the learned model the risk came from, if any
    at_best: np.ndarray  # override tier code per row of `frame` (0 = no override)
    indicators: pd.DataFrame | None = None  # per row of `frame`, with keep_indicators


class Scorer:
    """Score entities as of a date (see the module docstring)."""

    def __init__(
        self,
        config: ScoringConfig | None = None,
        *,
        risk: composite.RiskMapping | str | None = CALIBRATE,
        reasons: bool = True,
        lang: str = "zh",
        model: ModelConfig | None = None,
        trained: learned.TrainedModel | None = None,
        keep_indicators: bool = False,
    ) -> None:
        self.config = config
        self.risk = risk
        self.reasons = reasons
        self.lang = lang
        self.model = model
        self.trained = trained
        self.keep_indicators = keep_indicators

    def fit(self, prepared: indicators.Prepared, as_of: pd.Timestamp | str) -> Scorer:
        """Validate, learn the population-level state as of `as_of` and score `prepared`."""
        config = self.config or ScoringConfig()
        check_config(config)
        if self.model is not None:
            check_model_config(self.model)
        if not (self.risk is None or self.risk in (CALIBRATE, UNLESS_MODEL) or callable(self.risk)):
            raise ValueError(
                f"risk must be 'calibrate', '{UNLESS_MODEL}', a RiskMapping or None: {self.risk!r}"
            )
        self.config_ = config
        self.as_of_ = pd.Timestamp(as_of)
        self.check_trained()
        clock = _Clock()
        work = self._work(prepared)
        clock.lap("indicators")
        self.model_ = None
        if self.trained is not None:
            self.model_ = self.trained
        elif self.model is not None and self.model.enabled:
            self.model_ = learned.train(prepared, self.as_of_, config, self.model)
        clock.lap("model")
        self.risk_mapping_ = self.fit_risk_mapping(prepared)
        clock.lap("risk")
        self.typical_ = None
        if self.reasons:
            self.typical_ = explain.reference(
                work.pts.matrix, config.reason_reference, keys=work.ind.index.to_numpy()
            )
        self.result_ = self._scored(prepared, work, clock)
        return self

    def check_trained(self) -> None:
        """A `trained` model is one of this date, used with the model enabled."""
        if self.trained is None:
            return
        if self.model is None or not self.model.enabled:
            raise ValueError("trained: a learned model needs model= an enabled ModelConfig")
        if pd.Timestamp(self.trained.as_of) != self.as_of_:
            raise ValueError(
                f"trained: a model as of {self.trained.as_of:%Y-%m-%d}, not {self.as_of_:%Y-%m-%d}"
            )

    def fit_risk_mapping(self, prepared: indicators.Prepared) -> composite.RiskMapping | None:
        """The composite score's risk mapping per `risk` (after `model_` is known)."""
        if self.risk == CALIBRATE or (self.risk == UNLESS_MODEL and self.model_ is None):
            return composite.calibrate_risk(prepared, self.as_of_, self.config_)
        return None if self.risk == UNLESS_MODEL else self.risk

    def transform(self, prepared: indicators.Prepared) -> pd.DataFrame:
        """The scores frame of `prepared`'s covered entities with the fitted state (a partition
        of the tables fitted on gives its part of `result_.frame`)."""
        if not hasattr(self, "as_of_"):
            raise RuntimeError("Scorer.transform before fit")
        clock = _Clock()
        work = self._work(prepared)
        clock.lap("indicators")
        return self._scored(prepared, work, clock).frame

    def _work(self, prepared: indicators.Prepared) -> _Work:
        """The covered entities' indicators (in the entities' order) and their points."""
        config = self.config_
        ind = indicators.compute(prepared, self.as_of_, config, keep=prepared.covered(self.as_of_))
        return _Work(ind, composite.points({k: v.to_numpy() for k, v in ind.items()}, config))

    def _points(self, prepared: indicators.Prepared) -> tuple[pd.DataFrame, composite.Points]:
        """`_work` as (indicators, points) (what a partition's work reads)."""
        work = self._work(prepared)
        return work.ind, work.pts

    def _run(
        self,
        prepared: indicators.Prepared,
        ind: pd.DataFrame,
        pts: composite.Points,
        clock: _Clock,
    ) -> ScoreRun:
        """`_scored` of `_points`' pair (the caller keeps them)."""
        return self._scored(prepared, _Work(ind, pts), clock)

    def _scored(self, prepared: indicators.Prepared, work: _Work, clock: _Clock) -> ScoreRun:
        """The score run from `work`, whose arrays are let go as soon as they are used."""
        config = self.config_
        ind, pts = work.ind, work.pts
        usccs = ind.index.to_numpy()
        cols: dict[str, np.ndarray] = {"uscc": usccs, "score": pts.score}
        codes = tier_codes(pts.score, config.thresholds, pts.at_best)
        cols["tier"] = np.array(TIERS)[codes]
        source = "none"
        if self.risk_mapping_ is not None:
            cols["risk"] = np.round(self.risk_mapping_(pts.score), 4)
            source = self.risk_mapping_.method
        clock.lap("tiers")
        if self.typical_ is not None:
            cols["reasons"] = explain.reasons(pts, ind, config, self.typical_, lang=self.lang)
        clock.lap("reasons")
        cols.update(composite.dimension_scores(pts, config))
        score, at_best = pts.score, pts.at_best
        work.pts = pts = None  # the points matrix: done with
        order = uscc_order(usccs)
        frame = pd.DataFrame({k: cols.pop(k)[order] for k in list(cols)})
        at_best = at_best[order]
        kept = ind.take(order) if self.keep_indicators else None
        ind = None  # from here on only in `work`, which lets it go once the features are made
        if self.model_ is not None:
            self._learned_risk(prepared, frame, at_best, work, score, order)
            source = "model"
        work.ind = None
        clock.lap("output")
        return ScoreRun(
            frame, self.risk_mapping_, self.typical_, clock.laps, source, self.model_,
            at_best, kept,
        )  # fmt: skip

    def _learned_risk(
        self,
        prepared: indicators.Prepared,
        frame: pd.DataFrame,
        at_best: np.ndarray,
        work: _Work,
        score: np.ndarray,
        order: np.ndarray,
    ) -> None:
        """The learned model's risk in place of the mapping's, the tier on `tier_basis`: the
        features of the covered entities (`work.ind`, `score`: in the entities' order) at
        `as_of`, from the indicators already computed (what `learned.predict` would compute
        again; the indicators are released once they are features); each row's risk is its
        own, so it is put in `frame`'s uscc `order` afterwards."""
        x = model_features.feature_columns(
            prepared,
            work.ind,
            np.flatnonzero(prepared.covered(self.as_of_)),
            indicators.day_of(self.as_of_),
            self.config_,
            self.model_.model.categorical,
            score=score,
        )
        work.ind = None
        risk = learned.risk_of(self.model_, x)[order]
        del x
        if "risk" in frame:
            frame["risk"] = risk
        else:
            frame.insert(3, "risk", risk)
        if self.model.tier_basis != "score":
            codes = tier_basis_codes(
                frame["score"].to_numpy(), risk, at_best, self.config_, self.model
            )
            frame["tier"] = np.array(TIERS)[codes]


def uscc_order(usccs: np.ndarray) -> np.ndarray:
    """`np.argsort(usccs, kind="stable")` of text, sorted in Arrow (a stable sort by UTF-8
    bytes, which is code point order: the same permutation, ~5x faster than numpy's sort of
    Python strings at 1M)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(usccs, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return np.argsort(usccs, kind="stable")
    if arr.null_count:
        return np.argsort(usccs, kind="stable")
    return pc.sort_indices(arr).to_numpy().astype(np.intp)


@dataclass
class _Work:
    """A score's working arrays, held here only, so that `Scorer._run` can let each go once it
    is used (at 3M entities the indicators and the points matrix are ~0.8 GB each)."""

    ind: pd.DataFrame | None  # the covered entities' indicators, in the entities' order
    pts: composite.Points | None


class _Clock:
    """Stage timings (seconds) for the benchmark and the ledger; no printing."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._t
        self._t = now
