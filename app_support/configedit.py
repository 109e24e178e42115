"""The app's config edits as YAML fragments; saving them is `tiered.configversion`'s (one
config-change path for the app and `tiered optimise --apply`)."""

from __future__ import annotations

from typing import Any

from tiered.config import Config
from tiered.configversion import deep_merge, preview, save_version

__all__ = ["deep_merge", "fragment", "preview", "save_version"]


def fragment(
    current: Config,
    thresholds: dict[str, float] | None = None,
    points: dict[str, float] | None = None,
    tier_rates: dict[str, float] | None = None,
    sector_multipliers: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The YAML fragment holding only the edited values that differ from `current`."""
    out: dict[str, Any] = {}
    sc, sa = current.scoring, current.sampling
    th = {
        k: float(v)
        for k, v in (thresholds or {}).items()
        if abs(float(v) - getattr(sc.thresholds, k)) > 1e-9
    }
    if th:
        out.setdefault("scoring", {})["thresholds"] = th
    pts = {
        k: {"points": float(v)}
        for k, v in (points or {}).items()
        if k in sc.indicators and abs(float(v) - sc.indicators[k].points) > 1e-9
    }
    if pts:
        out.setdefault("scoring", {})["indicators"] = pts
    tr = {
        k: float(v)
        for k, v in (tier_rates or {}).items()
        if abs(float(v) - sa.tier_rates.get(k, -1.0)) > 1e-12
    }
    if tr:
        out.setdefault("sampling", {})["tier_rates"] = tr
    sm = {
        k: float(v)
        for k, v in (sector_multipliers or {}).items()
        if abs(float(v) - sa.sector_multipliers.get(k, sa.default_multiplier)) > 1e-12
    }
    if sm:
        out.setdefault("sampling", {})["sector_multipliers"] = sm
    return out
