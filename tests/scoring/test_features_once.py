"""The learned model's features of a score run come from the indicators the run has already
computed (`model_features.features_of`) instead of computing them again per point
(`features_at`, `indicators.compute_at`): the same numbers, bit for bit, on demo tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring import ScoringConfig, indicators, prepare
from scoring.model_features import feature_columns, features_at, features_of
from tiered.demo import build as tiered_demo

DATES = ("2026-11-01", "2025-07-15", "2024-02-29")


@pytest.fixture(scope="module")
def demo():
    tables = tiered_demo.generate(2500, seed=11, end="2026-10")
    return prepare(tables["entities"], tables["records"], tables["inspections"])


@pytest.mark.parametrize("date", DATES)
def test_compute_at_one_date_is_compute(demo, date: str) -> None:
    config = ScoringConfig()
    whole = indicators.compute(demo, date, config)
    points = pd.DataFrame({"uscc": whole.index.to_numpy(), "date": pd.Timestamp(date)})
    at = indicators.compute_at(demo, points, config).drop(columns=["uscc", "date"])
    for col in whole.columns:
        assert np.array_equal(whole[col].to_numpy(), at[col].to_numpy()), col


@pytest.mark.parametrize("date", DATES)
@pytest.mark.parametrize("categorical", [(), ("sector", "region", "entity_type")])
def test_features_of_known_indicators_equal_features_at(demo, date, categorical) -> None:
    config = ScoringConfig()
    rng = np.random.default_rng(3)
    covered = np.flatnonzero(demo.covered(date))
    ent = rng.permutation(covered)[: len(covered) // 2]  # any subset, any order
    whole = indicators.compute(demo, date, config)
    ind = {k: v.to_numpy()[ent] for k, v in whole.items()}
    got = features_of(demo, ind, ent, indicators.day_of(date), config, categorical)
    points = pd.DataFrame({"uscc": demo.uscc[ent], "date": pd.Timestamp(date)})
    want = features_at(demo, points, config, categorical)
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_exact=True)


def test_category_codes_of_a_categorical_equal_those_of_its_text() -> None:
    from scoring.model import _category_codes

    rng = np.random.default_rng(8)
    values = np.array(["tax", "food_drug", "其他", "x", None], dtype=object)[
        rng.integers(0, 5, 3000)
    ]
    known = ["food_drug", "other", "tax", "其他"]
    want = pd.Categorical(pd.Series(values).astype("string"), categories=known).codes
    codes, uniques = pd.factorize(pd.Series(values))
    cat = pd.Series(pd.Categorical.from_codes(codes, categories=list(uniques)))
    assert np.array_equal(_category_codes(cat, known), want)
    assert np.array_equal(_category_codes(pd.Series(values, dtype="string"), known), want)


@pytest.mark.parametrize("date", DATES[:2])
def test_compute_keep_is_compute_filtered(demo, date: str) -> None:
    config = ScoringConfig()
    keep = demo.covered(date)
    want = indicators.compute(demo, date, config)[keep]
    pd.testing.assert_frame_equal(
        indicators.compute(demo, date, config, keep=keep), want, check_exact=True
    )


def test_model_matrix_of_feature_columns_is_that_of_the_frame(demo) -> None:
    """The score run hands the model `feature_columns` (no frame): the same matrix, bit for
    bit, as from `features_of`'s frame (categories included, a row order of its own)."""
    from scoring.model import RiskModel

    config, date = ScoringConfig(), DATES[0]
    categorical = ("sector", "region", "entity_type")
    ent = np.random.default_rng(5).permutation(np.flatnonzero(demo.covered(date)))
    whole = indicators.compute(demo, date, config)
    ind = {k: v.to_numpy()[ent] for k, v in whole.items()}
    args = (demo, ind, ent, indicators.day_of(date), config, categorical)
    frame = features_of(*args)
    cols = feature_columns(*args)
    assert list(cols) == list(frame.columns)
    model = RiskModel(categorical=categorical)
    model.feature_names_in_ = np.array(list(frame.columns), dtype=object)
    model.n_features_in_ = len(frame.columns)
    model.categories_ = {
        c: sorted({str(v) for v in frame[c].dropna().unique()})[1:] for c in categorical
    }
    a, b = model._matrix(frame), model._matrix(cols)
    assert a.flags.f_contiguous and b.flags.f_contiguous
    assert np.array_equal(a, b, equal_nan=True)
