"""Which tier a draw uses: an imported classification as given, the product's own score beside it.

A bureau often draws on SAMR's (or the province's) credit-risk classification as given. When the
workspace has a `tiers` table, an entity's tier in a draw is its latest imported tier dated
before the draw's first day and no older than `imported_tiers.max_age_days`; the product's own
score fills in the entities without one. The frame then carries `tier_source` (the imported
source, or `score`) and `own_tier` (the score's tier, shown beside the given one), and each
stratum of the manifest says how many of its entities came from which source.
"""

from __future__ import annotations

import pandas as pd

OWN = "score"


def usable_imports(tiers: pd.DataFrame | None, start: pd.Timestamp, max_age_days: int):
    """uscc, tier, source of the imported tiers a draw starting at `start` may use."""
    if tiers is None or not len(tiers):
        return None
    date = pd.to_datetime(tiers["date"])
    fresh = (date < start) & (date >= start - pd.Timedelta(days=max_age_days))
    use = tiers[fresh]
    return use[["uscc", "tier", "source"]] if len(use) else None


def apply_imports(frame: pd.DataFrame, imports: pd.DataFrame | None) -> pd.DataFrame:
    """`frame` (with the score's `tier`) using the imported tier where there is one."""
    if imports is None:
        return frame
    given = imports.set_index("uscc")
    out = frame.copy()
    out["own_tier"] = out["tier"]
    got = out["uscc"].map(given["tier"])
    out["tier"] = got.where(got.notna(), out["tier"])
    out["tier_source"] = out["uscc"].map(given["source"]).fillna(OWN)
    return out


def stratum_sources(frame: pd.DataFrame) -> dict[tuple[str, str], dict[str, int]]:
    """(sector, tier) -> {tier source: entities}; every source is the score without imports."""
    if "tier_source" not in frame.columns:
        counts = frame.groupby(["sector", "tier"]).size()
        return {k: {OWN: int(v)} for k, v in counts.items()}
    counts = frame.groupby(["sector", "tier", "tier_source"]).size()
    out: dict[tuple[str, str], dict[str, int]] = {}
    for (sector, tier, source), n in counts.items():
        out.setdefault((sector, tier), {})[source] = int(n)
    return out
