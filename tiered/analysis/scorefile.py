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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tiered.files import csv_bom_bytes

_MAX_DIGITS = 4  # a nonzero k/10^4 is >= 1e-4: numpy writes it positionally
_BOM = b"\xef\xbb\xbf"


def scores_csv_bytes(df: pd.DataFrame) -> bytes:
    """`csv_bom_bytes(df)`, computed column by column in Arrow (see the module docstring)."""
    texts = []
    for name in df.columns:
        text = _column_text(df[name])
        if text is None:
            return csv_bom_bytes(df)
        texts.append(text)
    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow([str(c) for c in df.columns])
    header = head.getvalue().encode("utf-8")
    if not len(df) or len(texts) < 2:
        return csv_bom_bytes(df)  # no rows, one column (an empty row is written ""): pandas'
    texts[-1] = pc.binary_join_element_wise(texts[-1], "\r\n", "")
    lines = pc.binary_join_element_wise(*texts, ",")
    return b"".join([_BOM, header, _data(lines)])  # the 100 MB of rows copied once


def _data(lines: pa.Array) -> memoryview:
    """The concatenated values of a string array (its data buffer between its offsets), as a
    view of Arrow's buffer (no copy)."""
    if lines.type == pa.string():
        width = np.int32
    else:
        lines, width = lines.cast(pa.large_string()), np.int64
    _, offsets, data = lines.buffers()
    off = np.frombuffer(offsets, width)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(data)[int(off[0]) : int(off[-1])]


def _column_text(s: pd.Series) -> pa.Array | None:
    """One column's cells as pandas' CSV writer writes them; None when not handled here."""
    values = s.to_numpy()
    kind = values.dtype.kind
    if kind == "f":
        return _float_text(values.astype(np.float64, copy=False))
    if kind in "iu" and not isinstance(s.dtype, pd.CategoricalDtype):
        return pa.array(values).cast(pa.string())
    if kind == "O":
        return _text_cells(values, _repeats(values))
    return None


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


def _float_text(x: np.ndarray) -> pa.Array:
    """numpy's str of every value ('' for NaN, pandas' na_rep), formatted once per distinct
    value (by bit pattern, so -0.0 stays apart from 0.0)."""
    codes, bits = pd.factorize(np.ascontiguousarray(x).view(np.int64))
    uniq = bits.view(np.float64)
    text = uniq.astype(str).astype(object)
    text[np.isnan(uniq)] = ""
    return pa.array(text, type=pa.string()).take(pa.array(codes))
