"""The learned model's features at (uscc, date) points, and their known directions.

Features are the composite score's indicators as of each point (`indicators.compute_at`: only
rows dated strictly before the point count), the entity's inspection history before the point
(how many, the last outcome, days since), and optionally the entity's sector / region / type as
categories. The inspector is never a feature: it describes who inspected, not the entity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring import composite, indicators
from scoring.config import ScoringConfig

HISTORY_FEATURES = ("inspections_n", "last_found", "days_since_inspection")
# The composite score itself is a feature too: the trees start from the transparent score's
# ranking and learn where the data disagrees with it.
SCORE_FEATURE = "composite_score"
# Known directions of the extra features (+1: risk never falls as the value grows).
HISTORY_DIRECTIONS: dict[str, int] = {"last_found": 1, SCORE_FEATURE: -1}
FEATURE_LABELS: dict[str, str] = {
    SCORE_FEATURE: "综合信用评分",
    "inspections_n": "既往抽查次数",
    "last_found": "上次抽查发现问题",
    "days_since_inspection": "距上次抽查天数",
    "penalty_minor_n": "有效期内行政处罚次数（轻微）",
    "penalty_general_n": "有效期内行政处罚次数（一般）",
    "penalty_serious_n": "有效期内行政处罚次数（严重）",
    "commitment_broken_n": "信用承诺未履行次数",
    "annual_report_late_n": "年报逾期次数",
    "inspection_problem_n": "近两年抽查发现问题次数",
    "sector": "行业",
    "region": "区域",
    "entity_type": "主体类型",
}


def feature_names(config: ScoringConfig, categorical: tuple[str, ...] = ()) -> list[str]:
    """Column order of `features_at` (the model's inputs)."""
    return [
        *indicators.INDICATOR_NAMES,
        *indicators.COUNT_NAMES,
        *HISTORY_FEATURES,
        SCORE_FEATURE,
        *categorical,
    ]


def labels(config: ScoringConfig) -> dict[str, str]:
    """Feature -> Chinese label for reason texts (indicator labels from the indicator table)."""
    out = {name: spec.label or name for name, spec in config.indicators.items()}
    out.update(FEATURE_LABELS)
    return out


def monotone_directions(config: ScoringConfig) -> dict[str, int]:
    """+1 where more of a feature can only raise risk, -1 where it can only lower it.

    From the indicator table: a deducting ("-") indicator raises risk, an adding ("+") one
    lowers it; a raw count `x_n` follows its indicator `x`. Unknown directions stay free (0).
    """
    out: dict[str, int] = {}
    for name, spec in config.indicators.items():
        out[name] = 1 if spec.direction == "-" else -1
    for name in indicators.COUNT_NAMES:
        base = name[:-2]
        if base in out:
            out[name] = out[base]
    out.update(HISTORY_DIRECTIONS)
    return out


def features_at(
    prepared: indicators.Prepared,
    points: pd.DataFrame,
    config: ScoringConfig,
    categorical: tuple[str, ...] = (),
) -> pd.DataFrame:
    """One feature row per (uscc, date) point, in `points` order, from data before its date."""
    prep = prepared
    ind = indicators.compute_at(prep, points, config)
    ent = indicators.entity_codes(points["uscc"].astype(str), prep.index)
    day = indicators.to_days(points["date"]).astype(np.int64)
    feats = features_of(prep, ind.drop(columns=["uscc", "date"]), ent, day, config, categorical)
    feats.index = points.index
    return feats


def features_of(
    prepared: indicators.Prepared,
    ind: pd.DataFrame | dict[str, np.ndarray],
    ent: np.ndarray,
    day: np.ndarray | int,
    config: ScoringConfig,
    categorical: tuple[str, ...] = (),
    score: np.ndarray | None = None,
) -> pd.DataFrame:
    """The feature rows of points (entity codes `ent`, day numbers `day`) whose indicators are
    already known: `ind` (one value per point; `indicators.compute` at one date gives what
    `compute_at` gives at that date for every entity) and the composite `score` of them when
    the caller has it. Index: 0..n-1."""
    cols = feature_columns(prepared, ind, ent, day, config, categorical, score)
    numeric = feature_names(config)
    block = np.empty((len(numeric), len(ent)), np.float64)  # a frame's one block, row by row
    for j, name in enumerate(numeric):
        block[j] = cols[name]
    feats = pd.DataFrame(block.T, columns=numeric, copy=False)
    for c in categorical:
        feats[c] = cols[c]
    return feats


def feature_columns(
    prepared: indicators.Prepared,
    ind: pd.DataFrame | dict[str, np.ndarray],
    ent: np.ndarray,
    day: np.ndarray | int,
    config: ScoringConfig,
    categorical: tuple[str, ...] = (),
    score: np.ndarray | None = None,
) -> dict[str, np.ndarray | pd.Series]:
    """`features_of`'s columns, by name in its order (numbers as float64 arrays, the categories
    as categorical Series), without a frame: the model's matrix is made from them directly
    (`RiskModel` reads a mapping of columns as it reads a frame), so a million points' features
    are not copied into a frame first."""
    prep = prepared
    n = len(ent)
    day = np.broadcast_to(np.asarray(day, np.int64), (n,))
    cols: dict[str, np.ndarray | pd.Series] = {}
    for k in (*indicators.INDICATOR_NAMES, *indicators.COUNT_NAMES):
        cols[k] = np.asarray(ind[k], np.float64)
    cols.update(_history(prep, ent, day))
    if score is None:
        score = composite.points(cols, config).score
    cols[SCORE_FEATURE] = np.asarray(score, np.float64)
    cols = {name: cols[name] for name in feature_names(config)}
    entities = prep.tables.entities if prep.tables is not None else pd.DataFrame()
    for c in categorical:  # the entity's own category (text), missing when absent
        if c in entities:
            codes, uniques = pd.factorize(entities[c])  # once per entity, not per point
            cats = pd.Index([str(u) for u in uniques], dtype=object)
            cols[c] = pd.Series(pd.Categorical.from_codes(codes[ent], categories=cats))
        else:
            cols[c] = pd.Series(pd.Categorical.from_codes(np.full(n, -1), categories=[]))
    return cols


def _history(prep: indicators.Prepared, ent: np.ndarray, day: np.ndarray) -> dict[str, np.ndarray]:
    """Past inspections of each point's entity strictly before its day (no window)."""
    insp = prep.inspections
    n = len(ent)
    if not len(insp.ent):
        nan = np.full(n, np.nan)
        return {"inspections_n": np.zeros(n), "last_found": nan,
                "days_since_inspection": nan}  # fmt: skip
    big = np.int64(1) << 32
    key = insp.ent.astype(np.int64) * big + insp.day.astype(np.int64)
    order = np.argsort(key, kind="stable")
    skey = key[order]
    q = ent.astype(np.int64) * big + day
    hi = np.searchsorted(skey, q, side="left")  # rows strictly before the point's day
    lo = np.searchsorted(skey, ent.astype(np.int64) * big, side="left")
    count = (hi - lo).astype(np.float64)
    has = count > 0
    last = np.where(has, hi - 1, 0)
    last_day = insp.day[order][last].astype(np.int64)
    # several inspections on the last day: a problem in any of them counts
    found = insp.flag[order].astype(np.int64)
    cum = np.concatenate([[0], np.cumsum(found)])
    first_same = np.searchsorted(skey, ent.astype(np.int64) * big + last_day, side="left")
    last_found = (cum[hi] - cum[first_same]) > 0
    return {
        "inspections_n": count,
        "last_found": np.where(has, last_found.astype(np.float64), np.nan),
        "days_since_inspection": np.where(has, (day - last_day).astype(np.float64), np.nan),
    }
