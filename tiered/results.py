"""Recording the outcomes of a month's drawn inspections (`tiered results`).

The user's own `inspections.*` file is never rewritten: imported results are kept in
`out/results/YYYY-MM.csv`, which `tiered.workspace.load_workspace` reads as part of the
inspections table, so the next month's scores learn from them. A result row is validated like
every table, and additionally must name an entity drawn that month and be dated on or after the
month's first day (results may come in later months; never in the future).

Importing is idempotent: a row whose (uscc, date, item) is already recorded with the same outcome
changes nothing; one recorded with a *different* outcome is rejected (a correction needs a
deliberate edit, not a silent overwrite). Files are written through `staged.commit_files`, so a
crash leaves either the old file or the new one, and the import is a ledger entry.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from tables.check import REASON, ROW, SchemaError, validate_table
from tables.spec import TABLES
from tiered import configversion as config_versions
from tiered.config import load_config
from tiered.errors import UsageError
from tiered.files import csv_bom_bytes, escape_formula, sha256_file
from tiered.layout import Layout, Month
from tiered.ledger import staged
from tiered.ledger.lock import writes
from tiered.workspace import read_table, rules_for

RESULT_COLUMNS = (
    "uscc",
    "date",
    "found_problem",
    "item",
    "result",
    "inspectors",
    "task_id",
    "type",
    "category",
)
KEY = ("uscc", "date", "item")


@dataclass
class ImportSummary:
    month: str
    rows: int  # rows read from the file = accepted + rejected
    accepted: int
    added: int  # accepted rows that were new
    unchanged: int  # accepted rows already recorded identically
    rejected: int
    results_file: str
    rejected_file: str
    ledger_seq: int

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def to_dict(self) -> dict:
        return asdict(self)


def read_draw(ws: Path, month: str) -> pd.DataFrame:
    """The month's inspection list as text (uscc upper-cased), with its replacements (column
    `replaces`) and the replaced entities marked (`replaced_reason`); UsageError when none, and
    `vouch.UnvouchedFile` when the list, its manifest or its replacements are not what the
    ledger recorded (results and a publication rest on the list the draw wrote)."""
    return _read_list(ws, _target(ws, month, None))


def _read_list(ws: Path, target: _Target) -> pd.DataFrame:
    """A month's or a task's list, as its draw wrote it plus its replacements (the ledger vouches
    for list, manifest and replacements)."""
    from tiered.draws.replace import MADE_NAME, current_list
    from tiered.ledger import vouch

    if not target.list_path.is_file():
        if target.task_id is None:
            raise UsageError(
                f"{target.label} 尚无抽查名单，请先运行 tiered draw"
                f" (no draw for {target.label}: run `tiered draw`)",
                file=str(target.list_path),
            )
        raise UsageError(
            f"{target.label} 尚无抽查名单 (no draw list for {target.label})",
            file=str(target.list_path),
        )
    folder = target.list_path.parent
    vouch.require(
        ws,
        [p for p in (target.list_path, folder / "manifest.json", folder / MADE_NAME) if p.exists()],
    )
    df = current_list(folder)
    df["uscc"] = df["uscc"].str.strip().str.upper()
    return df


def read_results(path: Path) -> pd.DataFrame:
    """An `out/results/*.csv` file as text cells (empty -> None), or an empty frame."""
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS})
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df = df.astype(object).where(df != "", None)
    for c in RESULT_COLUMNS:
        if c not in df.columns:
            df[c] = None
    return df[list(RESULT_COLUMNS)]


def _as_text(accepted: pd.DataFrame) -> pd.DataFrame:
    """Typed accepted rows -> the stored text form (ISO dates, true/false, formula-safe text)."""
    out = pd.DataFrame(index=accepted.index)
    out["uscc"] = accepted["uscc"]
    out["date"] = accepted["date"].dt.strftime("%Y-%m-%d")
    out["found_problem"] = accepted["found_problem"].map({True: "true", False: "false"})
    for c in ("item", "result", "inspectors", "task_id", "category"):
        out[c] = accepted[c].map(lambda v: None if v is None or v != v else escape_formula(str(v)))
    out["type"] = accepted["type"].fillna("planned")
    return out


def _key(df: pd.DataFrame) -> pd.Series:
    return df["uscc"] + "|" + df["date"] + "|" + df["item"].fillna("")


def _content(df: pd.DataFrame) -> pd.Series:
    return df["found_problem"] + "|" + df["result"].fillna("") + "|" + df["category"].fillna("")


@dataclass(frozen=True)
class _Target:
    """Whose results these are: a month's draw or a task's."""

    label: str  # "2026-11" or "任务 HD2027-01"
    list_path: Path
    start: pd.Timestamp  # results dated before this are refused
    results: Path
    rejected: Path
    task_id: str | None = None


def _target(ws: Path, month: str | None, task: str | None) -> _Target:
    layout = Layout.of(ws)
    if task is None:
        m = Month.parse(month)
        lst = layout.draw_dir(m) / "inspection_list.csv"
        return _Target(str(m), lst, m.start, layout.results(m), layout.rejected_results(m))
    folder = layout.task_dir(task)
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        raise UsageError(
            f"任务 {task} 尚无抽查名单，请先运行 tiered task draw (no draw for task {task})",
            file=str(folder),
        )
    import json

    start = pd.Timestamp(json.loads(manifest.read_text("utf-8"))["task"]["start"])
    return _Target(
        f"任务 {task}",
        folder / "inspection_list.csv",
        start,
        layout.task_results(task),
        layout.rejected_task_results(task),
        str(task),
    )


@writes("results")
def import_results(
    ws: str | os.PathLike,
    month: str,
    file: str | os.PathLike,
    actor: str | None = None,
    today: dt.date | None = None,
    task: str | None = None,
) -> ImportSummary:
    """Validate FILE, append its new rows to `out/results/MONTH.csv` (or a task's
    `task-ID.csv`), ledger the import."""
    ws = Layout.of(ws).root
    file = Path(file)
    target = _target(ws, month, task)
    start = target.start
    month = target.label
    draw = _read_list(ws, target)
    config_versions.record_use(ws, actor)
    drawn = dict(
        zip(draw["uscc"], draw.get("inspectors", pd.Series("", index=draw.index)), strict=True)
    )
    if not file.is_file():
        raise UsageError("结果文件不存在 (results file not found)", file=str(file))
    config = load_config(ws)
    raw = read_table(file, "inspections", config.headers.get("inspections"))
    if raw.empty:
        raise UsageError("结果文件没有数据行 (the results file has no rows)", file=str(file))
    try:
        accepted, rejected, _, _ = validate_table(
            TABLES["inspections"], raw, rules_for(config, today)
        )
    except SchemaError as exc:
        raise UsageError(exc.message, file=str(file), column=exc.column) from None
    ok_rows = raw.loc[~raw[ROW].isin(rejected[ROW]), ROW].to_numpy()
    accepted = accepted.assign(**{ROW: ok_rows})

    extra: list[tuple[int, str]] = []  # (row, reason) for rows failing this command's rules
    not_drawn = ~accepted["uscc"].isin(drawn)
    for r, u in zip(accepted.loc[not_drawn, ROW], accepted.loc[not_drawn, "uscc"], strict=True):
        extra.append((r, f"uscc: '{u}' 不在 {month} 的抽查名单中 (entity not drawn in {month})"))
    early = accepted["date"] < start
    for r, d in zip(accepted.loc[early, ROW], accepted.loc[early, "date"], strict=True):
        extra.append((r, f"date: 检查日期 {d:%Y-%m-%d} 早于 {month} (date before the month)"))
    bad_rows = {r for r, _ in extra}
    accepted = accepted[~accepted[ROW].isin(bad_rows)].copy()

    # inspectors: as given in the file, else as assigned by the draw
    given = accepted["inspectors"]
    accepted["inspectors"] = given.where(given.notna(), accepted["uscc"].map(drawn))
    if target.task_id is not None:
        accepted["task_id"] = target.task_id
    new = _as_text(accepted)
    new[ROW] = accepted[ROW].to_numpy()

    results_rel = Layout.of(ws).rel(target.results)
    old = read_results(target.results)
    known = dict(zip(_key(old), _content(old), strict=True))
    keep, unchanged = [], 0
    for i, k, c, r in zip(new.index, _key(new), _content(new), new[ROW], strict=True):
        if k not in known:
            known[k] = c
            keep.append(i)
        elif known[k] == c:
            unchanged += 1
        else:
            extra.append(
                (
                    r,
                    "与已导入的同一检查（同一主体、日期、事项）结果不一致；如需更正请联系管理员"
                    " (conflicts with a result already recorded for this entity, date"
                    " and item)",
                )
            )
    added = new.loc[keep, list(RESULT_COLUMNS)]
    combined = pd.concat([old, added], ignore_index=True)

    reasons = pd.DataFrame(extra, columns=[ROW, REASON])
    if len(reasons):
        reasons = reasons.groupby(ROW, as_index=False)[REASON].agg("; ".join)
        mine = raw[raw[ROW].isin(reasons[ROW])].merge(reasons, on=ROW)
        rejected = pd.concat([rejected, mine], ignore_index=True).sort_values(ROW)
    n_rejected = len(rejected)
    rejected_rel = Layout.of(ws).rel(target.rejected)
    if not len(rejected):
        rejected = pd.DataFrame(columns=[ROW, *raw.columns.drop(ROW), REASON])
    payload = {
        "month": month,
        **({"task_id": target.task_id} if target.task_id else {}),
        "source": file.name,
        "source_sha256": sha256_file(file),
        "rows": len(raw),
        "added": len(added),
        "unchanged": unchanged,
        "rejected": n_rejected,
    }
    entry = staged.commit_files(
        ws,
        "results_import",
        payload,
        {results_rel: csv_bom_bytes(combined), rejected_rel: csv_bom_bytes(rejected)},
        actor=actor,
    )
    return ImportSummary(
        month=month,
        rows=len(raw),
        accepted=len(raw) - n_rejected,
        added=len(added),
        unchanged=unchanged,
        rejected=n_rejected,
        results_file=results_rel,
        rejected_file=rejected_rel,
        ledger_seq=entry.seq,
    )
