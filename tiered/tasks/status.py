"""`tiered task status WS`: each task's state and its deadline report.

A task is *planned* (in the tasks table, not drawn), *drawn* (no result yet), *inspecting*
(some results) or *published* (every drawn entity has a result and every result is in the
task's public list). The deadline report lists, per task, the drawn entities without a result
(due: 20 working days after the window ends) and the results not yet published (due: 20 working
days after the inspection, `publish.deadline_working_days`), each marked overdue when today is
past its due date. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pandas as pd

from tiered.layout import Layout
from tiered.ledger import vouch
from tiered.publish.workdays import Calendar
from tiered.results import read_results
from tiered.workspace import load_workspace


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
                layout.task_results(task["task_id"]),
                layout.task_publication(task["task_id"]),
            )
            if p.is_file()
        ],
    )
    drawn = pd.read_csv(folder / "inspection_list.csv", dtype=str, encoding="utf-8-sig")["uscc"]
    results = read_results(layout.task_results(task["task_id"]))
    published = _published(layout.task_publication(task["task_id"]))
    end = dt.date.fromisoformat(task["end"])
    due_end = cal.add(end, days)
    missing = sorted(set(drawn) - set(results["uscc"]))
    waiting = [
        {"uscc": u, "date": d, "due": cal.add(dt.date.fromisoformat(d), days).isoformat()}
        for u, d in zip(results["uscc"], results["date"], strict=True)
        if (u, d) not in published
    ]
    for w in waiting:
        w["overdue"] = on > dt.date.fromisoformat(w["due"])
    if results.empty:
        state = "drawn"
    elif missing or waiting:
        state = "inspecting"
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
        "without_result": {
            "entities": len(missing),
            "due": due_end.isoformat(),
            "overdue": bool(missing) and on > due_end,
            "examples": missing[:5],
        },
        "unpublished": {
            "results": len(waiting),
            "overdue": sum(w["overdue"] for w in waiting),
            "items": waiting[:20],
        },
    }


def task_status(ws_path: str | os.PathLike, on: dt.date | None = None) -> list[dict]:
    """Every task's state and deadlines (see the module docstring)."""
    ws = load_workspace(ws_path, write_rejected=False)
    layout = Layout.of(ws.path)
    on = on or dt.date.today()
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
        "without_result": {"entities": 0, "due": None, "overdue": False, "examples": []},
        "unpublished": {"results": 0, "overdue": 0, "items": []},
    }


STATUS_LABELS = {
    "planned": ("计划中", "planned"),
    "drawn": ("已抽取", "drawn"),
    "inspecting": ("检查中", "inspecting"),
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
