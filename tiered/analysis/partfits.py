"""The population-level fits of a score run, built from per-partition rows (`--engine dask`).

A score run fits three things on the whole population: how many entities it covers (the
reasons' typical entity is a sample of them), the composite score's risk mapping (calibrated on
past inspections, each scored as of its date) and the learned model (fitted on past
inspections' feature rows). Each needs, per past inspection, only that inspection's entity's
rows and its related parties', which the partitions keep together (`tiered.parts`). So each
worker reads its partition, prepares only the entities inspected in the windows and their
related parties, and returns, per past inspection, its row in the validated table, its outcome,
its date and its score or feature row; for the categories the model reads, each value's first
row in the entities table. The command puts the rows back in the table's order (so a fit gets
the very arrays the local engine gives it) and fits: the count and the categories' order are
exact sums and minima; the fits themselves (a logistic or isotonic regression, gradient
boosting) need every row in one process: 8 bytes per feature per past inspection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from scoring import composite, indicators, learned
from scoring.composite import RiskMapping
from scoring.learned import TrainedModel
from scoring.model_features import feature_names, features_at
from scoring.pipeline import Scorer
from tiered import parts as partsets


@dataclass
class Share:
    """One partition's share of the population-level fits."""

    covered: int  # entities the score covers
    inspections: int | None  # rows of its inspections table (None: no such table)
    calibration: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # rows, scores, found
    training: dict | None = None  # rows, y, dates, numeric columns, categories (`_training`)
    times: dict = field(default_factory=dict)


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - start[0], time.process_time() - start[1]


def share(ref: partsets.PartRef, scorer: Scorer, model: bool, calibrate: bool) -> Share:
    """The partition's share: its covered count, and, when asked, its past inspections' rows
    for the learned model (`model`) and for the risk calibration (`calibrate`)."""
    start = _clock()
    (ent, rec, insp), rows = partsets.read_with_rows(ref)
    times = {"read": _since(start)}
    start = _clock()
    alone = indicators.prepare(ent, None, None)
    got = Share(int(np.count_nonzero(alone.covered(scorer.as_of_))), None, times=times)
    if insp is None:
        return got
    got.inspections = len(insp)
    config = scorer.config_
    train = learned.training_rows(insp, alone.index, scorer.as_of_, scorer.model) if model else None
    calib = composite.calibration_rows(insp, scorer.as_of_, config) if calibrate else None
    wanted = np.zeros(len(insp), bool)
    for m in (train, calib):
        if m is not None:
            wanted |= m
    if wanted.any():
        inspected = np.zeros(alone.n, bool)
        at = indicators.entity_codes(insp["uscc"][wanted].astype(str), alone.index)
        inspected[at[at >= 0]] = True
        prep = indicators.prepare(*with_related(alone, inspected, ent, rec, insp))
        irows = rows["inspections"]
        if calib is not None:
            past = insp[calib]
            scores = composite.past_scores(prep, past, config) if len(past) else np.zeros(0)
            got.calibration = (irows[calib], scores, _found(past))
        if train is not None:
            got.training = _training(prep, alone, ent, insp[train], irows[train], rows, scorer)
    times["fits"] = _since(start)
    return got


def _found(past: pd.DataFrame) -> np.ndarray:
    return past["found_problem"].fillna(False).to_numpy(bool)


def _training(prep, alone, ent, past, irows, rows, scorer: Scorer) -> dict:
    """The past inspections' feature rows: numbers from the prepared subset, each category as
    codes into this partition's values, with each value's first row in the entities table."""
    x = features_at(prep, past[["uscc", "date"]], scorer.config_, ())
    cats = {}
    at = indicators.entity_codes(past["uscc"].astype(str), alone.index)
    for c in scorer.model.categorical:
        if c not in ent:
            continue
        codes, uniques = pd.factorize(ent[c])
        values, first = np.unique(codes, return_index=True)
        first, values = first[values >= 0], values[values >= 0]
        names = [str(u) for u in uniques]
        cats[c] = (codes[at], names, rows["entities"][first[np.argsort(values)]])
    return {
        "rows": irows,
        "y": _found(past),
        "dates": past["date"].to_numpy(),
        "x": {k: x[k].to_numpy(np.float64) for k in x.columns},
        "cats": cats,
    }


def with_related(alone: indicators.Prepared, picked: np.ndarray, ent, rec, insp):
    """The tables of the `picked` entities and of their related parties (same group): what
    `indicators.prepare` needs to give the picked entities what the whole would give them."""
    usccs, group = alone.uscc, alone.group
    keep = picked | (np.isin(group, group[picked & (group >= 0)]) & (group >= 0))
    wanted = pa.array(usccs[keep], type=pa.string())
    ent = ent[keep].reset_index(drop=True)
    rec = None if rec is None else rec[_among(rec["uscc"], wanted)]
    insp = None if insp is None else insp[_among(insp["uscc"], wanted)]
    return ent, rec, insp


def _among(col: pd.Series, wanted: pa.Array) -> np.ndarray:
    """Rows whose uscc is in `wanted`, looked up in Arrow (no Python string per row when the
    text is held in Arrow)."""
    import pyarrow.compute as pc

    if isinstance(col.dtype, pd.ArrowDtype):
        arr = pa.array(col.array)
    else:
        arr = pa.array(col.astype(str).to_numpy(object), type=pa.string())
    return pc.is_in(arr, value_set=wanted.cast(arr.type)).to_numpy(zero_copy_only=False)


# ------------------------------------------------------------------------- in the command


def risk_mapping(shares: list[Share], scorer: Scorer) -> RiskMapping:
    """`composite.calibrate_risk` of the whole from the partitions' shares."""
    n = sum(s.inspections or 0 for s in shares)
    got = [s.calibration for s in shares if s.calibration is not None]
    if not got:
        return composite.risk_from(n, None, np.zeros(0, bool), scorer.config_)
    order = np.argsort(np.concatenate([r for r, _, _ in got]), kind="stable")
    scores = np.concatenate([s for _, s, _ in got])[order]
    found = np.concatenate([f for _, _, f in got])[order]
    return composite.risk_from(n, scores, found, scorer.config_)


def model(shares: list[Share], scorer: Scorer) -> TrainedModel | None:
    """`learned.train` of the whole from the partitions' shares: their feature rows in the
    inspections table's order, the categories in the order the whole entities table gives."""
    mcfg = scorer.model
    if not sum(s.inspections or 0 for s in shares):
        return None
    got = [s.training for s in shares if s.training is not None]
    if not got:
        return None
    rows = np.concatenate([g["rows"] for g in got])
    order = np.argsort(rows, kind="stable")
    y = np.concatenate([g["y"] for g in got])[order]
    if not learned.enough(y, mcfg):
        return None
    numeric = feature_names(scorer.config_)
    block = np.empty((len(numeric), len(y)), np.float64)  # one block, as `features_of` makes
    for j, name in enumerate(numeric):
        block[j] = np.concatenate([g["x"][name] for g in got])[order]
    x = pd.DataFrame(block.T, columns=numeric, copy=False)
    for c in mcfg.categorical:
        x[c] = _categories(c, got, order, len(y))
    x.index = pd.Index(rows[order])
    dates = np.concatenate([g["dates"] for g in got])[order]
    return learned.fit(x, y, dates, scorer.as_of_, scorer.config_, mcfg)


def _categories(c: str, got: list[dict], order: np.ndarray, n: int) -> pd.Series:
    """A category column over every partition's rows, its categories in their order of first
    appearance in the whole entities table (what `pd.factorize` of the whole gives)."""
    first: dict[str, int] = {}
    for g in got:
        if c in g["cats"]:
            _, names, rows = g["cats"][c]
            for name, row in zip(names, rows, strict=True):
                first[name] = min(first.get(name, row), row)
    cats = sorted(first, key=first.__getitem__)
    where = {name: i for i, name in enumerate(cats)}
    codes = []
    for g in got:
        if c in g["cats"]:
            point_codes, names, _ = g["cats"][c]
            table = np.array([where[v] for v in names] + [-1], np.int64)
            codes.append(table[point_codes])
        else:
            codes.append(np.full(len(g["y"]), -1, np.int64))
    index = pd.Index(cats, dtype=object)
    codes_all = np.concatenate(codes)[order] if n else np.zeros(0, np.int64)
    return pd.Series(pd.Categorical.from_codes(codes_all, categories=index))
