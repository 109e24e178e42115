"""Scoring hand-made tables in tests: `Scorer` over `prepare(...)` of the frames."""

from __future__ import annotations

import pandas as pd

from scoring import Scorer, ScoringConfig, prepare


def score_tables(
    entities: pd.DataFrame,
    records: pd.DataFrame | None,
    inspections: pd.DataFrame | None,
    as_of: pd.Timestamp | str,
    config: ScoringConfig | None = None,
    **params,
) -> pd.DataFrame:
    """The scores frame of the tables as of `as_of` (`params`: the Scorer's, e.g. lang)."""
    prepared = prepare(entities, records, inspections)
    return Scorer(config, **params).fit(prepared, as_of).result_.frame
