"""Thresholds <-> tiers, tuning helpers and score stability (PSI).

A tier comes from the score by three minimum scores (A >= a, B >= b, C >= c, else D), then an
override may make it worse ("at best C"), never better. Re-tiering is one `np.searchsorted`, so
an analyst can move thresholds over a million scores interactively.
PSI follows optbinning's monitoring bands: < 0.1 stable, 0.1-0.25 watch, >= 0.25 shift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from scoring.config import TIERS, ScoringConfigError, ThresholdConfig

TIER_LABELS: dict[str, str] = {
    "A": "信用风险低",
    "B": "信用风险一般",
    "C": "信用风险较高",
    "D": "信用风险高",
}
_LETTERS = np.array(TIERS)

ThresholdsLike = ThresholdConfig | Mapping[str, float] | Sequence[float]


def as_thresholds(thresholds: ThresholdsLike) -> ThresholdConfig:
    """Accept a ThresholdConfig, {"a","b","c"} (or {"A","B","C"}) or (a, b, c)."""
    if isinstance(thresholds, ThresholdConfig):
        return thresholds
    if isinstance(thresholds, Mapping):
        low = {str(k).lower(): float(v) for k, v in thresholds.items()}
        return ThresholdConfig(low["a"], low["b"], low["c"])
    a, b, c = (float(x) for x in thresholds)
    return ThresholdConfig(a, b, c)


def tier_codes(
    scores: np.ndarray | pd.Series, thresholds: ThresholdsLike, at_best: np.ndarray | None = None
) -> np.ndarray:
    """Tier codes 0=A .. 3=D; `at_best` (codes) makes a tier no better than it."""
    t = as_thresholds(thresholds)
    edges = np.array([t.c, t.b, t.a], dtype=np.float64)
    codes = (3 - np.searchsorted(edges, np.asarray(scores, np.float64), side="right")).astype(
        np.int8
    )
    if at_best is not None:
        np.maximum(codes, at_best, out=codes)
    return codes


def assign_tiers(
    scores: np.ndarray | pd.Series, thresholds: ThresholdsLike, at_best: np.ndarray | None = None
) -> np.ndarray:
    """Tier letters ("A".."D") for scores; vectorised (1M scores well under 200 ms)."""
    return _LETTERS[tier_codes(scores, thresholds, at_best)]


def tier_mix(
    scores: np.ndarray | pd.Series, thresholds: ThresholdsLike, at_best: np.ndarray | None = None
) -> pd.DataFrame:
    """Count and share of each tier (index A-D) for a set of thresholds."""
    codes = tier_codes(scores, thresholds, at_best)
    counts = np.bincount(codes, minlength=4)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame(
        {"count": counts, "share": counts / total, "label": [TIER_LABELS[x] for x in TIERS]},
        index=pd.Index(TIERS, name="tier"),
    )


class TargetMixError(ScoringConfigError):
    """A target tier mix that cannot be met: negative, all zero, or not summing to 100%.
    A `ScoringConfigError`, so the CLI and the app show it as one line."""


MIX_TOLERANCE = 0.005  # shares may sum to 99.5%-100.5% (rounded published mixes)


def check_target_mix(target_mix: Mapping[str, float]) -> np.ndarray:
    """The A-D shares of a target mix, as given; raise `TargetMixError` unless every share is
    in [0, 1] and they sum to 1 (within `MIX_TOLERANCE`). Never rescaled: a mix summing to 110%
    is a typing error, and rescaling it would silently tune to a mix nobody asked for."""
    unknown = sorted(set(map(str, target_mix)) - set(TIERS))
    if unknown:
        raise TargetMixError(f"目标分布含未知等级 {unknown[0]!r} (unknown tier; use A, B, C, D)")
    shares = np.array([float(target_mix.get(x, 0.0)) for x in TIERS])
    if not np.isfinite(shares).all() or (shares < 0).any() or (shares > 1).any():
        raise TargetMixError("目标分布每级须在 0% 与 100% 之间 (each share must be 0%-100%)")
    total = float(shares.sum())
    if total == 0:
        raise TargetMixError("目标分布全为零，请填写各级占比 (target mix is all zero)")
    if abs(total - 1.0) > MIX_TOLERANCE:
        raise TargetMixError(
            f"目标分布合计 {total:.1%}，应为 100% (target mix sums to {total:.1%}, not 100%)"
        )
    return shares


def thresholds_for_mix(
    scores: np.ndarray | pd.Series,
    target_mix: Mapping[str, float],
    at_best: np.ndarray | None = None,
) -> ThresholdConfig:
    """Thresholds whose tier mix is as close as the scores allow to `target_mix` (A-D shares
    summing to 1; see `check_target_mix`).

    Entities forced into a tier by an override count towards that tier's share, so the
    thresholds only place the remaining entities.
    """
    s = np.asarray(scores, np.float64)
    n = len(s)
    if n == 0:
        raise TargetMixError("没有可用的分数 (no scores to tune thresholds on)")
    shares = check_target_mix(target_mix)
    forced = np.zeros(n, np.int8) if at_best is None else np.asarray(at_best, np.int8)
    out = []
    for level in (1, 2, 3):  # boundary below A, below B, below C
        want = int(round(shares[level:].sum() * n))
        free = np.sort(s[forced < level])
        m = want - int((forced >= level).sum())
        if len(free) == 0 or m <= 0:
            out.append(free[0] if len(free) else 0.0)
        elif m >= len(free):
            out.append(free[-1] + 0.1)
        else:
            out.append(free[m])
    a, b, c = out
    b = max(b, c)
    a = max(a, b)
    return ThresholdConfig(float(a), float(b), float(c))


def psi(
    expected_scores: np.ndarray | pd.Series, actual_scores: np.ndarray | pd.Series, bins: int = 10
) -> float:
    """Population stability index of `actual` against `expected`, on expected's quantile bins."""
    e = np.asarray(expected_scores, np.float64)
    a = np.asarray(actual_scores, np.float64)
    if len(e) == 0 or len(a) == 0:
        raise ValueError("PSI 需要两组非空分数 (PSI needs two non-empty score sets)")
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1))[1:-1])
    pe = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1) / len(e)
    pa = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1) / len(a)
    pe = np.clip(pe, 1e-6, None)
    pa = np.clip(pa, 1e-6, None)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


def psi_band(value: float) -> str:
    """Band of a PSI value: "stable" (< 0.1), "watch" (0.1-0.25) or "shift" (>= 0.25)."""
    if value < 0.1:
        return "stable"
    return "watch" if value < 0.25 else "shift"
