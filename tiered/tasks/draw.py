"""`tiered task draw WS --task ID --seed TEXT`: one task's list into `out/tasks/ID/`.

A task is drawn by the same writer as a month (`tiered.draws.draw.run_spec`); this module only
turns the task into a `DrawSpec`: its scope and jurisdiction as the frame, its ratio or count
as the size (a directed task without either inspects its whole list), its tier rates, the
cooldowns its items' frequency rules allow, and one team of inspectors per department. The
spec is built from a plain dict that the manifest keeps, so `tiered verify` redraws the task as
it was, whatever the tasks table says today.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

from sampling.config import SamplingConfig
from tiered.draws.draw import DrawResult, run_spec
from tiered.draws.spec import DrawSpec
from tiered.errors import UsageError
from tiered.ledger.lock import writes
from tiered.tasks.model import Task, items_by_department, load_task
from tiered.tasks.scope import cooldowns_for, scope_mask, visits_required
from tiered.workspace import Workspace, load_workspace


def task_record(ws: Workspace, task: Task) -> dict:
    """Everything the draw of `task` depends on, as the manifest's `task` entry."""
    items = ws.table("items")
    record = dataclasses.asdict(task)
    record["start"], record["end"] = task.start.isoformat(), task.end.isoformat()
    # a list, not a mapping: the manifest's keys are sorted, the lead department must stay first
    record["teams"] = [[d, v] for d, v in items_by_department(task, items).items()]
    record["visits"] = visits_required(task, items)
    return record


def spec_from_record(record: dict) -> DrawSpec:
    """The draw spec of a task record (`task_record`, or a manifest's `task`)."""
    fields = {f.name for f in dataclasses.fields(Task)}
    values = {k: v for k, v in record.items() if k in fields}
    for k in ("items", "departments", "sectors", "regions", "entity_types", "targets"):
        values[k] = tuple(values.get(k) or ())
    values["start"] = dt.date.fromisoformat(record["start"])
    values["end"] = dt.date.fromisoformat(record["end"])
    task = Task(**values)
    ratio = task.ratio if task.ratio is not None or task.count is not None else None
    if task.directed and ratio is None and task.count is None:
        ratio = 1.0  # a directed task without a size inspects its whole list
    visits = {str(k): int(v) for k, v in (record.get("visits") or {}).items()}

    def adjust(config: SamplingConfig) -> SamplingConfig:
        rates = {**config.tier_rates, **task.tier_rates}
        cooldown = cooldowns_for(visits, {t: config.cooldown(t) for t in ("A", "B", "C", "D")})
        return dataclasses.replace(
            config, tier_rates=rates, cooldown_months=cooldown, monthly_budget=None
        )

    return DrawSpec(
        kind="task",
        key=task.task_id,
        month=task.month,
        start=task.start,
        end=task.end,
        share=1.0,
        ratio=ratio,
        count=task.count,
        scope=lambda frame, entities: scope_mask(frame, entities, task),
        adjust=adjust,
        teams={str(d): list(v) for d, v in record["teams"]},
        jurisdiction=task.jurisdiction,
        allow_repeat=task.allow_repeat,
        manifest={"task_id": task.task_id, "task": record},
    )


@writes("task")
def run_task_draw(
    ws_path: str | os.PathLike,
    task_id: str,
    seed: str,
    replace: bool = False,
    reason: str | None = None,
    actor: str | None = None,
) -> DrawResult:
    """Draw one task of the workspace's `tasks` table (see the module docstring)."""
    from tiered import configversion as config_versions

    config_versions.record_use(ws_path, actor)  # the app follows the CLI's rule for config
    ws = load_workspace(ws_path)
    spec = task_spec(ws, task_id)
    if replace:
        _refuse_redraw_after_results(ws.path, spec.key)
    return run_spec(ws, spec, seed, replace=replace, reason=reason, actor=actor)


def _refuse_redraw_after_results(ws: Path, task_id: str) -> None:
    """A redrawn list would leave the task's results and public list belonging to the old one
    (other entities, other probabilities): refused, as a month's redraw is without --supersede."""
    from tiered.layout import Layout
    from tiered.results import read_results

    lay = Layout.of(ws)
    n = len(read_results(lay.task_results(task_id)))
    public = lay.task_publication(task_id).is_file()
    if n or public:
        raise UsageError(
            f"任务 {task_id} 已有 {n} 条检查结果{'和公示名单' if public else ''}，不能重抽；"
            f"请另建任务 (task {task_id} has {n} results{' and a public list' if public else ''}: "
            "it cannot be redrawn; create a new task instead)"
        )


def task_spec(ws: Workspace, task_id: str) -> DrawSpec:
    """The draw spec of one task of the workspace (its draw and its commitment use it)."""
    task = load_task(ws, task_id)
    if "items" not in ws.tables:
        raise UsageError("抽查任务需要抽查事项清单 items 表 (a task draw needs the items table)")
    return spec_from_record(task_record(ws, task))


def task_folder(ws: Path, task_id: str) -> Path:
    from tiered.layout import Layout

    return Layout.of(ws).task_dir(task_id)
