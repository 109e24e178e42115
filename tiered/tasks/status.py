"""`tiered task status WS`: each task's state and its deadline report.

A task is *planned* (in the tasks table, not drawn), *drawn* (no result yet), *inspecting*
(some results), *filed* (every entity to inspect has a result, not all of them published yet)
or *published* (every entity to inspect has a result and every result is in the task's public
list). The entities to inspect are the list as drawn plus its replacements, less the entities
replaced for a reason other than unreachability (an unreachable one is itself a result).

The deadline report lists, per task, the entities without a result (due: 20 working days after
the window ends) and the results not yet published (due: 20 working days after the inspection,
`publish.deadline_working_days`), each marked overdue when today is past its due date, with the
working days left. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pandas as pd

from tables import clock
from tiered.draws.replace import MADE_NAME, current_list
from tiered.layout import Layout
from tiered.ledger import vouch
from tiered.publish.workdays import Calendar
from tiered.results import read_results
from tiered.workspace import Workspace, load_workspace


def _published(path) -> set[tuple[str, str]]:
    if not path.is_file():
        return set()
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return set(zip(df["统一社会信用代码"], df["检查日期"], strict=True))


def _one(layout: Layout, folder, cal: Calendar, days: int, on: dt.date) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    task = manifest["task"]
    vouch.require(  # the report counts only what the draw and the imports wrote
        layout.root,
        [
            p
            for p in (
                folder / "manifest.json",
                folder / "inspection_list.csv",
                folder / MADE_NAME,
                layout.task_results(task["task_id"]),
                layout.task_publication(task["task_id"]),
            )
            if p.is_file()
        ],
    )
    drawn = pd.read_csv(folder / "inspection_list.csv", dtype=str, encoding="utf-8-sig")["uscc"]
    now = current_list(folder)
    todo = now[now["replaced_reason"].isin(["", "unreachable"])]["uscc"]
    results = read_results(layout.task_results(task["task_id"]))
    published = _published(layout.task_publication(task["task_id"]))
    end = dt.date.fromisoformat(task["end"])
    due_end = cal.add(end, days)
    missing = sorted(set(todo) - set(results["uscc"]))
    waiting = [
        {"uscc": u, "date": d, "due": cal.add(dt.date.fromisoformat(d), days).isoformat()}
        for u, d in zip(results["uscc"], results["date"], strict=True)
        if (u, d) not in published
    ]
    for w in waiting:
        w["overdue"] = on > dt.date.fromisoformat(w["due"])
    if results.empty:
        state = "drawn"
    elif missing:
        state = "inspecting"
    elif waiting:
        state = "filed"
    else:
        state = "published"
    return {
        "task_id": task["task_id"],
        "name": task["name"],
        "status": state,
        "start": task["start"],
        "end": task["end"],
        "drawn": int(len(drawn)),
        "results": int(len(results)),
        "published": int(len(results) - len(waiting)),
        "replaced": int((now["replaces"] != "").sum()),
        "without_result": {
            "entities": len(missing),
            "due": due_end.isoformat(),
            "overdue": bool(missing) and on > due_end,
            "working_days_left": _left(cal, on, due_end) if missing else None,
            "examples": missing[:5],
        },
        "unpublished": {
            "results": len(waiting),
            "overdue": sum(w["overdue"] for w in waiting),
            "next_due": min((w["due"] for w in waiting), default=None),
            "working_days_left": (
                _left(cal, on, dt.date.fromisoformat(min(w["due"] for w in waiting)))
                if waiting
                else None
            ),
            "items": waiting[:20],
        },
    }


def _left(cal: Calendar, on: dt.date, due: dt.date) -> int:
    """Working days from `on` to `due` (negative: that many past it)."""
    if due >= on:
        return int(cal.count_after(np.array([on]), due)[0])
    return -int(cal.count_after(np.array([due]), on)[0])


def task_status(ws_path: str | os.PathLike | Workspace, on: dt.date | None = None) -> list[dict]:
    """Every task's state and deadlines (see the module docstring); the workspace may be given
    loaded (the app's)."""
    ws = (
        ws_path if isinstance(ws_path, Workspace) else load_workspace(ws_path, write_rejected=False)
    )
    layout = Layout.of(ws.path)
    on = on or clock.today()
    cfg = ws.config.publish
    cal = cfg.calendar()
    drawn = {
        key: _one(layout, d, cal, cfg.deadline_working_days, on)
        for kind, key, d in layout.draw_folders()
        if kind == "task" and (d / "manifest.json").is_file()
    }
    rows = []
    table = ws.tables.get("tasks")
    for _, t in table.iterrows() if table is not None else iter(()):
        key = str(t["task_id"])
        rows.append(drawn.pop(key, None) or _planned(t))
    rows.extend(drawn.values())  # drawn tasks no longer in the table
    return rows


def _planned(t: pd.Series) -> dict:
    return {
        "task_id": str(t["task_id"]),
        "name": str(t["name"]),
        "status": "planned",
        "start": pd.Timestamp(t["start"]).date().isoformat(),
        "end": pd.Timestamp(t["end"]).date().isoformat(),
        "drawn": 0,
        "results": 0,
        "published": 0,
        "replaced": 0,
        "without_result": {
            "entities": 0,
            "due": None,
            "overdue": False,
            "working_days_left": None,
            "examples": [],
        },
        "unpublished": {
            "results": 0,
            "overdue": 0,
            "next_due": None,
            "working_days_left": None,
            "items": [],
        },
    }


STATUS_LABELS = {
    "planned": ("计划中", "planned"),
    "drawn": ("已抽取", "drawn"),
    "inspecting": ("检查中", "inspecting"),
    "filed": ("结果已录入", "results filed"),
    "published": ("已公示", "published"),
}


def format_status(rows: list[dict]) -> str:
    lines = [
        "任务 (task)      状态 status      抽中 drawn  结果 results  公示 published  超期 overdue"
    ]
    for r in rows:
        zh, en = STATUS_LABELS[r["status"]]
        overdue = r["unpublished"]["overdue"] + (
            r["without_result"]["entities"] if r["without_result"]["overdue"] else 0
        )
        lines.append(
            f"  {r['task_id']:<12} {zh} {en:<11} {r['drawn']:>8,} {r['results']:>10,} "
            f"{r['published']:>12,} {overdue:>10,}"
        )
    return "\n".join(lines)
