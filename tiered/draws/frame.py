"""The draw's frame from Arrow columns: who a draw covers, their tier, their last inspection.

At a million entities, building the frame from pandas objects was most of a draw: every cached
column of `entities` turned into Python strings, hash joins by uscc for the tiers, the last
inspection and the imported tiers, and two sorts by uscc (the frame digest, `public/frame.csv`).
Here only the columns a draw needs are read from the validated cache (`Tables.arrow`), the
covered entities are sorted by uscc once (the frame comes in that order: a draw does not depend
on row order) and then line up with the score run's file, written in that order, without a
join. Short codes (sector, region, status, tiers, the tier's source) become categoricals for
the draw itself; `tiered.draws.draw.build_frame` gives other callers plain text, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sampling.draw import uscc_order
from scoring.indicators import covers, to_days
from tiered.draws.tiers import OWN, apply_imports, usable_imports
from tiered.errors import UsageError

ENTITY_COLUMNS = ("uscc", "name", "sector", "region", "status")
SHORT = ("sector", "region", "status")  # read dictionary-encoded
NAT = np.iinfo(np.int64).min


def arrow_table(ws, name: str, columns: Sequence[str], dictionary: Sequence[str] = ()) -> pa.Table:
    """`ws`'s table `name` as Arrow (the columns it has), from the cache file when unread."""
    tables = ws.tables
    if hasattr(tables, "arrow"):
        return tables.arrow(name, columns, dictionary).unify_dictionaries().combine_chunks()
    df = tables[name]
    return pa.Table.from_pandas(df[[c for c in columns if c in df]], preserve_index=False)


def _array(x: pa.Array | pa.ChunkedArray) -> pa.Array:
    return x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x


def is_missing_or(column: pa.Array | pa.ChunkedArray, value: str) -> np.ndarray:
    """Per row: the text is missing or equals `value` (plain or dictionary-encoded text)."""
    arr = _array(column)
    if pa.types.is_dictionary(arr.type):
        match = np.append(pc.equal(arr.dictionary, value).to_numpy(zero_copy_only=False), True)
        idx = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False)
        return match[np.where(idx < 0, len(match) - 1, idx)]
    hit = pc.fill_null(pc.equal(arr, value), False).to_numpy(zero_copy_only=False)
    return hit | pc.is_null(arr).to_numpy(zero_copy_only=False)


def text(values: pd.Series | np.ndarray | Sequence) -> pa.Array:
    """Identifiers as an Arrow string array (numbers or other objects as their text)."""
    arr = np.asarray(values, dtype=object)
    try:
        return pa.array(arr, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([str(v) for v in arr], type=pa.string())


def categorical(arr: pa.Array, fill: str | None = None) -> pd.Categorical:
    """Text (plain or dictionary-encoded) as a pandas Categorical with categories in text order;
    missing values become `fill` when given."""
    arr = _array(arr)
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    cats = arr.dictionary.to_pylist()
    codes = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    if fill is not None and (codes < 0).any():
        if fill not in cats:
            cats.append(fill)
        codes[codes < 0] = cats.index(fill)
    order = sorted(range(len(cats)), key=cats.__getitem__)
    used = np.zeros(len(cats), bool)
    used[codes[codes >= 0]] = True
    keep = [i for i in order if used[i]]
    remap = np.full(len(cats) + 1, -1, dtype=np.int64)  # the last slot: code -1, missing
    remap[keep] = np.arange(len(keep))
    return pd.Categorical.from_codes(remap[codes], categories=[cats[i] for i in keep])


@dataclass
class Covered:
    """The covered entities sorted by uscc: Arrow ids and the table's other columns."""

    ids: pa.Array
    table: pa.Table


def covered(ws, start: pd.Timestamp, extra: Sequence[str] = ()) -> Covered:
    """Entities a score as of `start` covers (`scoring.indicators.covers`), sorted by uscc."""
    t = arrow_table(ws, "entities", [*ENTITY_COLUMNS, "registered_on", *extra], SHORT)
    n = t.num_rows
    active = np.ones(n, bool)
    if "status" in t.column_names:
        active = is_missing_or(t["status"], "active")
    if "registered_on" in t.column_names:
        reg = to_days(pd.Series(t["registered_on"].to_numpy(zero_copy_only=False)))
    else:
        reg = to_days(pd.Series(np.full(n, np.datetime64("NaT"), "datetime64[ns]")))
    rows = np.flatnonzero(covers(np.asarray(active, bool), reg, start))
    ids = _array(t["uscc"]).take(pa.array(rows))
    if not pa.types.is_string(ids.type):
        ids = text(ids.to_pylist())
    order = uscc_order(ids)
    if not np.array_equal(order, np.arange(len(order))):
        ids = ids.take(pa.array(order))
    rest = t.drop_columns([c for c in ("uscc", "registered_on") if c in t.column_names])
    return Covered(ids, rest.take(pa.array(rows[order])))


def tier_table(scores: pd.DataFrame | pa.Table) -> pa.Table:
    """(uscc, tier) of a scores frame as Arrow text."""
    if isinstance(scores, pa.Table):
        return scores.select(["uscc", "tier"]).combine_chunks()
    tier = scores["tier"].to_numpy(dtype=object)
    return pa.table({"uscc": text(scores["uscc"]), "tier": pa.array(tier, from_pandas=True)})


def line_up(ids: pa.Array, keys: pa.Array) -> np.ndarray | None:
    """Row of `keys` for each of `ids` (-1 where absent); None when they are the same array."""
    keys = _array(keys)
    if len(ids) == len(keys) and (not len(ids) or pc.all(pc.equal(ids, keys)).as_py()):
        return None
    pos = pc.index_in(ids, value_set=keys)
    return pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _taken(values: pa.Array, pos: np.ndarray | None) -> pa.Array:
    values = _array(values)
    if pos is None:
        return values
    return values.take(pa.array(np.where(pos < 0, 0, pos), mask=pos < 0))


def entity_frame(
    ws, start: pd.Timestamp, tiers: pa.Table, imports_on: pd.Timestamp, extra: Sequence[str] = ()
) -> tuple[pd.DataFrame, pa.Array, pd.DataFrame]:
    """(frame: uscc, name, sector, region, status, tier [, own_tier, tier_source], its uscc as
    Arrow, the covered entities' `extra` columns) sorted by uscc; codes as categoricals."""
    cov = covered(ws, start, extra)
    pos = line_up(cov.ids, tiers["uscc"])
    tier = _taken(tiers["tier"], pos)
    if tier.null_count:
        first = cov.ids[int(np.flatnonzero(pc.is_null(tier).to_numpy(zero_copy_only=False))[0])]
        raise UsageError(
            f"{tier.null_count} 个存续主体没有信用风险等级（例如 {first}）："
            "请先运行 tiered score (active entities without a tier: score them first)"
        )
    t = cov.table
    n = len(cov.ids)
    columns: dict[str, object] = {"uscc": cov.ids.to_numpy(zero_copy_only=False)}
    for c in ("name", "sector", "region", "status"):
        col = t[c] if c in t.column_names else pa.nulls(n, pa.string())
        if c == "name":  # unique text: kept in Arrow (only the drawn rows become strings)
            columns[c] = pd.arrays.ArrowExtensionArray(pa.chunked_array([_array(col)]))
        else:
            columns[c] = categorical(col, fill="active" if c == "status" else None)
    columns.update(_tiers_with_imports(ws, cov.ids, tier, imports_on))
    frame = pd.DataFrame(columns)
    others = pd.DataFrame(
        {c: t[c].to_numpy(zero_copy_only=False) for c in extra if c in t.column_names}
    )
    others.insert(0, "uscc", columns["uscc"])
    return frame, cov.ids, others


def _tiers_with_imports(ws, ids: pa.Array, tier: pa.Array, on: pd.Timestamp) -> dict:
    """tier (or, with imported tiers in force, tier, own_tier and tier_source) columns."""
    cfg = ws.config.imported_tiers
    if not cfg.enabled or "tiers" not in ws.tables:
        return {"tier": categorical(tier)}
    t = arrow_table(ws, "tiers", ["uscc", "tier", "source", "date"])
    date = t["date"].to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    lo = np.datetime64(on - pd.Timedelta(days=cfg.max_age_days), "ns")
    fresh = (date < np.datetime64(on, "ns")) & (date >= lo)
    if not fresh.any():
        return {"tier": categorical(tier)}
    use = t.filter(pa.array(fresh))
    if pc.count_distinct(use["uscc"]).as_py() != use.num_rows:  # as before: `map` refuses
        plain = pd.DataFrame({"uscc": ids.to_numpy(zero_copy_only=False), "tier": tier})
        apply_imports(plain, usable_imports(ws.tables["tiers"], on, cfg.max_age_days))
    pos = line_up(ids, use["uscc"])
    given, source = _taken(use["tier"], pos), _taken(use["source"], pos)
    return {
        "tier": categorical(pc.if_else(pc.is_valid(given), given, tier)),
        "own_tier": categorical(tier),
        "tier_source": categorical(pc.fill_null(source, OWN)),
    }


@dataclass
class History:
    """Inspections before a draw (planned ones, and earlier draws' lists from their first month):
    each entity's last one for the cooldown, its inspectors for the rotation."""

    uscc: pa.Array
    month: np.ndarray  # datetime64[ns]: the month's first day (inspections count by month)
    inspectors: np.ndarray  # object: ids joined by ';'
    actual: np.ndarray  # bool: a recorded inspection (beats a list's assignment that month)

    @classmethod
    def of(cls, ws, scheduled: pd.DataFrame, start: pd.Timestamp) -> History:
        parts = []
        if len(scheduled):
            parts.append(
                (
                    text(scheduled["uscc"]),
                    pd.to_datetime(scheduled["date"]).to_numpy().astype("datetime64[ns]"),
                    scheduled["inspectors"].to_numpy(dtype=object),
                    np.zeros(len(scheduled), bool),
                )
            )
        if "inspections" in ws.tables:
            t = arrow_table(ws, "inspections", ["uscc", "date", "inspectors", "type"])
            date = t["date"].to_numpy(zero_copy_only=False).astype("datetime64[ns]")
            keep = ~np.isnat(date) & (date < np.datetime64(start, "ns"))
            if "type" in t.column_names:  # planned only: other checks do not cool an entity
                keep &= is_missing_or(t["type"], "planned")
            t = t.filter(pa.array(keep))
            who = t["inspectors"] if "inspectors" in t.column_names else pa.nulls(t.num_rows)
            parts.append(
                (
                    _array(t["uscc"]) if pa.types.is_string(t["uscc"].type) else text(t["uscc"]),
                    date[keep].astype("datetime64[M]").astype("datetime64[ns]"),
                    np.asarray(pc.fill_null(who.cast(pa.string()), "").to_pylist(), dtype=object),
                    np.ones(t.num_rows, bool),
                )
            )
        if not parts:
            parts.append((pa.array([], pa.string()), np.zeros(0, "datetime64[ns]"),
                          np.zeros(0, object), np.zeros(0, bool)))  # fmt: skip
        return cls(
            pa.concat_arrays([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]),
        )

    def last_inspected(self, ids: pa.Array) -> np.ndarray:
        """Each of `ids`' last inspection month (NaT when never inspected)."""
        out = np.full(len(ids), NAT, dtype=np.int64)
        if len(self.uscc) and len(ids):
            uniq = pc.unique(self.uscc)
            code = pc.index_in(self.uscc, value_set=uniq).to_numpy(zero_copy_only=False)
            last = np.full(len(uniq), NAT, dtype=np.int64)
            np.maximum.at(last, code.astype(np.int64), self.month.view(np.int64))
            pos = pc.fill_null(pc.index_in(ids, value_set=uniq), -1).to_numpy(zero_copy_only=False)
            hit = pos >= 0
            out[hit] = last[pos[hit]]
        return out.view("datetime64[ns]")

    def previous(self, usccs: Iterable[str] | None = None) -> pd.DataFrame:
        """(uscc, inspector_id) of each entity's latest inspection (of `usccs` only, if given):
        within the latest month recorded inspections win over a list's assignment."""
        keep = np.ones(len(self.uscc), bool)
        if usccs is not None:
            wanted = text(sorted(set(map(str, usccs))))
            keep = pc.is_in(self.uscc, value_set=wanted).to_numpy(zero_copy_only=False)
        if not keep.any():
            return pd.DataFrame(
                {"uscc": pd.Series(dtype=object), "inspector_id": pd.Series(dtype=object)}
            )
        ev = pd.DataFrame(
            {
                "uscc": self.uscc.filter(pa.array(keep)).to_numpy(zero_copy_only=False),
                "inspectors": self.inspectors[keep],
                "date": self.month[keep],
                "actual": self.actual[keep],
            }
        )
        last = ev.groupby("uscc", as_index=False)["date"].max()
        latest = ev.merge(last.rename(columns={"date": "last"}), on="uscc")
        latest = latest[latest["date"] == latest["last"]]
        has_actual = latest.groupby("uscc")["actual"].transform("any")
        latest = latest[latest["actual"] | ~has_actual]
        ids = latest["inspectors"].astype(str).str.split(";")
        prev = pd.DataFrame({"uscc": latest["uscc"], "inspector_id": ids}).explode("inspector_id")
        prev["inspector_id"] = prev["inspector_id"].str.strip()
        prev = prev[prev["inspector_id"] != ""].drop_duplicates()
        return prev.sort_values(["uscc", "inspector_id"]).reset_index(drop=True)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its categoricals and Arrow text as text columns (what callers outside
    the draw get, and the drawn rows)."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object)
        elif isinstance(out[c].dtype, pd.ArrowDtype):
            out[c] = out[c].to_numpy(dtype=object, na_value=None)
    return out
