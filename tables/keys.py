"""Keys and references of a table being checked: duplicated keys, unknown or rejected referenced
keys. Found over Arrow columns; messages are written for the (few) failing rows only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from tables import columns as C
from tables.parse import fold_id
from tables.spec import Table
from tables.summary import rows_text


def _folded(arr: pa.Array) -> pa.Array:
    return C.map_values(arr, fold_id)


def duplicate_failures(table: Table, key: str, typed: dict, rows: np.ndarray, fails) -> None:
    """A duplicated key is ambiguous: identical copies keep one, differing copies all go (so the
    result never depends on row order), and each message names every row to fix."""
    k = _folded(typed[key]) if table.column(key).ignore_case else typed[key]
    dup = C.duplicated(k)
    if not dup.any():
        return
    pos = np.flatnonzero(dup)  # only the duplicated rows: a few, even in 1M
    kd = pd.Series(C.pick(k, pos), index=pos, dtype=object)
    first = ~kd.duplicated(keep="first")  # every copy of a key is here: first in the table
    content = pd.DataFrame(
        {c.name: pd.Series(C.take(typed[c.name], pos), index=pos) for c in table.columns}
    ).astype(str)
    identical = content.groupby(kd).transform("nunique").max(axis=1) == 1
    row_lists = pd.Series(rows[pos], index=pos).groupby(kd).agg(lambda r: sorted(int(x) for x in r))
    text = pd.Series(None, index=pos, dtype=object)
    facts = pd.Series(None, index=pos, dtype=object)
    same_copy = np.zeros(len(dup), bool)
    differ = np.zeros(len(dup), bool)
    for i, v, kv in zip(pos, C.pick(typed[key], pos), kd, strict=True):
        r = row_lists[kv]
        if identical[i] and not first[i]:
            same_copy[i] = True
            text[i] = (
                f"重复行：与第 {r[0]} 行完全相同，已保留第 {r[0]} 行"
                f" (an identical copy of row {r[0]}, which is kept)"
            )
            facts[i] = {"problem": "duplicate_row", "value": v, "rows": r}
        elif not identical[i]:
            differ[i] = True
            text[i] = (
                f"{key} '{v}' 重复：第 {rows_text(r)} 行的 {key} 相同而内容不一致，均被"
                f"拒收；请保留正确的一行，改正或删除其余各行 (the same {key} in rows "
                f"{', '.join(map(str, r))} with different content: all are rejected; "
                "keep the right one, fix or delete the others)"
            )
            facts[i] = {"problem": "duplicate_key", "value": v, "rows": r}
    fails.add(same_copy, key, "{v}", text, facts)
    fails.add(differ, key, "{v}", text, facts)


def reference_failures(
    table: Table,
    col_name: str,
    target: str,
    typed: dict,
    known: object,
    refused: dict[str, pd.Series] | None,
    fails,
) -> None:
    """A referenced key that the referenced table does not have (or has only in rejected rows:
    then the message names those rows)."""
    ids = (
        C.text_array(np.asarray(known, dtype=object)) if not isinstance(known, pa.Array) else known
    )
    k = typed[col_name]
    if table.column(col_name).ignore_case:  # take the referenced table's spelling
        canon: dict[str, str] = {}
        for v in ids.to_pylist():
            canon.setdefault(fold_id(v), v)
        k = C.map_values(k, lambda v: canon.get(fold_id(v), v))
        typed[col_name] = k
    unknown = C.present(k) & ~C.is_in(k, ids)
    what = "检查对象名录库" if target == "entities" else "执法检查人员名录库"
    gone = (refused or {}).get(target)
    if gone is not None and len(gone) and unknown.any():
        hit = unknown & C.is_in(k, C.text_array(np.asarray(gone.index, dtype=object)))
        unknown &= ~hit
        if hit.any():
            idx = np.flatnonzero(hit)
            shown = pd.Series(None, index=idx, dtype=object)
            facts = pd.Series(None, index=idx, dtype=object)
            for i, v in zip(idx, C.pick(k, idx), strict=True):
                d = gone[v]
                facts[i] = {
                    "problem": "rejected_reference",
                    "value": v,
                    "refers_to": target,
                    "refers_rows": d["rows"],
                    "cause": d["cause"],
                }
                why = ("因代码重复", "duplicated") if d["cause"] == "duplicate" else ("", "")
                shown[i] = (
                    f"'{v}'（第 {rows_text(d['rows'])} 行）"
                    f" 在{what}中的行{why[0]}已被拒收，本行随之拒收；改正那一行即可"
                    f" (its {target} row was rejected{' as ' + why[1] if why[1] else ''},"
                    " so this row is too: fix that row)"
                )
            fails.add(hit, col_name, "{v}", shown, facts)
    fails.add(unknown, col_name, f"'{{v}}' 不在{what}中 (unknown in {target})", k)


def refused_keys(spec: Table, rej: pd.DataFrame, errs: list[dict], ok: pa.Array) -> pd.Series:
    """Keys of a table's rejected rows that no accepted row has: key -> {rows, cause}."""
    key = spec.key[0]
    if not len(rej) or key not in rej.columns:
        return pd.Series(dtype=object)
    col = C.clean(
        C.text_array(rej[key].to_numpy(dtype=object)),
        "upper" if spec.column(key).kind == "uscc" else None,
    )
    accepted = C.is_in(col, ok)
    dup_rows = {e["row"] for e in errs if e.get("problem") == "duplicate_key"}
    out: dict[str, dict] = {}
    for v, r, a in zip(col.to_pylist(), rej["row"], accepted, strict=True):
        if v is None or a:
            continue
        d = out.setdefault(v, {"rows": [], "cause": "invalid"})
        d["rows"].append(int(r))
        if int(r) in dup_rows:
            d["cause"] = "duplicate"
    return pd.Series(out, dtype=object)
