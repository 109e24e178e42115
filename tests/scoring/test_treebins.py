"""Predicting once per cell of split sides (`scoring.treebins`) gives exactly LightGBM's own
prediction of every row: random data with NaN, zeros, ties on thresholds and categories."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from scoring.treebins import predict_by_cells


def _data(rng, n):
    x = np.column_stack(
        [
            rng.normal(size=n),
            np.round(rng.uniform(0, 5, n)),  # few values: ties on the thresholds
            rng.integers(0, 6, n).astype(float),  # a category
            np.where(rng.random(n) < 0.2, np.nan, rng.exponential(size=n)),
            np.where(rng.random(n) < 0.3, 0.0, rng.normal(size=n)),
        ]
    )
    y = (x[:, 0] + x[:, 1] * 0.3 + (x[:, 2] == 3) + rng.normal(size=n)) > 1
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_same_numbers_as_lightgbm(seed: int, zero_as_missing: bool) -> None:
    rng = np.random.default_rng(seed)
    x, y = _data(rng, 4000)
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": seed,
              "zero_as_missing": zero_as_missing, "min_data_in_leaf": 5}  # fmt: skip
    booster = lgb.train(params, lgb.Dataset(x, y, categorical_feature=[2]), 60)
    test, _ = _data(np.random.default_rng(seed + 10), 30_000)
    test[::50, 0] = booster.dump_model()["tree_info"][0]["tree_structure"].get("threshold", 0)
    want = booster.predict(test, raw_score=True)
    got = predict_by_cells(booster, test, min_rows=0, raw_score=True)
    assert np.array_equal(got, want)
    assert np.array_equal(predict_by_cells(booster, test[:10], raw_score=True), want[:10])
