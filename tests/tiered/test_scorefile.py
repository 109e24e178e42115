"""The scores file built in Arrow has the bytes of pandas' writer (`csv_bom_bytes`), the
definition it replaces, on random frames: text needing escapes and quotes, floats rounded to a
few places or not at all, -0.0, NaN, infinities, huge values, integers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tiered.analysis.scorefile import scores_csv_bytes
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
