"""Columns of a table as Arrow string arrays, and the vectorised steps `tables.check` runs on them.

A million-row table is checked without making a Python object per cell: text is trimmed,
tested and looked up in Arrow; a parsed column (dates, numbers, yes/no, coded values) is parsed
once per distinct value with the definitions in `tables.parse`, and the results are spread back
over the rows by index. Python objects are made only for the rows that fail (their messages)
and, at the end, for the accepted cells the callers read.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_CELL_CHARS = 32_767  # Excel's own limit: a longer cell cannot be written back to a list
NULL_TEXT = pa.scalar(None, pa.string())


def text_array(values: object) -> pa.Array:
    """Cells (a pandas Series, numpy array or Arrow array) as one Arrow string array; a non-text
    cell (rare: a number from a typed Parquet file) is written as `str(v)`, NaN as missing."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if isinstance(values, pa.Array):
        if pa.types.is_string(values.type):
            return values
        if pa.types.is_large_string(values.type) or pa.types.is_null(values.type):
            return values.cast(pa.string())
        values = np.asarray(values.to_pandas(), dtype=object)
    values = np.asarray(values, dtype=object)
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None or v != v else str(v) for v in values], pa.string())


def clean(arr: pa.Array, case: str | None = None) -> pa.Array:
    """Strip whitespace (and fold case to "upper"/"lower" if asked); an empty cell is missing.

    Whitespace is stripped, and case folded, only when some cell could change (a column of
    codes is usually neither padded nor lower-case): then the column is not copied, and the
    raw text and the cleaned one are one array. Empty cells are looked for in the offsets."""
    arr = _trimmed(arr)
    if case == "upper" and _has_bytes(arr, 0x61):
        arr = pc.utf8_upper(arr)
    elif case == "lower" and _has_bytes(arr, 0x41):
        arr = pc.utf8_lower(arr)
    return _empty_to_null(arr)


def _lut(byte_values) -> np.ndarray:
    out = np.zeros(256, dtype=bool)
    out[list(byte_values)] = True
    return out


_CTRL = _lut([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _parts(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(validity, offsets, data bytes) of a string array, as numpy views."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return present(arr), offsets, data


def _has_bytes(arr: pa.Array, first: int) -> bool:
    """Whether some byte is one of the 26 ASCII letters from `first`, or is not ASCII."""
    _, offsets, data = _parts(arr)
    data = data[offsets[0] : offsets[-1]]
    step = 1 << 22
    for i in range(0, len(data), step):
        part = data[i : i + step]
        if ((part - np.uint8(first)) < 26).any() or (part >= 0x80).any():
            return True
    return False


# First bytes of a character that may be whitespace: ASCII up to the space, and the lead bytes
# of U+0085, U+00A0 (C2), U+1680, U+180E (E1), U+2000-U+205F (E2), U+3000 (E3), U+FEFF (EF).
_MAY_BE_SPACE = _lut([*range(0x00, 0x21), 0xC2, 0xE1, 0xE2, 0xE3, 0xEF])
_BLOCK = 1 << 20  # cells per step of `_may_trim`


def _trimmed(arr: pa.Array) -> pa.Array:
    """`pc.utf8_trim_whitespace(arr)`; `arr` itself when that would change no cell (its first
    and last characters are looked at in the bytes, and the few cells that might change are
    trimmed to see)."""
    maybe = _may_trim(arr)
    if maybe.any():
        some = arr.filter(pa.array(maybe))
        same = pc.equal(pc.binary_length(pc.utf8_trim_whitespace(some)), pc.binary_length(some))
        if not pc.all(same).as_py():
            return pc.utf8_trim_whitespace(arr)
    return arr


def _may_trim(arr: pa.Array) -> np.ndarray:
    """Cells whose first or last character may be whitespace (by its first byte)."""
    valid, offsets, data = _parts(arr)
    out = np.zeros(len(arr), dtype=bool)
    if not len(arr) or not _any_at_least(data[offsets[0] : offsets[-1]], 0x80):
        return _may_trim_ascii(valid, offsets, data, out)
    for lo in range(0, len(arr), _BLOCK):
        hi = min(lo + _BLOCK, len(arr))
        start = offsets[lo:hi].astype(np.int64)
        end = offsets[lo + 1 : hi + 1].astype(np.int64)
        idx = np.flatnonzero(valid[lo:hi] & (end > start))
        if not len(idx):
            continue
        start, end = start[idx], end[idx]
        hit = _MAY_BE_SPACE[data[start]]
        last = end - 1  # back over up to three continuation bytes to the last character's first
        for _ in range(3):
            last -= ((data[last] & 0xC0) == 0x80) & (last > start)
        hit |= _MAY_BE_SPACE[data[last]]
        out[lo + idx] = hit
    return out


def _any_at_least(data: np.ndarray, byte: int) -> bool:
    step = 1 << 22
    return any((data[i : i + step] >= byte).any() for i in range(0, len(data), step))


def _may_trim_ascii(
    valid: np.ndarray, offsets: np.ndarray, data: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """`_may_trim` of ASCII text (no byte from 0x80: every character is its one byte, so the
    last byte is the last character), with no cell picked out unless one is missing or empty."""
    for lo in range(0, len(out), _BLOCK):
        hi = min(lo + _BLOCK, len(out))
        start = offsets[lo:hi]
        end = offsets[lo + 1 : hi + 1]
        full = valid[lo:hi] & (end > start)
        if full.all():
            out[lo:hi] = _MAY_BE_SPACE[data[start]] | _MAY_BE_SPACE[data[end - 1]]
            continue
        idx = np.flatnonzero(full)
        out[lo + idx] = _MAY_BE_SPACE[data[start[idx]]] | _MAY_BE_SPACE[data[end[idx] - 1]]
    return out


def _empty_to_null(arr: pa.Array) -> pa.Array:
    valid, offsets, _ = _parts(arr)
    empty = valid & (offsets[1:] == offsets[:-1])
    if not empty.any():
        return arr
    return pc.if_else(pa.array(empty), NULL_TEXT, arr)


def clean_series(s: pd.Series, case: str | None = None) -> pd.Series:
    """`clean` for a pandas column (object cells, None for missing), keeping its index."""
    return pd.Series(clean(text_array(s), case).to_pandas(), index=s.index, dtype=object)


def unusable(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(has a control character, longer than Excel allows) for cleaned text cells, from the
    bytes: a control character is one ASCII byte, and a cell of at most MAX_CELL_CHARS bytes
    has at most that many characters."""
    valid, offsets, data = _parts(arr)
    ctrl = np.zeros(len(arr), dtype=bool)
    step = 1 << 22
    for i in range(offsets[0], offsets[-1], step):
        part = data[i : min(i + step, offsets[-1])]
        low = part < 0x20
        if not (low.any() or (part == 0x7F).any()):
            continue
        hits = np.flatnonzero(_CTRL[part]) + i
        if len(hits):
            ctrl[np.searchsorted(offsets, hits, side="right") - 1] = True
    ctrl &= valid
    long = valid & (np.diff(offsets) > MAX_CELL_CHARS)
    if long.any():
        idx = np.flatnonzero(long)
        chars = pc.utf8_length(arr.take(pa.array(idx))).to_numpy(zero_copy_only=False)
        long[idx] = chars > MAX_CELL_CHARS
    return ctrl, long


def mask(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow boolean array (no nulls) as a numpy bool array."""
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def present(arr: pa.Array) -> np.ndarray:
    if arr.null_count == 0:
        return np.ones(len(arr), dtype=bool)
    return mask(pc.is_valid(arr))


def distinct(arr: pa.Array) -> tuple[np.ndarray, pd.Series]:
    """(per row: its value's position in `values`, or -1 when missing; the distinct values as an
    object Series)."""
    enc = pc.dictionary_encode(arr)
    codes = pc.fill_null(enc.indices, -1).to_numpy()  # int32: indexes numpy arrays as is
    return codes, pd.Series(enc.dictionary.to_pylist(), dtype=object)


def spread(codes: np.ndarray, per_value: object, missing: object) -> np.ndarray:
    """Per-distinct-value results back over the rows (`missing` where a row has no value)."""
    per_value = np.asarray(per_value)
    if per_value.dtype == bool and missing is False and not per_value.any():
        return np.zeros(len(codes), dtype=bool)  # the common case: no value fails
    ext = np.empty(len(per_value) + 1, dtype=per_value.dtype)
    ext[: len(per_value)] = per_value
    ext[-1] = missing
    return ext[codes]  # codes of -1 pick the last element: `missing`


def map_values(arr: pa.Array, fn: Callable[[object], object]) -> pa.Array:
    """`fn` over each distinct present value of a text column, as a text column (None stays
    missing; `fn` returning None makes the cell missing)."""
    enc = pc.dictionary_encode(arr)
    mapped = pa.array([fn(v) for v in enc.dictionary.to_pylist()], type=pa.string())
    return pc.take(mapped, enc.indices)


def duplicated(arr: pa.Array) -> np.ndarray:
    """Present, and its value occurs more than once."""
    codes, values = distinct(arr)
    if not len(values):
        return np.zeros(len(arr), bool)
    ok = codes >= 0
    counts = np.bincount(codes[ok], minlength=len(values))
    return ok & (np.append(counts, 0)[codes] > 1)


def is_in(arr: pa.Array, known: pa.Array) -> np.ndarray:
    """Whether each cell is one of `known` (missing cells: False): an Arrow hash lookup. When
    the cells are fewer than the known values (tiers or conflicts against a million entities),
    the known values are looked up among the cells' distinct values instead: hashing the
    smaller side is the cheaper way to the same answer."""
    if 2 * len(arr) >= len(known):
        return mask(pc.fill_null(pc.is_in(arr, value_set=known), False))
    enc = pc.dictionary_encode(arr)
    hits = known.filter(pc.is_in(known, value_set=enc.dictionary))
    found = mask(pc.is_in(enc.dictionary, value_set=hits))
    return spread(pc.fill_null(enc.indices, -1).to_numpy(), found, False)


def pick(values: object, idx: np.ndarray) -> list:
    """The cells of `values` (Arrow array, numpy array, or a Series indexed by row position) at
    row positions `idx`, as Python objects."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.take(pa.array(idx, pa.int64())).to_pylist()
    if isinstance(values, pd.Series):
        return values.loc[idx].to_list()
    return list(np.asarray(values, dtype=object)[idx])


def to_pandas(col: object, keep: np.ndarray | None = None) -> object:
    """A typed column (Arrow text or numpy) for a pandas frame, only the rows in `keep`."""
    if isinstance(col, pa.Array | pa.ChunkedArray):
        if keep is not None:
            col = col.filter(pa.array(keep))
        return col.to_pandas().to_numpy(dtype=object)
    return col if keep is None else col[keep]


def take(col: object, idx: np.ndarray) -> np.ndarray:
    """A typed column's cells at row positions `idx`, as pandas would hold them."""
    if isinstance(col, pa.Array | pa.ChunkedArray):
        return col.take(pa.array(idx, pa.int64())).to_pandas().to_numpy(dtype=object)
    return col[idx]


def accepted(typed: dict[str, object], keep: np.ndarray) -> tuple[pa.Table, pa.Table | None]:
    """Typed columns (Arrow text, numpy dates, numbers, flags; taken out of `typed`, so that
    each is freed once its rows are taken), the rows in `keep`, as an Arrow
    table (`to_pandas` of it is the accepted frame: text as object cells, None when missing),
    and that table as `pa.Table.from_pandas(frame, preserve_index=False)` would give it (None
    if it cannot tell): the validated cache is written from the second, without the frame."""
    rows = None if keep.all() else pa.array(keep)
    cols = {}
    for n in list(typed):  # a column at a time, each let go once its accepted rows are taken
        v = typed.pop(n)
        col = v if isinstance(v, pa.Array | pa.ChunkedArray) else pa.array(v, from_pandas=True)
        del v
        cols[n] = col if rows is None else col.filter(rows)
    table = pa.table(cols)
    return table, _as_from_pandas(table)


def _as_from_pandas(table: pa.Table) -> pa.Table | None:
    """`table` with the types and pandas metadata `from_pandas(table.to_pandas())` gives: those
    come from one row per column (its first value that is present); a text column with no value
    at all is of Arrow's null type there, as from_pandas makes it."""
    if not table.num_rows:
        return None
    sample = pa.table(
        {
            n: col.take([_first_present(col)])
            for n, col in zip(table.column_names, table.columns, strict=True)
        }
    ).to_pandas()
    schema = pa.Table.from_pandas(sample, preserve_index=False).schema
    arrays = [
        pa.nulls(table.num_rows) if schema.field(i).type == pa.null() else col
        for i, col in enumerate(table.columns)
    ]
    try:
        return pa.Table.from_arrays(arrays, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None


def _first_present(col: pa.ChunkedArray) -> int:
    """The position of a column's first present cell (0 when none is)."""
    if col.null_count == 0 or col.null_count == len(col):
        return 0
    return pc.index(pc.is_valid(col), True).as_py()
