"""`indicators.prepare` on tables whose text is held in Arrow (`pd.ArrowDtype`, as a score reads
the validated cache) gives the very arrays it gives on the same tables with Python strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from scoring import ScoringConfig, indicators, prepare
from tiered.demo import build as tiered_demo


def _in_arrow(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    table = pa.Table.from_pandas(df[[c for c in columns if c in df.columns]], preserve_index=False)
    return table.to_pandas(
        types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_string(t) else None
    )


@pytest.fixture(scope="module")
def tables():
    t = tiered_demo.generate(2000, seed=4, end="2026-10")
    ent = t["entities"].copy()
    ent.loc[ent.index[::7], "status"] = None  # missing status counts as active
    ent.loc[ent.index[::11], "legal_representative"] = None
    rec = t["records"].copy()
    rec.loc[rec.index[::13], "uscc"] = "91630000MA0UNKNOWN"  # not an entity: dropped
    return ent, rec, t["inspections"]


def _rows(prep) -> dict:
    out = {k: (r.ent, r.day, r.end, r.sev, r.grade) for k, r in prep.rows.items()}
    i = prep.inspections
    out["_inspections"] = (i.ent, i.day, i.end, i.flag)
    return out


def test_same_prepared_arrays(tables) -> None:
    ent, rec, insp = tables
    a = prepare(ent, rec, insp)
    b = prepare(
        _in_arrow(ent, indicators.ENTITY_COLUMNS), _in_arrow(rec, indicators.RECORD_COLUMNS), insp
    )
    assert a.index.equals(b.index) and b.index.dtype == object
    for name in ("reg_day", "capital", "etype", "group", "active"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    ra, rb = _rows(a), _rows(b)
    assert sorted(ra) == sorted(rb)
    for k in ra:
        for x, y in zip(ra[k], rb[k], strict=True):
            assert (x is None and y is None) or (np.array_equal(x, y) and x.dtype == y.dtype), k
    config = ScoringConfig()
    pd.testing.assert_frame_equal(
        indicators.compute(a, "2026-11-01", config),
        indicators.compute(b, "2026-11-01", config),
        check_exact=True,
    )


def test_records_codes_read_dictionary_encoded(tables, tmp_path) -> None:
    """A score reads the records' short codes (`RECORD_CODES`) dictionary-encoded from the
    validated cache (categoricals, no text per row): the same prepared arrays and indicators."""
    import pyarrow.parquet as pq

    from tiered.workspace import _parquet, _text_in_arrow

    ent, rec, insp = tables
    rec = rec.copy()
    rec.loc[rec.index[::17], "severity"] = None  # missing codes stay missing
    rec.loc[rec.index[::19], "kind"] = None
    path = tmp_path / "records.parquet"
    pq.write_table(pa.Table.from_pandas(rec, preserve_index=False), path, row_group_size=500)
    text = _text_in_arrow(_parquet(path, indicators.RECORD_COLUMNS))
    codes = _text_in_arrow(_parquet(path, indicators.RECORD_COLUMNS, indicators.RECORD_CODES))
    assert all(isinstance(codes[c].dtype, pd.CategoricalDtype) for c in indicators.RECORD_CODES)
    entities = _in_arrow(ent, indicators.ENTITY_COLUMNS)
    a, b = prepare(entities, text, insp), prepare(entities, codes, insp)
    ra, rb = _rows(a), _rows(b)
    assert sorted(ra) == sorted(rb)
    for k in ra:
        for x, y in zip(ra[k], rb[k], strict=True):
            assert (x is None and y is None) or (np.array_equal(x, y) and x.dtype == y.dtype), k
    config = ScoringConfig()
    pd.testing.assert_frame_equal(
        indicators.compute(a, "2026-11-01", config),
        indicators.compute(b, "2026-11-01", config),
        check_exact=True,
    )
