"""One column's checks, by the kind its spec gives it (uscc, date, bool, number, choice,
choices, text): each failing cell is added to the table's collector with a message a clerk can
act on, and the column comes back typed. `tables.check` runs them over a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from tables import columns as C
from tables import uscc as uscc_mod
from tables.columns import MAX_CELL_CHARS
from tables.parse import (
    Rules,
    allowed,
    lookup,
    parse_bools,
    parse_choices,
    parse_dates,
    parse_numbers,
    vocabulary,
)
from tables.spec import Table

if TYPE_CHECKING:
    from tables.check import _Collector


def check_column(
    c,
    col: pa.Array,
    table: Table,
    rules: Rules,
    today: pd.Timestamp,
    fails: _Collector,
    warnings: list[dict],
    rows: np.ndarray,
) -> object:
    """Check one cleaned column; returns it typed (Arrow text or a numpy array)."""
    ctrl, long = C.unusable(col)
    fails.add(
        ctrl,
        c.name,
        "含有不可见的控制字符，请删除后重新导入 (contains an invisible control character: "
        "remove it)",
    )
    fails.add(
        long,
        c.name,
        f"内容超过 {MAX_CELL_CHARS:,} 个字符 (longer than {MAX_CELL_CHARS:,} characters)",
    )
    present = C.present(col)
    if c.required:
        fails.add(~present, c.name, f"必填项 {c.name}（{c.label}）为空 (required value missing)")
    if c.kind == "uscc":
        if rules.check_digit and table.name == "entities":
            bad = present & ~uscc_mod.valid_array(col)
            if bad.any():
                idx = np.flatnonzero(bad)
                msgs = pd.Series(
                    [uscc_mod.problem(v) for v in C.pick(col, idx)], index=idx, dtype=object
                )
                if rules.accept_bad_check_digit:
                    only_check = msgs.str.contains("校验位").to_numpy()
                    for i in idx[only_check]:
                        warnings.append(
                            {
                                "table": table.name,
                                "row": int(rows[i]),
                                "column": c.name,
                                "message": msgs[i] + "；已按配置接受 (accepted by config)",
                            }
                        )
                    bad[idx[only_check]] = False
                fails.add(bad, c.name, "{v}", msgs)
        return col
    if c.kind == "date":
        codes, values = C.distinct(col)
        parsed, bad = parse_dates(values)
        far = pd.Series(False, index=values.index)  # beyond what datetime64 holds: "future"
        if bad.any():
            year = pd.to_numeric(values[bad].str.extract(r"^\s*(\d{4})")[0], errors="coerce")
            far[bad] = (year > today.year).to_numpy()
        later = parsed > today  # each distinct date compared once
        parsed = C.spread(codes, parsed.to_numpy(), np.datetime64("NaT", "ns"))
        bad, far, later = (C.spread(codes, m.to_numpy(bool), False) for m in (bad, far, later))
        fails.add(bad & ~far, c.name, "日期格式无法识别: '{v}' (malformed date)", col)
        if not c.future:
            fails.add(far, c.name, "日期在未来: '{v}' (date is in the future)", col)
            fails.add(later, c.name, "日期在未来: '{v}' (date is in the future)", col)
        else:
            fails.add(far, c.name, "日期超出范围: '{v}' (date out of range)", col)
        return parsed
    if c.kind == "bool":
        codes, values = C.distinct(col)
        true, bad = parse_bools(values)
        fails.add(
            C.spread(codes, bad.to_numpy(bool), False),
            c.name,
            "无法识别的是/否值: '{v}' (expected true/false, 1/0, 是/否)",
            col,
        )
        missing = not c.required and c.name == "active"  # an inspector is active unless told
        return C.spread(codes, true.to_numpy(bool), missing)
    if c.kind == "number":
        codes, values = C.distinct(col)
        num, bad = parse_numbers(values)
        parsed = C.spread(codes, num.to_numpy(float), np.nan)
        fails.add(
            C.spread(codes, bad.to_numpy(bool), False),
            c.name,
            "不是数字: '{v}' (not a number)",
            col,
        )
        fails.add(parsed < 0, c.name, "不能为负数: '{v}' (negative amount)", col)
        return parsed
    if c.kind == "choice":
        vocab = vocabulary(c.vocabulary, rules)
        mapped = C.map_values(col, lambda v: lookup(vocab, c.vocabulary, str(v)))
        bad = present & ~C.present(mapped)
        fails.add(
            bad,
            c.name,
            f"{c.name} 取值 '{{v}}' 不在允许列表中 (not one of: {allowed(c.vocabulary, rules)})",
            col,
        )
        return mapped
    if c.kind == "choices":
        vocab = vocabulary(c.vocabulary, rules)
        codes, values = C.distinct(col)
        pairs = [parse_choices(v, vocab) for v in values]
        bad_val = pa.array(C.spread(codes, objects(p[1] for p in pairs), None), pa.string())
        fails.add(
            C.present(bad_val),
            c.name,
            f"{c.name} 含未知代码 '{{v}}' (not one of: {allowed(c.vocabulary, rules)})",
            bad_val,
        )
        return pa.array(C.spread(codes, objects(p[0] for p in pairs), None), pa.string())
    return col


def objects(values) -> np.ndarray:
    out = list(values)
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr
