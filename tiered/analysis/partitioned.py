"""A score run by partitions on an engine (`tiered score --engine dask`), byte-identical to one
`Scorer.fit` over the whole workspace.

An entity's indicators need only its own rows and its related parties' (same legal
representative *and region*), so the tables are partitioned with related parties together
(`tiered.parts`: whole regions, a big region split by legal representative). Each worker is
sent a partition's reference (its URL and files' sha256, not its rows) and the scorer, reads the
partition itself and prepares its tables. Three passes: (1) each partition's share of the
population-level fits (`tiered.analysis.partfits`: its covered count, its past inspections'
scores and feature rows), which the command combines and fits (the risk mapping, the learned
model) without preparing the workspace itself; (2) the points of the entities the reasons'
typical entity is taken from (a median over the rows `explain.reference` picks by a hash of the
uscc, which each worker picks from its own part); (3) each partition scored with that fitted
state (`Scorer`'s own steps). The partitions' frames, sorted by uscc, are the scores file.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from scoring import explain, indicators
from scoring.config import ScoringConfig, check_config
from scoring.model_config import check_model_config
from scoring.pipeline import CALIBRATE, UNLESS_MODEL, Scorer, ScoreRun, uscc_order
from tiered import parts as partsets
from tiered.analysis import partfits
from tiered.engine import Engine
from tiered.workspace import Workspace

log = logging.getLogger(__name__)

SAMPLE = 100_000  # `explain.reference`'s default sample: above it, rows picked by uscc hash


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    """(wall, CPU) seconds since `start` (a worker runs one task at a time: its CPU)."""
    return time.perf_counter() - start[0], time.process_time() - start[1]


def _points_part(
    ref: partsets.PartRef, scorer: Scorer, step: int | None
) -> tuple[np.ndarray, np.ndarray, dict]:
    """(points matrix, usccs) of the partition's covered entities that the typical entity is
    computed from (`step`: those whose uscc hash is a multiple of it; None: all). Above the
    sample only those entities and their related parties are prepared: their indicators are
    what the whole partition would give them (`Prepared`), at a fraction of the work."""
    start = _clock()
    ent, rec, insp = partsets.read(ref)
    read = _since(start)
    start = _clock()
    if step is not None:
        ent, rec, insp = _picked(ent, rec, insp, scorer.as_of_, step)
    prep = indicators.prepare(ent, rec, insp)
    ind, pts = scorer._points(prep)
    keys = ind.index.to_numpy()
    matrix = pts.matrix
    if step is not None:
        pick = pick_rows(keys, step)
        matrix, keys = matrix[pick], keys[pick]
    return matrix, keys, {"read": read, "points": _since(start)}


def _picked(ent, rec, insp, as_of, step):
    """The tables of the covered entities `pick_rows` picks and of their related parties."""
    alone = indicators.prepare(ent, None, None)
    picked = alone.covered(as_of)
    picked[picked] = pick_rows(alone.uscc[picked], step)  # only the covered are hashed
    return partfits.with_related(alone, picked, ent, rec, insp)


def pick_rows(keys: np.ndarray, step: int) -> np.ndarray:
    """The rows `explain.reference` keeps above its sample (a hash of the uscc, so a part
    picks its own rows exactly as the whole would)."""
    return pd.util.hash_array(np.asarray(keys, dtype=object)) % np.uint64(step) == 0


def _score_part(ref: partsets.PartRef, scorer: Scorer) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """A partition's scores frame and override codes, with the fitted state."""
    start = _clock()
    tables = partsets.read(ref)
    read = _since(start)
    start = _clock()
    prep = indicators.prepare(*tables)
    ind, pts = scorer._points(prep)
    run = scorer._run(prep, ind, pts, _Laps())
    return run.frame, run.at_best, {"read": read, "score": _since(start)}


class _Laps:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        self.laps[name] = 0.0


def _logged(stage: str, refs: list[partsets.PartRef], times: list[dict]) -> None:
    for ref, t in zip(refs, times, strict=True):
        log.info(
            "dask %s: partition %d (%d entities): %s",
            stage, ref.index, ref.entities,
            ", ".join(f"{k} {w:.2f} s wall / {c:.2f} s CPU" for k, (w, c) in t.items()),
        )  # fmt: skip


def fit(scorer: Scorer, ws: Workspace, as_of: pd.Timestamp, engine: Engine) -> ScoreRun:
    """`scorer.fit(ws.prepared(), as_of).result_`, the per-partition work on `engine`."""
    start = time.perf_counter()
    config = scorer.config or ScoringConfig()
    check_config(config)
    if scorer.model is not None:
        check_model_config(scorer.model)
    scorer.config_ = config
    scorer.as_of_ = pd.Timestamp(as_of)
    scorer.check_trained()
    if scorer.keep_indicators:  # the app's what-if: nothing to spread
        return scorer.fit(ws.prepared(), as_of).result_
    refs = [r for r in partsets.ensure(ws, engine.parts) if r.entities]
    if not refs:
        return scorer.fit(ws.prepared(), as_of).result_
    model = scorer.model is not None and scorer.model.enabled
    calibrate = scorer.risk == CALIBRATE or (scorer.risk == UNLESS_MODEL and not model)
    train = model and scorer.trained is None  # a model given as trained is used as given
    scorer.model_ = scorer.trained
    shares = []
    if train or calibrate or scorer.reasons:  # the population-level fits, from partitions
        shares = engine.map(partfits.share, refs, scorer, train, calibrate)
        _logged("fits", refs, [s.times for s in shares])
    if train:
        scorer.model_ = partfits.model(shares, scorer)
    if scorer.risk == CALIBRATE or (scorer.risk == UNLESS_MODEL and scorer.model_ is None):
        if not calibrate:  # the model was not trained after all: the calibration's rows too
            shares = engine.map(partfits.share, refs, scorer, False, True)
            _logged("fits", refs, [s.times for s in shares])
        scorer.risk_mapping_ = partfits.risk_mapping(shares, scorer)
    else:
        scorer.risk_mapping_ = scorer.fit_risk_mapping(None)
    scorer.typical_ = None
    if scorer.reasons:
        n = sum(s.covered for s in shares)
        step = -(-n // SAMPLE) if n > SAMPLE else None
        got = engine.map(_points_part, refs, scorer, step)
        _logged("points", refs, [t for _, _, t in got])
        matrix = np.concatenate([m for m, _, _ in got])
        keys = np.concatenate([u for _, u, _ in got])
        scorer.typical_ = explain.reference(
            matrix, config.reason_reference, keys=keys, sample=max(len(matrix), 1)
        )
    done = engine.map(_score_part, refs, scorer)
    _logged("score", refs, [t for _, _, t in done])
    done = [d for d in done if len(d[0])] or done[:1]  # an empty part's dtypes must not count
    frame = pd.concat([f for f, _, _ in done], ignore_index=True)
    at_best = np.concatenate([a for _, a, _ in done])
    order = uscc_order(frame["uscc"].to_numpy())
    frame = frame.take(order).reset_index(drop=True)
    source = "none"
    if scorer.model_ is not None:
        source = "model"
    elif scorer.risk_mapping_ is not None:
        source = scorer.risk_mapping_.method
    laps = {"partitions": time.perf_counter() - start}
    run = ScoreRun(
        frame, scorer.risk_mapping_, scorer.typical_, laps, source, scorer.model_,
        at_best[order],
    )  # fmt: skip
    scorer.result_ = run
    return run
