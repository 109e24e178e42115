"""A task (抽查任务) as the draw needs it: one validated `tasks` row, its items and departments.

The `tasks` table is checked like every table (`tables.tasks` adds the rules that need the item
list, the inspectors and the entities); here a row becomes a small frozen `Task`, and a directed
task's targets given as a file name are read from the workspace.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tables.tasks import parse_rates, split_list, task_departments
from tiered.errors import UsageError


@dataclass(frozen=True)
class Task:
    task_id: str
    name: str
    start: dt.date
    end: dt.date
    items: tuple[str, ...]
    departments: tuple[str, ...]  # the lead department first
    sectors: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    entity_types: tuple[str, ...] = ()
    directed: bool = False
    targets: tuple[str, ...] = ()
    ratio: float | None = None
    count: int | None = None
    jurisdiction: str = ""
    tier_rates: dict[str, float] = field(default_factory=dict)
    allow_repeat: bool = False

    @property
    def lead(self) -> str:
        return self.departments[0]

    @property
    def joint(self) -> bool:
        return len(self.departments) > 1

    @property
    def month(self) -> str:
        """The month whose first day is the draw's as-of date (tiers, cooldown)."""
        return f"{self.start:%Y-%m}"

    @property
    def kind(self) -> str:
        return "directed" if self.directed else "undirected"


def _opt(row: pd.Series, name: str) -> object:
    value = row.get(name)
    return None if value is None or (isinstance(value, float) and value != value) else value


def task_from_row(row: pd.Series, ws: Path | None = None) -> Task:
    """A typed `tasks` row -> Task (targets read from a workspace file when one is named)."""
    targets = tuple(u.upper() for u in split_list(_opt(row, "targets")))
    if ws is not None and len(targets) == 1 and "." in targets[0]:
        targets = read_targets(ws, str(_opt(row, "targets")).strip())
    count = _opt(row, "count")
    return Task(
        task_id=str(row["task_id"]),
        name=str(row["name"]),
        start=pd.Timestamp(row["start"]).date(),
        end=pd.Timestamp(row["end"]).date(),
        items=tuple(split_list(row["items"])),
        departments=tuple(task_departments(row)),
        sectors=tuple(split_list(_opt(row, "sectors"))),
        regions=tuple(split_list(_opt(row, "regions"))),
        entity_types=tuple(split_list(_opt(row, "entity_types"))),
        directed=bool(_opt(row, "directed") or False),
        targets=targets,
        ratio=None if _opt(row, "ratio") is None else float(row["ratio"]),
        count=None if count is None else int(count),
        jurisdiction=str(_opt(row, "jurisdiction") or "").strip(),
        tier_rates=parse_rates(_opt(row, "tier_rates")),
        allow_repeat=bool(_opt(row, "allow_repeat") or False),
    )


def read_targets(ws: Path, name: str) -> tuple[str, ...]:
    """A directed task's list from a workspace file: its `uscc` (统一社会信用代码) column."""
    from tiered.workspace import read_table

    path = ws / name
    if not path.is_file():
        raise UsageError(f"定向对象文件不存在：{name} (targets file not found)", file=str(path))
    df = read_table(path, "entities")
    if "uscc" not in df.columns:
        raise UsageError(
            "定向对象文件缺少 uscc 列 (targets file has no uscc column)", file=str(path)
        )
    return tuple(sorted({str(u).strip().upper() for u in df["uscc"] if u}))


def load_tasks(ws) -> dict[str, Task]:
    """Every accepted task of a loaded workspace, by id."""
    if "tasks" not in ws.tables:
        return {}
    return {str(r["task_id"]): task_from_row(r, ws.path) for _, r in ws.tables["tasks"].iterrows()}


def load_task(ws, task_id: str) -> Task:
    """One task of the workspace; a clear error when it is unknown or its row was rejected."""
    task_id = str(task_id).strip()
    if "tasks" not in ws.tables:
        raise UsageError("工作区没有抽查任务表 tasks (the workspace has no tasks table)")
    rows = ws.tables["tasks"]
    hit = rows[rows["task_id"].astype(str) == task_id]
    if len(hit):
        return task_from_row(hit.iloc[0], ws.path)
    rejected = ws.rejected.get("tasks")
    if rejected is not None and len(rejected) and (rejected["task_id"] == task_id).any():
        reason = rejected.loc[rejected["task_id"] == task_id, "reason"].iloc[0]
        raise UsageError(f"任务 {task_id} 未通过校验 (task row rejected): {reason}")
    raise UsageError(f"没有编号为 {task_id} 的抽查任务 (no task {task_id})")


def items_by_department(task: Task, items: pd.DataFrame) -> dict[str, list[str]]:
    """Department -> the task's items it owns, in the task's department order."""
    owner = dict(zip(items["item_id"].astype(str), items["department"].astype(str), strict=True))
    out: dict[str, list[str]] = {d: [] for d in task.departments}
    for item in task.items:
        out.setdefault(owner.get(item, task.lead), []).append(item)
    return {d: v for d, v in out.items() if v}
