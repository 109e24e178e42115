"""The scores file's bytes, built in Arrow: the same bytes as `tiered.files.csv_bom_bytes`.

pandas' CSV writer hands every cell to Python's `csv` module (a million rows x ten columns: ~5 s
at 1M entities). Here each column becomes its text once, in Arrow's C++ kernels, exactly as
pandas would write it, and the rows are joined there too:

* text (object columns of `str` only): formula-escaped like `escape_formula` (a leading `= + -
  @ TAB CR` gets an apostrophe), then quoted as the `csv` module's QUOTE_MINIMAL does (a field
  holding `,` `"` CR or LF is wrapped in quotes, its quotes doubled);
* floats: pandas writes `numpy.str_` of each value (the shortest text that reads back the same
  number). A column whose every value is exactly a decimal of at most `_MAX_DIGITS` places (as
  `np.round(x, d)` leaves it, within +-10^(15-d)) is written from its integer numerator: that
  decimal, trailing zeros dropped, is that shortest text (the closest double to k/10^d has no
  shorter decimal that reads back as it, as the doubles there are much closer than 10^-d).
  Any other float column is formatted by numpy itself, so the bytes never differ;
* integers: their decimal digits (as pandas); anything else (booleans, dates, mixed objects,
  missing text) falls back to `csv_bom_bytes` for the whole frame.

`tests/tiered/test_scorefile.py` checks the bytes against `csv_bom_bytes` on random frames.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tiered.files import csv_bom_bytes

_MAX_DIGITS = 4  # a nonzero k/10^4 is >= 1e-4: numpy writes it positionally
_BOM = b"\xef\xbb\xbf"


CHUNK_ROWS = 1 << 18  # rows per piece of `scores_csv_chunks` (~40 MB of text)


def scores_csv_bytes(df: pd.DataFrame) -> bytes:
    """`csv_bom_bytes(df)`, computed column by column in Arrow (see the module docstring)."""
    return b"".join(scores_csv_chunks(df))


def scores_csv_chunks(df: pd.DataFrame, rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """`scores_csv_bytes(df)` in pieces (the BOM and header, then `rows` rows at a time), for
    writing to a file: the text of a few rows at a time, never the whole file's (at 3M
    entities ~0.5 GB, and as many again for its Arrow columns)."""
    makers = [_column_maker(df[name]) for name in df.columns]
    if not len(df) or len(makers) < 2 or any(m is None for m in makers):
        # no rows, one column (an empty row is written ""), or a column not handled here
        yield csv_bom_bytes(df)
        return
    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow([str(c) for c in df.columns])
    yield _BOM + head.getvalue().encode("utf-8")
    for lo in range(0, len(df), rows):
        texts = [make(lo, min(lo + rows, len(df))) for make in makers]
        texts[-1] = pc.binary_join_element_wise(texts[-1], "\r\n", "")
        yield _data(pc.binary_join_element_wise(*texts, ","))


def _data(lines: pa.Array) -> bytes:
    """The concatenated values of a string array (its data buffer between its offsets)."""
    lines = lines.cast(pa.large_string()) if lines.type != pa.large_string() else lines
    _, offsets, data = lines.buffers()
    off = np.frombuffer(offsets, np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return data.slice(int(off[0]), int(off[-1] - off[0])).to_pybytes()


Maker = Callable[[int, int], pa.Array]  # rows lo..hi of a column as its CSV cells


def _column_maker(s: pd.Series) -> Maker | None:
    """Rows lo..hi of one column as pandas' CSV writer writes them; None when not handled
    here (decided for the whole column, before any row is written)."""
    values = s.to_numpy()
    kind = values.dtype.kind
    if kind == "f":
        codes, text = _float_text(values.astype(np.float64, copy=False))
        return lambda lo, hi: text.take(pa.array(codes[lo:hi]))
    if kind in "iu" and not isinstance(s.dtype, pd.CategoricalDtype):
        return lambda lo, hi: pa.array(values[lo:hi]).cast(pa.string())
    if kind == "O" and _repeats(values):  # a tier, the reasons: each distinct text once
        codes, uniq = pd.factorize(values)  # missing cells -> -1
        text = None if (codes < 0).any() else _text_cells(uniq, False)
        if text is None:
            return None
        return lambda lo, hi: text.take(pa.array(codes[lo:hi]))
    if kind == "O" and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return lambda lo, hi: _text_cells(values[lo:hi], False)
    return None  # a non-str cell or a missing one: pandas' str() of it is not repeated here


def _repeats(values: np.ndarray, sample: int = 1024) -> bool:
    """Does an object column repeat its values (a tier, the reasons: a few thousand texts over
    a million rows)? Judged on its first `sample` cells; only the speed depends on it."""
    head = values[:sample]
    return len(head) > 0 and len(pd.unique(head)) * 2 <= len(head)


def _text_cells(values: np.ndarray, repeated: bool) -> pa.Array | None:
    """Text cells escaped and quoted, each distinct value once when they repeat (the same
    array either way); None when a cell is not text (or missing)."""
    codes = None
    if repeated:
        codes, values = pd.factorize(values)  # missing cells -> -1
        if (codes < 0).any():
            return None
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # a non-str cell: pandas' str() of it is not repeated here
    if arr.null_count:
        return None
    arr = _quoted(_escaped(arr))
    return arr if codes is None else arr.take(pa.array(codes))


def _escaped(arr: pa.Array) -> pa.Array:
    """`tiered.files.escape_formula` of every cell."""
    hit = pc.match_substring_regex(arr, r"^[=+\-@\t\r]")
    if not pc.any(hit).as_py():
        return arr
    return pc.if_else(hit, pc.binary_join_element_wise("'", arr, ""), arr)


def _quoted(arr: pa.Array) -> pa.Array:
    """QUOTE_MINIMAL of Python's csv module with the delimiter `,` and the terminator CRLF."""
    hit = pc.match_substring_regex(arr, '[,"\r\n]')
    if not pc.any(hit).as_py():
        return arr
    wrapped = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(hit, wrapped, arr)


def _float_text(x: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """(per value its code, per code numpy's str of it ('' for NaN, pandas' na_rep)): each
    distinct value (by bit pattern, so -0.0 stays apart from 0.0) formatted once."""
    codes, bits = pd.factorize(np.ascontiguousarray(x).view(np.int64))
    uniq = bits.view(np.float64)
    text = uniq.astype(str).astype(object)
    text[np.isnan(uniq)] = ""
    return codes, pa.array(text, type=pa.string())
