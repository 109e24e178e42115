"""The unified social credit code (统一社会信用代码, GB 32100-2015).

A code is 18 characters from a 31-letter alphabet (no I, O, S, V, Z). Characters 3-8 are the
registering authority's administrative division code. The 18th character is a check character:
with weights 3**i mod 31 for positions i = 0..16, the check value is
(31 - sum(value * weight) mod 31) mod 31.

Both a scalar and a vectorised form are given: validation of a million-row directory and the
demo generator use the vectorised one.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_LOOKUP = np.full(128, -1, dtype=np.int64)
for _c, _v in _VALUE.items():
    _LOOKUP[ord(_c)] = _v
_LOOKUP8 = np.full(256, -1, dtype=np.int8)
_LOOKUP8[:128] = _LOOKUP
_WEIGHTS32 = WEIGHTS.astype(np.int32)


def check_char(body: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(body) != 17 or any(c not in _VALUE for c in body):
        raise ValueError(f"not a 17-character USCC body: {body!r}")
    total = sum(_VALUE[c] * int(w) for c, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why `code` is not a valid USCC, or None when it is. Messages are for a clerk."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际为{len(code)}位 (USCC must be 18 characters)"
    bad = [c for c in code if c not in _VALUE]
    if bad:
        return f"统一社会信用代码含非法字符 '{bad[0]}' (USCC has an invalid character)"
    if check_char(code[:17]) != code[17]:
        return (
            f"统一社会信用代码校验位错误，应为 '{check_char(code[:17])}' "
            f"(USCC check character fails, expected '{check_char(code[:17])}')"
        )
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


def _values(codes: np.ndarray, width: int) -> np.ndarray:
    """Map an array of ASCII strings of equal `width` to an int matrix of alphabet values."""
    raw = np.frombuffer(codes.astype(f"S{width}").tobytes(), dtype=np.uint8).reshape(-1, width)
    return _LOOKUP[raw]


def check_chars(bodies: np.ndarray) -> np.ndarray:
    """Vectorised `check_char` over an array of 17-character bodies (all valid)."""
    vals = _values(np.asarray(bodies, dtype="U17"), 17)
    total = (vals * WEIGHTS).sum(axis=1)
    idx = (31 - total % 31) % 31
    return np.array(list(ALPHABET))[idx]


def valid_mask(codes: np.ndarray) -> np.ndarray:
    """Vectorised `is_valid`: True where a code is well-formed with a correct check character."""
    codes = np.asarray(codes, dtype=object)
    out = np.zeros(len(codes), dtype=bool)
    if len(codes) == 0:
        return out
    lengths = np.fromiter((len(c) if isinstance(c, str) else -1 for c in codes), int, len(codes))
    ascii_ok = np.fromiter((isinstance(c, str) and c.isascii() for c in codes), bool, len(codes))
    cand = (lengths == 18) & ascii_ok
    if not cand.any():
        return out
    vals = _values(codes[cand].astype("U18"), 18)
    ok = (vals >= 0).all(axis=1)
    body = np.where(vals[:, :17] < 0, 0, vals[:, :17])
    expected = (31 - (body * WEIGHTS).sum(axis=1) % 31) % 31
    ok &= expected == vals[:, 17]
    out[cand] = ok
    return out


def valid_array(arr) -> np.ndarray:
    """`valid_mask` over an Arrow string array (missing cells: False), without a Python string
    per code: the codes of 18 bytes are copied into one 18-column byte matrix (a code of 18
    characters that are not all ASCII is longer than 18 bytes, and invalid either way)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset :][: len(arr) + 1]
    cand = np.diff(offsets) == 18
    if arr.null_count:
        cand &= arr.is_valid().to_numpy(zero_copy_only=False)
    out = np.zeros(len(arr), dtype=bool)
    if not cand.any():
        return out
    fixed = pc.cast(arr.filter(pa.array(cand)), pa.binary(18))
    raw = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    raw = raw[fixed.offset * 18 : (fixed.offset + len(fixed)) * 18].reshape(-1, 18)
    ok = np.empty(len(raw), dtype=bool)
    step = 1 << 18
    for i in range(0, len(raw), step):  # in slices: the int32 products stay small
        vals = _LOOKUP8[raw[i : i + step]]  # -1 outside the alphabet (non-ASCII included)
        body = np.maximum(vals[:, :17], 0).astype(np.int32)
        expected = (31 - (body @ _WEIGHTS32) % 31) % 31
        ok[i : i + step] = (vals >= 0).all(axis=1) & (expected == vals[:, 17])
    out[cand] = ok
    return out
