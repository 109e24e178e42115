"""The staff page's preview: each stratum's eligible count and quota before anything is drawn.

Uses the same library calls as the draw (`sampling.plan`) on the frame that
`tiered.draws.draw.build_frame` makes. With the seed entered, the quotas are exactly the ones
the draw will use (systematic rounding is seeded); without one, the expected (fractional)
targets are shown.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pandas as pd

from sampling.config import SamplingConfig
from sampling.draw import AUTO_SEED
from sampling.plan import mark_eligibility, plan_quotas
from tiered.layout import Layout, Seed

_AUTO_KEY = "_draw_seed_auto"  # where the page keeps the digits `auto` was resolved to


def preview(
    frame: pd.DataFrame, month: str, config: SamplingConfig, seed: Seed | str | None
) -> pd.DataFrame:
    """Per stratum: eligible, must_inspect, pool, annual_rate, target, quota, drawn.

    `seed` is parsed by `Seed` exactly as the draw parses it (stripped), so the quotas shown are
    the draw's; pass `resolve_seed`'s result for `auto`, which is resolved once, not here."""
    marked = mark_eligibility(frame, month, config)
    text = Seed.parse(seed).text if seed is not None and str(seed).strip() else "preview"
    st = plan_quotas(marked, config, text)
    cols = ["sector", "tier", "eligible", "must_inspect", "pool", "annual_rate", "target"]
    return st[cols + ["quota", "drawn", "inclusion_probability"]]


def expected_draws(ws, month: str, scores: pd.DataFrame, config: SamplingConfig) -> float:
    """The month's expected inspections under the draw's own rules: each stratum's eligible
    entities (after the cooldown and earlier draws) x annual rate / 12, plus must-inspect ones,
    within the monthly budget. This is the plan the leader's chart compares the draws with, so a
    month drawn as planned meets the line."""
    from tiered.draws.draw import build_frame

    frame, _ = build_frame(ws, month, scores)
    pv = preview(frame, month, config, "")
    return float(pv["target"].sum() + pv["must_inspect"].sum())


def resolve_seed(text: str | None, memo: MutableMapping[str, Any]) -> Seed | None:
    """The seed the draw will use, for the preview and the draw alike: stripped, and `auto`
    resolved once to OS digits kept in `memo` (the page's session state), so the quotas shown
    are the quotas drawn. None while the box is blank."""
    raw = (text or "").strip()
    if not raw:
        return None
    if raw.lower() != AUTO_SEED:
        memo.pop(_AUTO_KEY, None)  # typing `auto` again later draws new digits
        return Seed.parse(raw)
    if not memo.get(_AUTO_KEY):
        memo[_AUTO_KEY] = Seed.parse(raw).text
    return Seed(memo[_AUTO_KEY])


def draw_dir(ws: Path, month: str) -> Path:
    return Layout.of(ws).draw_dir(month)


YES, NO = ("是", "否")


def entered_results(edited: pd.DataFrame) -> pd.DataFrame:
    """Every row of the staff's results table in which anything was typed, in the results
    file's columns, so that each is accepted or rejected with its reason by the import (a row
    without a date is a rejected row, never a silently dropped one); `found_problem` may be
    是/否 or yes/no."""
    fp = edited["found_problem"].map(
        lambda v: {YES: "true", NO: "false", "yes": "true", "no": "false"}.get(v)
    )
    text = [edited[c].fillna("").astype(str).str.strip() != "" for c in ("item", "result")]
    touched = edited["date"].notna() | fp.notna() | text[0] | text[1]
    out = edited.loc[touched, ["uscc", "date", "item", "result"]].copy()
    out.insert(2, "found_problem", fp[touched].fillna(""))
    dates = pd.to_datetime(out["date"], errors="coerce")
    out["date"] = dates.dt.strftime("%Y-%m-%d").fillna("")
    out[["item", "result"]] = out[["item", "result"]].fillna("")
    return out[["uscc", "date", "found_problem", "item", "result"]].reset_index(drop=True)


# The rate tables' own column keys: the code column is never a display label, so no language's
# label ("tier", "sector" in English) can overwrite it. Labels go through column_config only.
CODE, LABEL, VALUE = "_code", "_label", "_value"


def rate_tables(cfg, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tier rates, sector multipliers) as editor tables keyed by code: CODE, LABEL, VALUE."""
    from app_support import i18n
    from scoring.config import TIERS

    sa = cfg.sampling
    tiers = pd.DataFrame(
        {
            CODE: list(TIERS),
            LABEL: [i18n.tier_label(t, lang) for t in TIERS],
            VALUE: [float(sa.tier_rates.get(t, 0.0)) for t in TIERS],
        }
    )
    sectors = pd.DataFrame(
        {
            CODE: list(cfg.sectors),
            LABEL: [i18n.sector_label(s, lang, cfg.sector_labels) for s in cfg.sectors],
            VALUE: [
                float(sa.sector_multipliers.get(s, sa.default_multiplier)) for s in cfg.sectors
            ],
        }
    )
    return tiers, sectors


def edited_values(edited: pd.DataFrame) -> dict[str, float]:
    """An edited rate table back to {code: value}, keyed by the codes it was built with."""
    return dict(zip(edited[CODE].astype(str), edited[VALUE].astype(float), strict=True))
