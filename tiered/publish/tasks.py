"""A task's public results list: `out/publish/task-ID.csv` and `.xlsx` (`tiered publish --task`).

Beside the month's columns it carries what the provincial platform files a task under: the task
name, the inspecting authority (谁检查、谁公开: the offices of the inspectors who made the visit,
from the draw's department list) and the result category. Masking, formula escaping and the
20-working-day check are the month's (`tiered.publish.publication`).
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd

from tables import clock
from tables.spec import RESULT_CATEGORIES
from tiered.errors import UsageError
from tiered.layout import Layout
from tiered.ledger import staged, vouch
from tiered.ledger.lock import writes
from tiered.publish.publication import (
    PublishSummary,
    _entities,
    lateness,
    public_files,
    public_table,
    replacements,
    unreachable,
)
from tiered.publish.workdays import PublishConfig
from tiered.results import read_results
from tiered.tasks.lists import read_task_draw

TASK_COLUMNS = ("任务编号", "任务名称", "检查机关", "结果类别")


def _authorities(detail: pd.DataFrame, inspectors: pd.DataFrame | None) -> dict[str, str]:
    """uscc -> the offices of its inspectors, lead department first (e.g. 乐都区市场监督管理局);
    `detail`: the draw's inspectors per department, replacements included (`TaskDraw`)."""
    office = {}
    if inspectors is not None and len(inspectors):
        office = dict(zip(inspectors["inspector_id"], inspectors["department"], strict=True))
    out: dict[str, list[str]] = {}
    for u, dept, ids in zip(
        detail["uscc"], detail["department"], detail["inspectors"], strict=True
    ):
        names = [str(office.get(i) or dept) for i in ids.split(";") if i]
        out.setdefault(u, []).extend(names or [dept])
    return {u: "、".join(dict.fromkeys(v)) for u, v in out.items()}


def _item_names(items: pd.DataFrame | None):
    """'SC03;SC04' -> '食品经营许可情况检查、食品安全管理制度落实情况检查' (unknown ids kept)."""
    names = {} if items is None else dict(zip(items["item_id"], items["name"], strict=True))

    def show(value: object) -> object:
        if not isinstance(value, str):
            return value
        return "、".join(names.get(i.strip(), i.strip()) for i in value.split(";") if i.strip())

    return show


def task_public_table(
    results: pd.DataFrame,
    entities: pd.DataFrame,
    draw: pd.DataFrame,
    task: dict,
    authorities: dict[str, str],
    labels: dict[str, str],
) -> pd.DataFrame:
    """The month's masked columns plus task id and name, authority and category label."""
    base = public_table(results, entities, draw)
    key = results.assign(检查日期=results["date"], 统一社会信用代码=results["uscc"])
    category = key.set_index(["统一社会信用代码", "检查日期"])["category"]
    category = category[~category.index.duplicated()]
    names = {**RESULT_CATEGORIES, **labels}
    idx = pd.MultiIndex.from_frame(base[["统一社会信用代码", "检查日期"]])
    base.insert(0, "任务编号", task["task_id"])
    base.insert(1, "任务名称", task["name"])
    base["检查机关"] = base["统一社会信用代码"].map(authorities).fillna(task["departments"][0])
    base["结果类别"] = [
        names.get(c, "") if isinstance(c, str) else "" for c in category.reindex(idx)
    ]
    return base


def _no_results(task_id: str) -> UsageError:
    return UsageError(
        f"任务 {task_id} 尚无导入的检查结果，请先运行 tiered results --task"
        f" (no results imported for task {task_id})"
    )


@writes("publish")
def publish_task(
    ws: str | os.PathLike,
    task_id: str,
    actor: str | None = None,
    config: PublishConfig | None = None,
    on: dt.date | None = None,
    labels: dict[str, str] | None = None,
) -> PublishSummary:
    """Write and ledger a task's public list (see the module docstring)."""
    from tiered.workspace import load_workspace

    layout = Layout.of(ws)
    config = config or PublishConfig()
    on = on or clock.today()
    staged.recover(layout.root)
    folder = layout.task_dir(task_id)
    if not layout.task_results(task_id).is_file() or not (folder / "manifest.json").is_file():
        raise _no_results(task_id)
    # the same rule as a month's draw: read only what the ledger vouches for (the results
    # here; the draw's folder, replacements included, in read_task_draw)
    vouch.require(layout.root, [layout.task_results(task_id)])
    results = read_results(layout.task_results(task_id))
    drawn = read_task_draw(layout.root, task_id)
    if results.empty or drawn is None:
        raise _no_results(task_id)
    task = drawn.task
    ws = load_workspace(layout.root, write_rejected=False)
    inspectors = ws.tables.get("inspectors")
    results = results.assign(item=results["item"].map(_item_names(ws.tables.get("items"))))
    table = task_public_table(
        results,
        _entities(layout.root),
        drawn.listed,
        task,
        _authorities(drawn.departments, inspectors),
        labels or {},
    )
    late, warnings = lateness(results, config, on)
    replaced = replacements(folder, results, warnings)
    outputs = public_files(layout, lambda suffix: layout.task_publication(task_id, suffix), table)
    payload = {
        "task_id": task_id,
        "published_on": on.isoformat(),
        "rows": len(table),
        "late": len(late),
        "replacements": len(replaced),
    }
    entry = staged.commit_files(layout.root, "publication", payload, outputs, actor=actor)
    return PublishSummary(
        f"任务 {task_id}",
        on.isoformat(),
        len(table),
        sorted(outputs),
        late,
        warnings,
        entry.seq,
        replaced,
        entry.hash,
        unreachable(results),
    )
