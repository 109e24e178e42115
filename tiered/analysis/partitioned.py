"""A score run by partitions on an engine (`tiered score --engine dask`), byte-identical to one
`Scorer.fit` over the whole workspace.

An entity's indicators need only its own rows and its related parties' (same legal
representative *and region*), so the tables are partitioned by region: every related party of
an entity is in its partition. Each worker prepares its partition's tables and computes their
indicators and points; the command fits what needs the population once (the risk mapping on
past inspections, the learned model, the reasons' typical entity from the partitions' points:
a median, which does not depend on row order) and each worker then scores its partition with
that fitted state (`Scorer`'s own steps). The partitions' frames, sorted by uscc, are the
scores file.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from scoring import explain, indicators, learned
from scoring.config import ScoringConfig, check_config
from scoring.model_config import check_model_config
from scoring.pipeline import CALIBRATE, UNLESS_MODEL, Scorer, ScoreRun, uscc_order
from tiered.engine import Engine
from tiered.workspace import Workspace

Part = tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]


def partitions(ws: Workspace) -> list[Part]:
    """(entities, records, inspections) per region (rows keep their order within a part)."""
    ent = ws.table("entities")
    region = ent["region"].astype(object).where(ent["region"].notna(), "")
    codes, _ = pd.factorize(region, sort=True)
    k = int(codes.max()) + 1 if len(codes) else 0
    index = pd.Index(ent["uscc"].astype(str))
    out_rows = [np.flatnonzero(codes == i) for i in range(k)]
    tables: list[list[pd.DataFrame | None]] = [[ent.iloc[r]] for r in out_rows]
    for name in ("records", "inspections"):
        df = ws.tables.get(name)
        if df is None:
            for t in tables:
                t.append(None)
            continue
        pos = index.get_indexer(df["uscc"].astype(str))
        part = np.where(pos >= 0, codes[np.maximum(pos, 0)], -1)
        for i, t in enumerate(tables):
            t.append(df.iloc[np.flatnonzero(part == i)])
    return [(e, r, s) for e, r, s in tables]


def _points_part(part: Part, scorer: Scorer) -> tuple[np.ndarray, np.ndarray]:
    """(points matrix, usccs) of a partition's covered entities."""
    prep = indicators.prepare(*part)
    ind, pts = scorer._points(prep)
    return pts.matrix, ind.index.to_numpy()


def _score_part(part: Part, scorer: Scorer) -> tuple[pd.DataFrame, np.ndarray]:
    """A partition's scores frame and override codes, with the fitted state."""
    prep = indicators.prepare(*part)
    ind, pts = scorer._points(prep)
    run = scorer._run(prep, ind, pts, _Laps())
    return run.frame, run.at_best


class _Laps:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        self.laps[name] = 0.0


def fit(scorer: Scorer, ws: Workspace, as_of: pd.Timestamp, engine: Engine) -> ScoreRun:
    """`scorer.fit(ws.prepared(), as_of).result_`, the per-partition work on `engine`."""
    start = time.perf_counter()
    config = scorer.config or ScoringConfig()
    check_config(config)
    if scorer.model is not None:
        check_model_config(scorer.model)
    scorer.config_ = config
    scorer.as_of_ = pd.Timestamp(as_of)
    parts = [p for p in partitions(ws) if len(p[0])]
    if not parts or scorer.keep_indicators:  # nothing to spread (or the app's what-if)
        return scorer.fit(ws.prepared(), as_of).result_
    prepared = None
    if scorer.risk in (CALIBRATE, UNLESS_MODEL) or (
        scorer.model is not None and scorer.model.enabled
    ):
        prepared = ws.prepared()  # the population-level fits read the whole history
    scorer.model_ = None
    if scorer.model is not None and scorer.model.enabled:
        scorer.model_ = learned.train(prepared, scorer.as_of_, config, scorer.model)
    scorer.risk_mapping_ = scorer.fit_risk_mapping(prepared)
    scorer.typical_ = None
    if scorer.reasons:
        got = engine.map(_points_part, parts, scorer)
        matrix = np.concatenate([m for m, _ in got])
        keys = np.concatenate([u for _, u in got])
        scorer.typical_ = explain.reference(matrix, config.reason_reference, keys=keys)
    done = engine.map(_score_part, parts, scorer)
    done = [d for d in done if len(d[0])] or done[:1]  # an empty part's dtypes must not count
    frame = pd.concat([f for f, _ in done], ignore_index=True)
    at_best = np.concatenate([a for _, a in done])
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
