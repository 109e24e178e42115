"""The XLSX writer's streamed rows give byte for byte what openpyxl's cells give (draw lists
must reproduce exactly, also those written before the fast path)."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tiered.files import xlsx_bytes

cell = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from([" a", "a ", " ", "", "=x", "+1", "#N/A", "a&b<c>", "乐都区", "'q", "x\ny"]),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cell, min_size=3, max_size=3), max_size=12))
def test_streamed_rows_equal_openpyxl(rows) -> None:
    df = pd.DataFrame(rows, columns=["uscc", "name", "p"], dtype=object)
    headers = {"uscc": "统一社会信用代码"}
    assert xlsx_bytes(df, headers, sheet="抽查名单") == xlsx_bytes(
        df, headers, sheet="抽查名单", fast=False
    )


def test_typed_columns_equal_openpyxl() -> None:
    df = pd.DataFrame(
        {
            "uscc": [f"91{i:016d}" for i in range(30)],
            "p": [i / 7 for i in range(29)] + [math.nan],
            "n": range(30),
            "inspectors": ["HD0001;HD0002"] * 30,
        }
    )
    assert xlsx_bytes(df) == xlsx_bytes(df, fast=False)
