"""Row rules that need more than one table: a task's items, departments, window and scope.

`tables.check` checks each table's own columns; these rules run on the typed `tasks` rows once
`items`, `inspectors` and `entities` have been accepted, and give their failures in the same
form (row mask, column, message per row), so a bad task row is rejected with its row number and
reason like a bad row of any table. Tasks are few (a city runs about 1,000 a year): plain loops.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

TIERS = ("A", "B", "C", "D")
LIST_SEP = re.compile(r"[;；,，、]")
TARGET_FILE = re.compile(r"\.(csv|xlsx|parquet)$", re.IGNORECASE)

Failure = tuple[np.ndarray, str, pd.Series]  # (rows, column, message per row), as tables.check


def split_list(value: object) -> list[str]:
    """'a;b；c' -> ['a', 'b', 'c']; an empty cell -> []."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [p.strip() for p in LIST_SEP.split(str(value)) if p.strip()]


def belongs_to(inspector_department: object, department: str) -> bool:
    """An inspector of `乐都区市场监督管理局` belongs to the department `市场监督管理局`: items name
    a department by its kind, inspectors by their local office (the region is its own column)."""
    text = "" if inspector_department is None else str(inspector_department).strip()
    return bool(text) and (text == department or text.endswith(department))


def parse_rates(text: object) -> dict[str, float]:
    """'A:0.01;B:0.02;C:0.1;D:0.3' -> {'A': 0.01, ...}; ValueError naming the bad part."""
    rates: dict[str, float] = {}
    for part in split_list(text):
        tier, _, value = part.partition(":") if ":" in part else part.partition("：")
        tier = tier.strip().upper()
        if tier not in TIERS:
            raise ValueError(f"等级 '{tier}' 应为 A–D (tier must be A, B, C or D)")
        try:
            rate = float(value.strip().rstrip("%")) / (100 if value.strip().endswith("%") else 1)
        except ValueError:
            raise ValueError(f"'{part}' 不是 等级:比例 (expected TIER:RATE)") from None
        if not 0 <= rate <= 1:
            raise ValueError(f"'{part}' 的比例应在 0 到 1 之间 (rate must be in [0, 1])")
        rates[tier] = rate
    return rates


def task_failures(
    tasks: pd.DataFrame,
    items: pd.DataFrame | None,
    inspectors: pd.DataFrame | None,
    entities: pd.DataFrame | None,
    min_inspectors: int = 2,
) -> list[Failure]:
    """Every cross-table failure of the typed `tasks` rows (see the module docstring)."""
    checks = (
        _window(tasks),
        _items(tasks, items),
        _departments(tasks, items, inspectors, min_inspectors),
        _size(tasks),
        _targets(tasks, entities),
        _jurisdiction(tasks, entities),
        _rates(tasks),
    )
    return [f for group in checks for f in group]


def _failure(tasks: pd.DataFrame, column: str, messages: list[str | None]) -> Iterable[Failure]:
    msgs = pd.Series(messages, index=tasks.index, dtype=object)
    mask = msgs.notna().to_numpy()
    if mask.any():
        yield mask, column, msgs


def _window(tasks: pd.DataFrame) -> Iterable[Failure]:
    bad = tasks["end"].notna() & tasks["start"].notna() & (tasks["end"] < tasks["start"])
    yield from _failure(
        tasks,
        "end",
        [
            "结束日期早于开始日期 (the window ends before it starts)" if b else None
            for b in bad.to_numpy()
        ],
    )


def _item_table(items: pd.DataFrame | None) -> dict[str, str]:
    """item_id -> department."""
    if items is None or not len(items):
        return {}
    return dict(zip(items["item_id"].astype(str), items["department"].astype(str), strict=True))


def _items(tasks: pd.DataFrame, items: pd.DataFrame | None) -> Iterable[Failure]:
    known = _item_table(items)
    msgs = []
    for value in tasks["items"]:
        unknown = [i for i in split_list(value) if i not in known]
        msgs.append(
            f"抽查事项 {'、'.join(unknown)} 不在抽查事项清单中 (unknown item: {', '.join(unknown)})"
            if unknown
            else None
        )
    yield from _failure(tasks, "items", msgs)


def task_departments(row: pd.Series) -> list[str]:
    """The lead department first, then the others of a joint task (each once)."""
    names = [str(row["lead_department"]).strip(), *split_list(row.get("departments"))]
    return list(dict.fromkeys(n for n in names if n and n != "None"))


def _departments(
    tasks: pd.DataFrame,
    items: pd.DataFrame | None,
    inspectors: pd.DataFrame | None,
    min_inspectors: int,
) -> Iterable[Failure]:
    known = _item_table(items)
    active = _active_inspectors(inspectors)
    msgs = []
    for _, row in tasks.iterrows():
        depts = task_departments(row)
        problems = []
        for item in split_list(row["items"]):
            owner = known.get(item)
            if owner is not None and owner not in depts:
                problems.append(
                    f"事项 {item} 属于 {owner}，该部门不在任务部门中 (item {item} belongs to "
                    f"{owner}, which is not a department of the task)"
                )
        where = _text(row.get("jurisdiction"))
        for d in depts:
            n = _count(active, d, where)
            if n < min_inspectors:
                place = f"{where} " if where else ""
                problems.append(
                    f"{place}{d} 在岗执法人员 {n} 名，少于 {min_inspectors} 名 (department {d}"
                    f"{' in ' + where if where else ''} has {n} active inspectors, fewer than"
                    f" {min_inspectors})"
                )
        msgs.append("；".join(problems) or None)
    yield from _failure(tasks, "lead_department", msgs)


def _active_inspectors(inspectors: pd.DataFrame | None) -> pd.DataFrame:
    if inspectors is None or not len(inspectors):
        return pd.DataFrame({"department": [], "region": []}, dtype=object)
    keep = inspectors["active"].fillna(True).astype(bool) if "active" in inspectors else True
    out = inspectors[keep]
    cols = {c: out[c] if c in out else None for c in ("department", "region")}
    return pd.DataFrame(cols, index=out.index)


def _count(active: pd.DataFrame, department: str, region: str) -> int:
    mine = _each_value(active["department"], lambda v: belongs_to(v, department)).astype(bool)
    if region:
        regions = _each_value(active["region"], _text)
        mine &= (regions == region) | (regions == "")
    return int(mine.sum())


def _each_value(col: pd.Series, fn) -> np.ndarray:
    """`col.map(fn)` computed once per distinct value (a few dozen offices among thousands of
    inspectors); missing cells are given to `fn` as they are."""
    codes, uniques = pd.factorize(col)
    per_value = np.empty(len(uniques) + 1, dtype=object)
    per_value[: len(uniques)] = [fn(v) for v in uniques]
    out = per_value[codes]  # a missing cell (code -1) is filled below
    gaps = np.flatnonzero(codes < 0)
    if len(gaps):
        out[gaps] = [fn(v) for v in col.to_numpy(dtype=object)[gaps]]
    return out


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _size(tasks: pd.DataFrame) -> Iterable[Failure]:
    ratio = tasks["ratio"] if "ratio" in tasks else pd.Series(np.nan, index=tasks.index)
    count = tasks["count"] if "count" in tasks else pd.Series(np.nan, index=tasks.index)
    msgs = []
    for r, c in zip(ratio, count, strict=True):
        if pd.notna(r) and pd.notna(c):
            msgs.append("比例和数量只能填一项 (give a ratio or a count, not both)")
        elif pd.notna(r) and not 0 < r <= 1:
            msgs.append(f"抽查比例 {r} 应大于 0 且不超过 1 (ratio must be in (0, 1])")
        elif pd.notna(c) and (c < 1 or c != int(c)):
            msgs.append(f"抽查数量 {c} 应为正整数 (count must be a positive whole number)")
        else:
            msgs.append(None)
    yield from _failure(tasks, "ratio", msgs)


def _targets(tasks: pd.DataFrame, entities: pd.DataFrame | None) -> Iterable[Failure]:
    # of a million entities, only those some task names are looked for
    named = {u.upper() for v in tasks["targets"] for u in split_list(v)}
    known: set = set()
    if named and entities is not None and len(entities):
        codes = entities["uscc"]
        known = set(codes[codes.isin(named)])
    msgs = []
    for directed, value in zip(tasks["directed"], tasks["targets"], strict=True):
        given = split_list(value)
        if directed and not given:
            msgs.append("定向任务必须给出定向对象 targets (a directed task needs its targets)")
        elif given and not directed:
            msgs.append("只有定向任务才有定向对象 (targets are for a directed task: directed=true)")
        elif len(given) == 1 and TARGET_FILE.search(given[0]):
            msgs.append(None)  # a file in the workspace: read and checked when the task is drawn
        else:
            unknown = [u for u in given if u.upper() not in known]
            msgs.append(
                f"定向对象 {'、'.join(unknown[:3])} 不在检查对象名录库中 (unknown targets)"
                if unknown
                else None
            )
    yield from _failure(tasks, "targets", msgs)


def _jurisdiction(tasks: pd.DataFrame, entities: pd.DataFrame | None) -> Iterable[Failure]:
    # each distinct region once: a million entities hold a few dozen regions
    regions = {_text(v) for v in pd.unique(entities["region"])} if entities is not None else set()
    msgs = []
    for value in tasks["jurisdiction"]:
        where = _text(value)
        msgs.append(
            f"辖区 '{where}' 在检查对象名录库中没有主体 (no entity in jurisdiction {where})"
            if where and regions and where not in regions
            else None
        )
    yield from _failure(tasks, "jurisdiction", msgs)


def _rates(tasks: pd.DataFrame) -> Iterable[Failure]:
    msgs = []
    for value in tasks["tier_rates"]:
        try:
            parse_rates(value)
            msgs.append(None)
        except ValueError as exc:
            msgs.append(f"分级抽查比例有误：{exc} (bad tier_rates)")
    yield from _failure(tasks, "tier_rates", msgs)
