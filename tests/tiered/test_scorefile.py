"""The scores file built in Arrow has the bytes of pandas' writer (`csv_bom_bytes`), the
definition it replaces, on random frames: text needing escapes and quotes, floats rounded to a
few places or not at all, -0.0, NaN, infinities, huge values, integers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tiered.analysis.scorefile import _repeats, _text_cells, scores_csv_bytes, scores_csv_chunks
from tiered.files import csv_bom_bytes

TEXT = st.text(alphabet=st.sampled_from(list("ab中文;,\"=+-@\t\r\n 'x1.")), max_size=8)
FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e12, 1e12),
    st.sampled_from([0.0, -0.0, 5.0, 0.1, 1e-4, 1e-5, 123456789.5, 1e15, 1e16]),
)


def _frame(draw, n: int) -> pd.DataFrame:
    cols: dict[str, object] = {}
    for j in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["text", "float", "round", "int"]))
        if kind == "text":
            cols[f"t{j}"] = np.array(draw(st.lists(TEXT, min_size=n, max_size=n)), dtype=object)
        elif kind == "int":
            cols[f"i{j}"] = np.array(draw(st.lists(st.integers(-(10**12), 10**12), min_size=n,
                                                   max_size=n)), dtype=np.int64)  # fmt: skip
        else:
            x = np.array(draw(st.lists(FLOAT, min_size=n, max_size=n)), dtype=np.float64)
            if kind == "round":
                with np.errstate(all="ignore"):
                    x = np.round(x, draw(st.integers(0, 7)))
            cols[f"f{j}"] = x
    return pd.DataFrame(cols)


@st.composite
def frames(draw) -> pd.DataFrame:
    return _frame(draw, draw(st.integers(0, 12)))


@settings(max_examples=400, deadline=None)
@given(frames())
def test_same_bytes_as_pandas(df: pd.DataFrame) -> None:
    assert scores_csv_bytes(df) == csv_bom_bytes(df)


def test_scores_like_frame() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    df = pd.DataFrame(
        {
            "uscc": np.array([f"91630{i:013d}" for i in range(n)], dtype=object),
            "score": np.round(rng.uniform(0, 1000, n), 1),
            "tier": np.array(["A", "B", "C", "D"])[rng.integers(0, 4, n)],
            "risk": np.round(rng.uniform(0, 1, n), 4),
            "reasons": np.array(["纳税信用A级;企业法人主体", "-扣分,项", "无"], dtype=object)[
                rng.integers(0, 3, n)
            ],
            "basic": np.round(rng.normal(0, 50, n), 1),
            "related": np.round(-rng.uniform(0, 0.04, n), 1),  # -0.0
        }
    )
    assert scores_csv_bytes(df) == csv_bom_bytes(df)


def test_mixed_objects_fall_back() -> None:
    df = pd.DataFrame({"a": np.array(["x", 1, None, 2.5], dtype=object), "b": [1.0, 2, 3, 4]})
    assert scores_csv_bytes(df) == csv_bom_bytes(df)


OBJECT = st.one_of(TEXT, st.none(), st.just(np.nan), st.integers(-3, 3), st.just(pd.NA))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TEXT, TEXT, OBJECT), max_size=30))
def test_repeated_text_once_per_value(cells: list) -> None:
    """Text columns that repeat are escaped and quoted once per distinct value: the same cells
    (or the same fallback) as cell by cell, whichever way `_repeats` judges the column."""
    values = np.array(cells, dtype=object)
    once, each = _text_cells(values, True), _text_cells(values, False)
    assert (once is None) == (each is None)
    if once is not None:
        assert once.equals(each)
    df = pd.DataFrame({"t": values, "n": np.arange(len(values), dtype=np.int64)})
    assert scores_csv_bytes(df) == csv_bom_bytes(df)


def test_repeats_judged_on_the_head() -> None:
    assert _repeats(np.array(["A", "B"] * 600, dtype=object))
    assert not _repeats(np.array([f"9163{i:014d}" for i in range(2000)], dtype=object))
    assert not _repeats(np.array([], dtype=object))


@settings(max_examples=200, deadline=None)
@given(frames(), st.integers(1, 13))
def test_pieces_join_to_the_bytes(df: pd.DataFrame, rows: int) -> None:
    """The file is written a few rows at a time (`scores_csv_chunks`): any piece size joins to
    the old writer's bytes, a column that falls back included (decided before any row)."""
    assert b"".join(scores_csv_chunks(df, rows)) == csv_bom_bytes(df)


def test_a_late_missing_cell_falls_back_for_the_whole_file() -> None:
    df = pd.DataFrame({"uscc": np.array(["a", "b", None], dtype=object), "score": [1.0, 2.5, 3]})
    assert b"".join(scores_csv_chunks(df, 1)) == csv_bom_bytes(df)
