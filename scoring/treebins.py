"""A tree ensemble's predictions for many rows, computed once per distinct set of split sides.

A tree sends a row left or right by comparing one feature with one threshold (or a category
with a set), so two rows that fall on the same side of every threshold the whole ensemble uses
get the same prediction, bit for bit. A million entities' features (200 trees of 5 leaves)
fall into a few tens of thousands of such cells: the rows are binned by the ensemble's own
thresholds, one row per cell is predicted, and every row takes its cell's value. The bins are
finer than needed where in doubt: missing values have a bin of their own, each threshold is
also bracketed by its neighbouring doubles, zero (LightGBM's `zero_as_missing`) by +-1e-35, and
a categorical feature keeps every distinct value apart. Linear-leaf trees (whose output reads
the values themselves) are predicted row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_ROWS = 20_000  # below this, predicting every row is as cheap as binning them
_ZERO = 1e-35  # LightGBM's kZeroThreshold
_LIMIT = np.int64(1) << 40  # recode the running cell key before it could overflow


def split_points(booster) -> tuple[dict[int, np.ndarray], set[int]] | None:
    """(numeric thresholds per feature, categorical features) of every split of `booster`;
    None when a tree's leaves are linear."""
    numeric: dict[int, set[float]] = {}
    categorical: set[int] = set()
    stack = [t["tree_structure"] for t in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" not in node:
            if "leaf_coeff" in node or "leaf_features" in node:
                return None
            continue
        f = int(node["split_feature"])
        if node.get("decision_type") == "==":
            categorical.add(f)
        else:
            numeric.setdefault(f, set()).add(float(node["threshold"]))
        stack += [node["left_child"], node["right_child"]]
    cuts = {}
    for f, values in numeric.items():
        t = np.array(sorted(values | {-_ZERO, _ZERO}), np.float64)
        cuts[f] = np.unique(np.concatenate([t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf)]))
    return cuts, categorical


def cells(mat: np.ndarray, cuts: dict[int, np.ndarray], categorical: set[int]) -> np.ndarray:
    """Per row, its cell: rows with equal codes are on the same side of every split."""
    key = np.zeros(len(mat), np.int64)
    for f in sorted(set(cuts) | categorical):
        col = mat[:, f]
        if f in categorical:
            b = pd.factorize(col)[0].astype(np.int64) + 1  # missing -> 0
            width = int(b.max()) + 1 if len(b) else 1
        else:
            b = np.searchsorted(cuts[f], col, side="left").astype(np.int64)
            width = len(cuts[f]) + 2
            b[np.isnan(col)] = width - 1
        if int(key.max(initial=0)) >= _LIMIT // width:
            key = pd.factorize(key)[0].astype(np.int64)
        key = key * width + b
    return pd.factorize(key)[0]


def predict_by_cells(booster, mat: np.ndarray, min_rows: int = MIN_ROWS, **kwargs) -> np.ndarray:
    """`booster.predict(mat, **kwargs)` for one output per row (e.g. `raw_score=True`),
    predicting one row per cell."""
    parsed = split_points(booster) if len(mat) >= min_rows else None
    if parsed is None:
        return booster.predict(mat, **kwargs)
    codes = cells(mat, *parsed)
    top = np.maximum.accumulate(codes)  # factorize numbers cells in order of appearance
    first = np.flatnonzero(np.diff(top, prepend=-1) > 0)
    out = np.asarray(booster.predict(np.ascontiguousarray(mat[first]), **kwargs))
    if out.ndim != 1:
        return booster.predict(mat, **kwargs)
    return out[codes]
