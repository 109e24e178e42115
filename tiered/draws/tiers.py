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
    out = frame.copy()
    out["own_tier"] = out["tier"]
    if imports["uscc"].is_unique:  # one hash lookup for both columns (a million rows: fast)
        got, source = _lookup(out["uscc"], imports)
    else:  # as before: `map` refuses an ambiguous import
        given = imports.set_index("uscc")
        got, source = out["uscc"].map(given["tier"]), out["uscc"].map(given["source"])
    out["tier"] = got.where(got.notna(), out["tier"])
    out["tier_source"] = source.fillna(OWN)
    return out


def _lookup(uscc: pd.Series, imports: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(tier, source) of each uscc's import (NaN without one), as `Series.map` gives them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        keys = pa.array(uscc.to_numpy(dtype=object), type=pa.string())
        known = pa.array(imports["uscc"].to_numpy(dtype=object), type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        given = imports.set_index("uscc")
        return uscc.map(given["tier"]), uscc.map(given["source"])
    pos = pc.index_in(keys, value_set=known).to_numpy(zero_copy_only=False)
    hit = ~np.isnan(pos) if pos.dtype.kind == "f" else np.ones(len(pos), bool)
    rows = np.where(hit, np.nan_to_num(pos), 0).astype(np.int64)

    def take(column: str) -> pd.Series:
        values = imports[column].to_numpy(dtype=object)
        out = values[rows] if len(values) else np.full(len(rows), np.nan, object)
        out[~hit] = np.nan
        return pd.Series(out, index=uscc.index, dtype=object)

    return take("tier"), take("source")


def stratum_sources(frame: pd.DataFrame) -> dict[tuple[str, str], dict[str, int]]:
    """(sector, tier) -> {tier source: entities}; every source is the score without imports."""
    if "tier_source" not in frame.columns:
        counts = frame.groupby(["sector", "tier"], observed=True).size()
        return {k: {OWN: int(v)} for k, v in counts.items()}
    counts = frame.groupby(["sector", "tier", "tier_source"], observed=True).size()
    out: dict[tuple[str, str], dict[str, int]] = {}
    for (sector, tier, source), n in counts.items():
        out.setdefault((sector, tier), {})[source] = int(n)
    return out
