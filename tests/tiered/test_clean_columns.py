"""`tables.columns.clean` copies a column only when stripping could change a cell, and cleans
exactly as `pc.utf8_trim_whitespace` does; accepted rows are taken a column at a time."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from tables import columns as C


def _every_character() -> list[str]:
    return [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def test_no_character_is_missed_at_either_end() -> None:
    """Every code point, alone, first or last in a cell (after one-, two-, three- and four-byte
    characters): where Arrow's trim changes the cell, it is flagged as one that may change."""
    chars = _every_character()
    cells = [
        *chars,
        *(f"{c}x" for c in chars),
        *(f"{p}{c}" for c in chars for p in ("x", "é", "中", "😀")),
    ]
    arr = pa.array(cells, pa.string())
    changed = C.mask(pc.not_equal(pc.utf8_trim_whitespace(arr), arr))
    assert changed.any()
    assert not (changed & ~C._may_trim(arr)).any()


def test_ascii_columns_flag_the_same_cells_as_any_text() -> None:
    """Every ASCII byte alone, first or last in a cell (also with missing and empty cells, and
    in a slice, a block of cells apart): the ASCII path flags what trimming changes, and the
    same cells as the general path does on that text with one non-ASCII cell added."""
    chars = [chr(c) for c in range(0x80)]
    cells = [*chars, *(f"{c}x" for c in chars), *(f"x{c}" for c in chars), None, "", "ab"]
    cells = cells * 3 + ["q"] * (C._BLOCK + 5) + cells
    for arr in (
        pa.array(cells, pa.string()),
        pa.array(cells, pa.string()).slice(7, len(cells) - 9),
    ):
        changed = C.mask(pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(arr), arr), False))
        ascii_flags = C._may_trim(arr)
        assert changed.any() and not (changed & ~ascii_flags).any()
        wider = pa.concat_arrays([arr, pa.array(["中"], pa.string())])
        assert np.array_equal(C._may_trim(wider)[:-1], ascii_flags)
    full = pa.array(["ab", " a", "b\t", "c"] * 3, pa.string())  # no cell missing or empty
    assert C._may_trim(full).tolist() == [False, True, True, False] * 3


def test_untouched_column_is_not_copied() -> None:
    arr = pa.array(["91630ABC", "中文名称", None, "", "x y"], pa.string())
    out = C._trimmed(arr)
    assert out is arr
    padded = pa.array(["a ", "中文\u3000", None], pa.string())
    assert C._trimmed(padded).to_pylist() == ["a", "中文", None]


TEXT = st.text(alphabet=st.sampled_from(list("ab 中\u3000\u00a0\t\n\u2003\u0085x")), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=30), st.integers(0, 5))
def test_clean_as_before(cells: list[str | None], cut: int) -> None:
    arr = pa.array(cells, pa.string()).slice(min(cut, len(cells)))  # an offset too
    want = C._empty_to_null(pc.utf8_trim_whitespace(arr))
    assert C.clean(arr).to_pylist() == want.to_pylist()


def test_accepted_takes_each_column_out() -> None:
    typed = {
        "a": pa.array(["x", "y", "z"]),
        "d": np.array(["2024-01-01", "NaT", "2024-03-01"], dtype="datetime64[ns]"),
        "n": np.array([1.5, np.nan, 3.0]),
    }
    keep = np.array([True, False, True])
    table, _ = C.accepted(typed, keep)
    assert typed == {}
    assert table.column("a").to_pylist() == ["x", "z"]
    assert table.num_rows == 2 and table.column_names == ["a", "d", "n"]
