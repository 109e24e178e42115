"""Reason codes: plain-language texts, top three, deviation from a typical entity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring import ScoringConfig
from scoring.composite import points
from scoring.explain import NONE_TEXT, period, reasons, reference
from scoring.indicators import COUNT_NAMES, INDICATOR_NAMES

CFG = ScoringConfig()


def frame(rows: list[dict]) -> pd.DataFrame:
    base = dict.fromkeys((*INDICATOR_NAMES, *COUNT_NAMES), 0.0)
    return pd.DataFrame([{**base, **r} for r in rows])


def test_periods_in_words():
    assert [period(d) for d in (92, 365, 730, 1095)] == ["近三个月", "近一年", "近两年", "近三年"]
    assert period(365, "en") == "in the last year" and period(92, "en") == "in the last 3 months"


def test_top_reasons_are_the_largest_deviations_from_typical():
    ind = frame(
        [
            {"penalty_general": 1.6, "penalty_general_n": 2, "complaint": 1, "tax_grade_C": 1},
            {"tax_grade_A": 1, "commendation": 3},
            {},
        ]
    )
    pts = points(ind, CFG)
    out = reasons(pts, ind, CFG, reference(pts.matrix, "zero"))
    assert out[0].split(";") == ["近一年行政处罚2次（一般）", "纳税信用C级", "近一年被投诉举报1次"]
    assert out[1].split(";") == ["近三年获表彰奖励3次", "纳税信用A级"]
    assert out[2] == NONE_TEXT["zh"]
    en = reasons(pts, ind, CFG, reference(pts.matrix, "zero"), lang="en")
    assert en[0].startswith("2 administrative penalty(ies) in the last year (general)")


def test_reasons_are_relative_to_the_population_median():
    rows = [{"tax_grade_A": 1}] * 5 + [{}]
    ind = frame(rows)
    pts = points(ind, CFG)
    typical = reference(pts.matrix)
    out = reasons(pts, ind, CFG, typical)
    assert out[0] == NONE_TEXT["zh"]  # typical itself
    assert out[5] == "纳税信用非A级"  # lacks what the typical entity has


def test_many_entities_vectorised_and_deterministic():
    rng = np.random.default_rng(0)
    n = 5000
    ind = frame([{}] * n)
    for c in ("complaint", "commendation", "penalty_minor_n", "age_years"):
        ind[c] = rng.integers(0, 4, n).astype(float)
    ind["penalty_minor"] = ind["penalty_minor_n"] * 0.8
    pts = points(ind, CFG)
    a = reasons(pts, ind, CFG, reference(pts.matrix))
    b = reasons(pts, ind, CFG, reference(pts.matrix))
    assert (a == b).all() and len(a) == n
    assert max(len(r.split(";")) for r in a) == 3


def test_sampled_reference_does_not_depend_on_row_order():
    rng = np.random.default_rng(4)
    m = rng.normal(size=(5000, 4))
    keys = np.array([f"K{i}" for i in range(5000)], dtype=object)
    p = rng.permutation(5000)
    a = reference(m, keys=keys, sample=500)
    assert np.array_equal(a, reference(m[p], keys=keys[p], sample=500))
    assert np.allclose(a, np.median(m, axis=0), atol=0.15)


def test_reasons_by_blocks_of_rows_are_those_of_one_block(monkeypatch):
    """The reasons are computed per block of rows (`_CHUNK`): a row's reasons are its own, so
    any block size gives the same texts."""
    import scoring.explain as explain

    rng = np.random.default_rng(6)
    n = 3001
    ind = frame([{}] * n)
    for c in ("complaint", "commendation", "penalty_minor_n", "age_years", "tax_grade_A"):
        ind[c] = rng.integers(0, 4, n).astype(float)
    ind["penalty_minor"] = ind["penalty_minor_n"] * 0.8
    pts = points(ind, CFG)
    typical = reference(pts.matrix)
    whole = reasons(pts, ind, CFG, typical)
    for chunk in (1, 7, 1000, n):
        monkeypatch.setattr(explain, "_CHUNK", chunk)
        assert (reasons(pts, ind, CFG, typical) == whole).all()


def test_reference_sample_hashes_are_pandas_defaults():
    """The sample's key hashes skip pandas' factorising but are its default hashes, missing
    keys included (uncategorised, pandas hashes those differently)."""
    from scoring.explain import _key_hashes

    keys = np.array(["K1", "K2", "K1", "91630202C84TNRA2XP", ""], dtype=object)
    assert np.array_equal(_key_hashes(keys), pd.util.hash_array(keys))
    holes = np.array(["K1", None, "K3", float("nan")], dtype=object)
    assert np.array_equal(_key_hashes(holes), pd.util.hash_array(holes))
