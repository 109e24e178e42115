"""The frame digest hashed from Arrow buffers is the digest its definition gives
(`_column_bytes`: the canonical bytes manifests and commitments already hold)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling.draw import _column_bytes, _text_keys, frame_digest, uscc_order


def reference_digest(frame: pd.DataFrame) -> str:
    """The digest exactly as defined before the fast path (kept here as the oracle)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pa.array(frame["uscc"].astype(str).to_numpy(dtype=object))
    idx = pc.sort_indices(keys).to_numpy()
    outer = hashlib.sha256(f"rows={len(frame)}".encode())
    for name in sorted(map(str, frame.columns)):
        inner = hashlib.sha256(name.encode("utf-8") + b"\x1e")
        inner.update(_column_bytes(frame[name], idx))
        outer.update(inner.digest())
    return outer.hexdigest()


text = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["乐都区", "A", "", "\x00"]))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(text, text, st.sampled_from(list("ABCD")), st.booleans()), max_size=40),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_fast_digest_equals_the_definition(rows, categorical, in_order, arrow) -> None:
    import pyarrow as pa

    ids = [f"U{i:03d}" for i in range(len(rows))]
    frame = pd.DataFrame(
        {
            "uscc": ids if in_order else ids[::-1],  # in order: hashed without a sort
            "name": pd.Series([r[0] for r in rows], dtype=object),
            "region": pd.Series([r[1] for r in rows], dtype=object),
            "tier": [r[2] for r in rows],
            "flag": pd.Series([r[3] for r in rows], dtype=bool),
            "last_inspected": pd.to_datetime(["2025-01-01"] * len(rows)),
        }
    )
    if categorical:
        frame["tier"] = frame["tier"].astype("category")
        frame["region"] = frame["region"].astype("category")
    if arrow:  # text kept in Arrow, as the draw keeps names
        frame["name"] = frame["name"].astype(pd.ArrowDtype(pa.string()))
    assert frame_digest(frame) == reference_digest(frame)
    keys = _text_keys(frame)  # the draw hashes its uscc from the Arrow keys it already has
    if keys is not None:
        assert frame_digest(frame, uscc_order(keys), keys) == reference_digest(frame)


def test_mixed_and_odd_columns_fall_back_to_the_definition() -> None:
    frame = pd.DataFrame(
        {
            "uscc": ["b", "a", "c"],
            "mixed": pd.Series([1, "x", None], dtype=object),
            "flags": pd.Series([True, None, False], dtype=object),
            "string": pd.Series(["x", None, "y"], dtype="string"),
            "n": [1.5, np.nan, 2],
        }
    )
    assert frame_digest(frame) == reference_digest(frame)


def test_large_text_column_hashes_in_slices(monkeypatch) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("sampling.draw"), "_CHUNK", 7)
    frame = pd.DataFrame(
        {"uscc": [f"{i:05d}" for i in range(50)], "name": ["名"] * 25 + [None] * 25}
    )
    assert frame_digest(frame) == reference_digest(frame)
