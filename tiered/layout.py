"""Where everything lives in a workspace, and the small types parsed once at the edge.

A workspace is a folder (CONTRACT.md): input tables at its top level, `config.yaml`, and
everything the product writes under `out/`. `Layout` is the only place that knows those paths;
every command, the ledger and the app ask it instead of joining strings. It holds the
workspace's absolute, resolved path, so a relative `WS` given on the command line (or a `cd`
between two steps) can never make two writers disagree about where a draw lives.

`Month` and `Seed` are parsed once where a person typed them (CLI, app) and passed down, so the
preview, the draw and verify all see the same month and the same seed text.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sampling.draw import normalise_seed
from tiered.errors import UsageError

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_TASK_ID = re.compile(r"[\w\-.]+")

# Workspace-relative names, for the ledger's records and messages; `Layout` joins them to a root.
LEDGER_DB = "out/ledger.sqlite"
LEDGER_HEAD = "out/ledger.head"
LEDGER_LOCK = "out/ledger.lock"
PENDING = "out/.pending"
ARCHIVED = ".replaced-"  # an archived draw folder is `MONTH.replaced-STAMP`


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, `YYYY-MM`. Full-width digits and dashes are normalised (NFKC)."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: object) -> Month:
        if isinstance(text, Month):
            return text
        raw = unicodedata.normalize("NFKC", str(text or "")).strip().replace("－", "-")
        m = _MONTH.fullmatch(raw)
        if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2999:
            raise UsageError(f"月份格式应为 YYYY-MM：{text!r} (month must look like 2026-03)")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> pd.Timestamp:
        """First day of the month (midnight)."""
        return pd.Timestamp(year=self.year, month=self.month, day=1)

    @property
    def end(self) -> pd.Timestamp:
        """First day of the next month: the month is [start, end)."""
        return self.start + pd.offsets.MonthBegin(1)

    def shift(self, months: int) -> Month:
        n = self.year * 12 + self.month - 1 + months
        return Month(n // 12, n % 12 + 1)

    @classmethod
    def of(cls, day: dt.date | pd.Timestamp) -> Month:
        return cls(day.year, day.month)


@dataclass(frozen=True)
class Seed:
    """The public seed as text: stripped of surrounding blanks, `auto` resolved once.

    The draw, its preview and the manifest all use `text`; nothing converts it to a number, so
    a long seed or one with leading zeros stays exactly what was read out at the draw meeting.
    """

    text: str

    @classmethod
    def parse(cls, text: object) -> Seed:
        if isinstance(text, Seed):
            return text
        return cls(normalise_seed(None if text is None else str(text)))

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Layout:
    """Every path of one workspace. Build it with `Layout.of(ws)`."""

    root: Path

    @classmethod
    def of(cls, ws: str | os.PathLike | Layout) -> Layout:
        if isinstance(ws, Layout):
            return ws
        return cls(Path(ws).expanduser().resolve())

    def rel(self, path: str | os.PathLike) -> str:
        """`path` relative to the workspace, with forward slashes (as the ledger stores it)."""
        p = Path(path)
        if p.is_absolute():
            p = p.resolve().relative_to(self.root)
        return p.as_posix()

    # inputs
    @property
    def config_file(self) -> Path:
        return self.root / "config.yaml"

    # everything written
    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def ledger_db(self) -> Path:
        return self.root / LEDGER_DB

    @property
    def ledger_head(self) -> Path:
        return self.root / LEDGER_HEAD

    @property
    def ledger_lock(self) -> Path:
        return self.root / LEDGER_LOCK

    @property
    def pending_dir(self) -> Path:
        return self.root / PENDING

    @property
    def cache_dir(self) -> Path:
        return self.out / "cache"

    @property
    def parts_dir(self) -> Path:
        """The partitioned copy of the validated tables Dask workers read (`tiered.parts`)."""
        return self.out / "parts"

    def parts(self, digest: str) -> Path:
        return self.parts_dir / digest

    @property
    def config_versions_dir(self) -> Path:
        return self.out / "config"

    def table_versions(self, table: str) -> Path:
        """Earlier versions of an input table, kept by `tiered upload` for `tiered restore`."""
        return self.out / "tables" / table

    @property
    def rejected_dir(self) -> Path:
        return self.out / "rejected"

    def rejected(self, table: str) -> Path:
        return self.rejected_dir / f"{table}.csv"

    def rejected_results(self, month: Month | str) -> Path:
        return self.rejected_dir / f"results-{month}.csv"

    @property
    def draws_dir(self) -> Path:
        return self.out / "draws"

    def draw_dir(self, month: Month | str) -> Path:
        return self.draws_dir / str(month)

    def draw_months(self) -> list[Month]:
        """Months with a current draw list, oldest first (archived `.replaced-` ones excluded)."""
        folders = self.draws_dir.glob("*") if self.draws_dir.is_dir() else []
        return sorted(
            Month.parse(d.name)
            for d in folders
            if _MONTH.fullmatch(d.name) and (d / "inspection_list.csv").is_file()
        )

    @property
    def tasks_dir(self) -> Path:
        return self.out / "tasks"

    def task_dir(self, task_id: str) -> Path:
        return self.tasks_dir / safe_task_id(task_id)

    def draw_folders(self) -> list[tuple[str, str, Path]]:
        """(kind, key, folder) of every current month's and task's draw, in name order."""
        out: list[tuple[str, str, Path]] = []
        for kind, root in (("month", self.draws_dir), ("task", self.tasks_dir)):
            for d in sorted(root.iterdir()) if root.is_dir() else []:
                if not d.is_dir() or d.name.startswith(".") or ARCHIVED in d.name:
                    continue
                if kind == "month" and not _MONTH.fullmatch(d.name):
                    continue
                out.append((kind, d.name, d))
        return out

    def task_results(self, task_id: str) -> Path:
        """A task's imported results (read as part of `inspections`, like a month's)."""
        return self.results_dir / f"task-{safe_task_id(task_id)}.csv"

    def rejected_task_results(self, task_id: str) -> Path:
        return self.rejected_dir / f"results-task-{safe_task_id(task_id)}.csv"

    def task_publication(self, task_id: str, suffix: str = ".csv") -> Path:
        return self.publish_dir / f"task-{safe_task_id(task_id)}{suffix}"

    @property
    def plans_dir(self) -> Path:
        return self.out / "plans"

    def plan_report(self, year: int) -> Path:
        return self.plans_dir / f"{int(year)}.json"

    @property
    def commitments_dir(self) -> Path:
        return self.out / "commitments"

    def commitment_dir(self, month: Month | str | None = None, task: str | None = None) -> Path:
        """`tiered commit`'s folder: out/commitments/YYYY-MM or out/commitments/tasks/ID."""
        if task is not None:
            return self.commitments_dir / "tasks" / safe_task_id(task)
        return self.commitments_dir / str(month)

    def drawn_dir(self, month: Month | str | None = None, task: str | None = None) -> Path:
        """The draw folder of a month or of a task."""
        return self.task_dir(task) if task is not None else self.draw_dir(str(month))

    @property
    def results_dir(self) -> Path:
        return self.out / "results"

    def results(self, month: Month | str) -> Path:
        return self.results_dir / f"{month}.csv"

    @property
    def publish_dir(self) -> Path:
        return self.out / "publish"

    def publication(self, month: Month | str, suffix: str = ".csv") -> Path:
        return self.publish_dir / f"{month}{suffix}"

    @property
    def scores_dir(self) -> Path:
        return self.out / "scores"

    def scores(self, as_of: dt.date | pd.Timestamp) -> Path:
        return self.scores_dir / f"{pd.Timestamp(as_of).date().isoformat()}.csv"

    @property
    def models_dir(self) -> Path:
        return self.out / "models"

    def model_dir(self, as_of: dt.date | pd.Timestamp) -> Path:
        return self.models_dir / pd.Timestamp(as_of).date().isoformat()

    @property
    def artefact_dirs(self) -> tuple[Path, ...]:
        """Folders whose every file a ledger entry must name."""
        return (
            self.draws_dir,
            self.tasks_dir,
            self.results_dir,
            self.publish_dir,
            self.scores_dir,
            self.plans_dir,
            self.commitments_dir,
        )


def safe_task_id(task_id: object) -> str:
    """A task id usable as one folder name (letters, digits, 汉字, - _ .; not starting with .)."""
    text = str(task_id).strip()
    if not _TASK_ID.fullmatch(text) or text.startswith("."):
        raise UsageError(
            f"任务编号只能由字母、数字、汉字、-、_、. 组成：{task_id!r} (task id not usable as a "
            "folder name)"
        )
    return text
