"""What a draw draws: the monthly draw is one kind of task.

Every draw runs the same steps (frame -> tickets -> quotas -> selection -> assignment -> files
-> ledger, in `tiered.draws.draw`); a `DrawSpec` says how this one differs: which entities are
in its frame (a task's scope and jurisdiction), how many it draws (a month's share of the annual
rates, or a task's ratio or count), with which rates and cooldowns, whether each department
draws its own inspectors (joint tasks), and where the folder goes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sampling.config import SamplingConfig
from sampling.plan import month_start
from tiered.layout import Layout

Scope = Callable[[pd.DataFrame, pd.DataFrame], np.ndarray]  # (frame, entities) -> rows kept
Adjust = Callable[[SamplingConfig], SamplingConfig]  # the workspace's config -> this draw's


@dataclass(frozen=True)
class DrawSpec:
    kind: str  # "month" or "task"
    key: str  # the month (YYYY-MM) or the task id
    month: str  # its first day is the as-of date of tiers and cooldowns
    start: dt.date
    end: dt.date
    share: float = 1 / 12
    ratio: float | None = None
    count: int | None = None
    scope: Scope | None = None
    adjust: Adjust | None = None
    teams: dict[str, list[str]] | None = None  # department -> its items; None = all inspectors
    jurisdiction: str = ""
    allow_repeat: bool = False  # may draw entities another draw of the same window drew
    manifest: dict = field(default_factory=dict)  # what the manifest adds (the task)

    def folder(self, ws: Path) -> Path:
        if self.kind == "month":
            return Layout.of(ws).draw_dir(self.key)
        return Layout.of(ws).task_dir(self.key)

    @property
    def ledger_kind(self) -> str:
        return "draw" if self.kind == "month" else "task_draw"


def month_spec(month: str) -> DrawSpec:
    """The monthly draw: every active entity, 1/12 of the annual rates, all inspectors."""
    month = str(month).strip()
    start = month_start(month)
    end = start + pd.offsets.MonthEnd(0)
    return DrawSpec("month", month, month, start.date(), end.date())


def window_of(kind: str, key: str, manifest: dict) -> tuple[dt.date, dt.date] | None:
    """The window of an existing draw folder: its month, or its task's start and end."""
    if kind == "month":
        spec = month_spec(key)
        return spec.start, spec.end
    task = manifest.get("task") or {}
    try:
        return dt.date.fromisoformat(task["start"]), dt.date.fromisoformat(task["end"])
    except (KeyError, TypeError, ValueError):
        return None


def spec_of(manifest: dict) -> DrawSpec:
    """The spec a draw folder's manifest was drawn with: its task's, or its month's."""
    if "task" in manifest:
        from tiered.tasks.draw import spec_from_record

        return spec_from_record(manifest["task"])
    return month_spec(manifest["month"])
