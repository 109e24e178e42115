"""A drawn task as staff read it: the list (as drawn, with its replacements), each entity's
inspectors per department with the items that department checks, and the people's files.

Everything is read from the task's draw folder only when the ledger vouches for it, as a draw
and a publication read it. The people's list (`tiered.draws.readable`) gets, for a task, the
task id and every item of the visit, and its inspector column names each department's team
("市场监督管理局：冯财（乐都区市场监督管理局）、…；卫生健康局：…"); the per-inspector sheet
gives each inspector only the items of their own department.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tiered.draws import readable
from tiered.draws.replace import DEPARTMENTS_MADE_NAME, MADE_NAME, current_list, made_departments
from tiered.layout import Layout
from tiered.ledger import vouch

FILES = (
    "manifest.json",
    "inspection_list.csv",
    "departments.csv",
    MADE_NAME,
    DEPARTMENTS_MADE_NAME,
)


@dataclass(frozen=True)
class TaskDraw:
    folder: Path
    manifest: dict
    listed: pd.DataFrame  # the list as drawn plus replacements (`replaces`, `replaced_reason`)
    departments: pd.DataFrame  # uscc, department, items, inspectors (replacements included)

    @property
    def task(self) -> dict:
        return self.manifest["task"]


def read_task_draw(ws: str | os.PathLike, task_id: str) -> TaskDraw | None:
    """The task's current draw, or None when it has not been drawn."""
    folder = Layout.of(ws).task_dir(task_id)
    if not (folder / "manifest.json").is_file():
        return None
    vouch.require(Layout.of(ws).root, [folder / n for n in FILES if (folder / n).is_file()])
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    detail = folder / "departments.csv"
    drawn = (
        pd.read_csv(detail, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if detail.is_file()
        else made_departments(folder).iloc[0:0]
    )
    teams = pd.concat([drawn, made_departments(folder)], ignore_index=True)
    return TaskDraw(folder, manifest, current_list(folder), teams)


def _with_items(listed: pd.DataFrame, teams: pd.DataFrame, task_id: str) -> pd.DataFrame:
    items = teams.groupby("uscc", sort=False)["items"].agg(lambda v: ";".join(v))
    out = listed.assign(task_id=task_id)
    out["items"] = out["uscc"].map(items).fillna("")
    return out


def people_lists(
    draw: TaskDraw,
    inspectors: pd.DataFrame | None,
    items: pd.DataFrame | None,
    sector_labels: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the people's list, one row per entity; the per-inspector view), keyed as
    `tiered.draws.readable` keys them."""
    task_id = str(draw.task["task_id"])
    lst = _with_items(draw.listed, draw.departments, task_id)
    people = readable.readable_list(lst, inspectors, items, sector_labels)
    people["inspector_names"] = [
        team_text(draw.departments[draw.departments["uscc"] == u], inspectors) or names
        for u, names in zip(people["uscc"], people["inspector_names"], strict=True)
    ]
    base = draw.listed.drop(columns=["inspectors"]).drop_duplicates("uscc")
    per_dept = draw.departments.merge(base, on="uscc", how="left").fillna("")
    per_dept["task_id"] = task_id
    dept_people = readable.readable_list(per_dept, inspectors, items, sector_labels)
    return people, readable.by_inspector(dept_people, inspectors)


def team_text(rows: pd.DataFrame, inspectors: pd.DataFrame | None) -> str:
    """One entity's teams: "市场监督管理局：冯财（乐都区市场监督管理局）、…；卫生健康局：…"."""
    people = readable._people(inspectors)
    parts = []
    for dept, ids in zip(rows["department"], rows["inspectors"], strict=True):
        names = "、".join(readable._person(i, people) for i in readable._ids(ids))
        parts.append(f"{dept}：{names}")
    return "；".join(parts)


def department_table(
    draw: TaskDraw, inspectors: pd.DataFrame | None, items: pd.DataFrame | None
) -> pd.DataFrame:
    """uscc, name, department, item names, inspectors (name and unit): one row per entity and
    department, in the list's order, the lead department first."""
    people = readable._people(inspectors)
    names = readable._item_names(items)
    entity = dict(zip(draw.listed["uscc"], draw.listed["name"], strict=True))
    t = draw.departments
    return pd.DataFrame(
        {
            "uscc": t["uscc"].to_numpy(),
            "name": [entity.get(u, "") for u in t["uscc"]],
            "department": t["department"].to_numpy(),
            "item_names": [
                "；".join(names.get(i, i) for i in readable._ids(v)) for v in t["items"]
            ],
            "inspector_names": [
                "、".join(readable._person(i, people) for i in readable._ids(v))
                for v in t["inspectors"]
            ],
            "inspectors": t["inspectors"].to_numpy(),
        }
    )
