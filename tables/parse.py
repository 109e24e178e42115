"""Parsing cells and closed vocabularies, one value at a time.

These are the definitions: `tables.check` applies them to each distinct value of a column (a
million-row date column holds about a thousand distinct dates), so what a cell means is written
once, here, and the check stays vectorised.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tables.spec import (
    DEFAULT_RECORD_KINDS,
    DEFAULT_SECTORS,
    FIXED_VOCABULARIES,
    KIND_LABELS,
    RESULT_CATEGORIES,
    SECTOR_LABELS,
    VALUE_ALIASES,
    VALUE_PATTERNS,
)


@dataclass(frozen=True)
class Rules:
    """What the values may be: from the workspace config."""

    sectors: tuple[str, ...] = DEFAULT_SECTORS
    sector_labels: dict[str, str] = field(default_factory=dict)
    record_kinds: tuple[str, ...] = DEFAULT_RECORD_KINDS
    check_digit: bool = True
    accept_bad_check_digit: bool = False
    today: dt.date | None = None  # dates after this are rejected; None means the real today
    category_labels: dict[str, str] = field(default_factory=dict)  # a bureau's own labels
    # A file's own spellings of coded values: vocabulary -> {their value: code}; win over built-ins.
    values: dict[str, dict[str, str]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- parsers

_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# An Excel serial day number, perhaps with a time part (45292.75 = 2024-01-01 18:00). Five
# digits only: a bare year such as 2024 is not a date (as a serial it would be 1905-07-16).
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates as Chinese exports write them; return (datetime64 series, malformed mask).

    Accepted: 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105, an Excel serial number,
    each optionally followed by a time. Missing values are NaT and not malformed.
    """
    s = s.astype(object)
    present = s.notna()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if not present.any():
        return out, pd.Series(False, index=s.index)
    text = s[present].astype(str)  # callers pass cells already stripped by _clean_text
    fast = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    rest = fast.isna()
    if rest.any():
        t = text[rest]
        parts = t.str.extract(_YMD)
        compact = t.str.extract(_COMPACT)
        parts = parts.fillna(compact)
        ok = parts.notna().all(axis=1)
        parsed = pd.to_datetime(
            {
                "year": parts[0].where(ok, "1970").astype(int),
                "month": parts[1].where(ok, "1").astype(int),
                "day": parts[2].where(ok, "1").astype(int),
            },
            errors="coerce",
        ).where(ok)
        serial = t.str.match(_SERIAL) & ~ok
        if serial.any():
            days = np.floor(t[serial].astype(float))  # the day; a time part is not a date
            parsed[serial] = _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
        fast[rest] = parsed
    out[present] = fast.astype("datetime64[ns]")
    bad = pd.Series(False, index=s.index)
    bad[present] = fast.isna().to_numpy()
    return out, bad


_TRUE = {"true", "1", "是", "yes", "y", "t", "1.0", "有"}
_FALSE = {"false", "0", "否", "no", "n", "f", "0.0", "无"}


def parse_bools(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    low = s.astype(object).astype(str).str.strip().str.lower().where(s.notna(), None)
    true = low.isin(_TRUE)
    false = low.isin(_FALSE)
    bad = low.notna() & ~true & ~false
    return true.astype(bool), bad


def parse_numbers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = s.astype(object).where(s.notna(), None)
    cleaned = (
        text.astype(str).str.replace(",", "", regex=False).str.strip().where(text.notna(), None)
    )
    num = pd.to_numeric(cleaned, errors="coerce").astype(float)
    bad = cleaned.notna() & ~np.isfinite(num)  # "inf" and "nan" parse, but are not amounts
    return num.where(~bad), bad


# ----------------------------------------------------------------------------- vocabularies


VOCABULARIES: tuple[str, ...] = ("sector", "kind", *FIXED_VOCABULARIES)


def vocabulary_codes(name: str, rules: Rules) -> tuple[str, ...]:
    """The codes a vocabulary allows (KeyError for an unknown vocabulary)."""
    if name == "sector":
        return tuple(rules.sectors)
    if name == "kind":
        return tuple(rules.record_kinds)
    return tuple(FIXED_VOCABULARIES[name])


def vocabulary(name: str, rules: Rules) -> dict[str, str]:
    """Every accepted spelling (lower-cased) -> code, for a closed list of values; the
    workspace's own spellings (`values` in config) win over the built-in ones."""
    out = _builtin_vocabulary(name, rules)
    out.update({k.strip().lower(): v for k, v in rules.values.get(name, {}).items()})
    return out


def _builtin_vocabulary(name: str, rules: Rules) -> dict[str, str]:
    if name == "sector":
        labels = {**SECTOR_LABELS, **rules.sector_labels}
        codes = {c: labels.get(c, c) for c in rules.sectors}
    elif name == "kind":
        codes = {c: KIND_LABELS.get(c, c) for c in rules.record_kinds}
    elif name == "category":
        out = {c.lower(): c for c in RESULT_CATEGORIES}
        out.update({label.lower(): c for c, label in rules.category_labels.items()})
        for c, label in RESULT_CATEGORIES.items():
            out.setdefault(label.lower(), c)
        for k, v in VALUE_ALIASES["category"].items():
            out.setdefault(k.lower(), v)
        return out
    else:
        codes = FIXED_VOCABULARIES[name]
    out = {c.lower(): c for c in codes}
    out.update({label.lower(): c for c, label in codes.items()})
    out.update({k.lower(): v for k, v in VALUE_ALIASES.get(name, {}).items() if v in codes})
    return out


def lookup(vocab: dict[str, str], name: str | None, value: str) -> str | None:
    """The code for one spelling: exact (case-folded) first, then a registry fragment."""
    code = vocab.get(value.lower())
    if code is None and name in VALUE_PATTERNS:
        text = unicodedata.normalize("NFKC", value)
        code = next((c for frag, c in VALUE_PATTERNS[name] if frag in text), None)
    return code


def allowed(name: str, rules: Rules) -> str:
    return ", ".join(vocabulary_codes(name, rules))


def fold_id(text: object) -> str:
    """A code as it compares (inspector ids: `hd0077`, `HD0077` and full-width `ＨＤ００７７` are
    one id): NFKC-normalised, stripped and case-folded. Every comparison of such ids uses it."""
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def parse_choices(v: object, vocab: dict[str, str]) -> tuple[str | None, str | None]:
    """A `;`-joined list of codes: (the codes, de-duplicated and joined by `;`, or None; the
    first unknown part, or the cell itself when it names no code)."""
    if v is None:
        return None, None
    parts = [p.strip() for p in re.split(r"[;；,，、]", str(v)) if p.strip()]
    codes = [vocab.get(p.lower()) for p in parts]
    unknown = [p for p, k in zip(parts, codes, strict=True) if k is None]
    if unknown or not parts:
        return None, unknown[0] if unknown else str(v)
    return ";".join(dict.fromkeys(codes)), None
