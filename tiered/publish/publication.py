"""The month's public results list ("一公开"): `out/publish/YYYY-MM.csv` and `.xlsx`.

One row per imported result of the month's draw, with the columns the national publicity system
uses: 名称, 统一社会信用代码, 抽查事项, 检查日期, 检查结果. Personal data is masked
(see `tiered.publish.masking`), cells that Excel would run as formulas are escaped, and each
result is checked against the publication deadline: 20 working days after the inspection by
default, counted with the configured holiday calendar. Late results are still published
(publishing late beats not publishing) but listed in the summary, which makes the command exit 1.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from tables import clock
from tiered import configversion as config_versions
from tiered.config import load_config
from tiered.errors import UsageError
from tiered.files import csv_bom_bytes, xlsx_bytes
from tiered.layout import Layout, Month
from tiered.ledger import staged, vouch
from tiered.ledger.lock import writes
from tiered.publish.masking import mask_name, mask_text
from tiered.publish.workdays import PublishConfig
from tiered.results import read_draw, read_results
from tiered.workspace import find_table_files, read_table

PUBLIC_COLUMNS = ("名称", "统一社会信用代码", "抽查事项", "检查日期", "检查结果")


@dataclass
class PublishSummary:
    month: str
    published_on: str
    rows: int
    files: list[str]
    late: list[dict] = field(default_factory=list)  # uscc, inspection date, working days, due
    warnings: list[str] = field(default_factory=list)
    ledger_seq: int = 0
    # the draw's replacements (tiered replace): who, why, by whom, and whether results exist
    replacements: list[dict] = field(default_factory=list)
    # The publication's own ledger entry hash: print it with the list (a minute, the website);
    # `tiered audit WS --head HASH` later shows the history up to it was not rewritten.
    ledger_head: str = ""
    # results "通过登记的住所（经营场所）无法联系": for the abnormal-operation list procedure
    abnormal_operation: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.late else 0

    def to_dict(self) -> dict:
        return asdict(self)


def _entities(ws: Path) -> pd.DataFrame:
    """uscc -> name, legal_representative, as text (validation is `tiered validate`'s job)."""
    files = find_table_files(ws)
    if "entities" not in files:
        raise UsageError(
            "缺少必需的表 entities（检查对象名录库） (entities table missing)", file=str(ws)
        )
    ent = read_table(files["entities"], "entities", load_config(ws).headers.get("entities"))
    if "legal_representative" not in ent.columns:
        ent["legal_representative"] = None
    ent = ent[ent["uscc"].notna()]
    ent = ent.assign(uscc=ent["uscc"].str.strip().str.upper())
    return ent.drop_duplicates("uscc").set_index("uscc")[["name", "legal_representative"]]


def public_table(results: pd.DataFrame, entities: pd.DataFrame, draw: pd.DataFrame) -> pd.DataFrame:
    """The masked public list for a month's result rows."""
    names = entities["name"].to_dict()
    names.update(
        {
            u: n
            for u, n in zip(draw["uscc"], draw.get("name", draw["uscc"]), strict=True)
            if u not in names
        }
    )
    reps = entities["legal_representative"].to_dict()
    rows = []
    for r in results.itertuples(index=False):
        rep = reps.get(r.uscc)
        hide = (rep,) if isinstance(rep, str) and rep.strip() else ()
        outcome = (
            r.result
            if isinstance(r.result, str) and r.result.strip()
            else ("发现问题" if r.found_problem == "true" else "未发现问题")
        )
        rows.append(
            {
                "名称": mask_text(names.get(r.uscc, ""), hide),
                "统一社会信用代码": r.uscc,
                "抽查事项": mask_text(r.item if isinstance(r.item, str) else "", hide),
                "检查日期": r.date,
                "检查结果": mask_text(outcome, hide),
            }
        )
    df = pd.DataFrame(rows, columns=list(PUBLIC_COLUMNS))
    return df.sort_values(["检查日期", "统一社会信用代码"], kind="stable").reset_index(drop=True)


def public_files(lay: Layout, path_for, table: pd.DataFrame) -> dict[str, bytes]:
    """The public list as the two files a publication writes (CSV with BOM, XLSX), keyed by their
    workspace-relative paths; `path_for(suffix)` gives a file's path (a month's or a task's)."""
    return {
        lay.rel(path_for(".csv")): csv_bom_bytes(table),
        lay.rel(path_for(".xlsx")): xlsx_bytes(table, sheet="抽查结果公示"),
    }


@writes("publish")
def publish(
    ws: str | os.PathLike,
    month: str,
    actor: str | None = None,
    config: PublishConfig | None = None,
    on: dt.date | None = None,
) -> PublishSummary:
    """Write the month's public list (CSV with BOM and XLSX) and ledger the publication.

    `on` is the publication date used for the deadline check (default: today).
    """
    ws = Layout.of(ws).root
    config = config or PublishConfig()
    on = on or clock.today()
    month = str(Month.parse(month))
    staged.recover(ws)  # an interrupted import must land before we read its results
    config_versions.record_use(ws, actor)
    stored = Layout.of(ws).results(month)
    if stored.exists():  # the public list says what the imports recorded, nothing else
        vouch.require(ws, [stored])
    results = read_results(stored)
    if results.empty:
        raise UsageError(
            f"{month} 尚无导入的检查结果，请先运行 tiered results"
            f" (no results imported for {month}: run `tiered results`)"
        )
    table = public_table(results, _entities(ws), read_draw(ws, month))
    late, warnings = lateness(results, config, on)
    replaced = replacements(Layout.of(ws).draw_dir(month), results, warnings)
    lay = Layout.of(ws)
    outputs = public_files(lay, lambda suffix: lay.publication(month, suffix), table)
    payload = {
        "month": month,
        "published_on": on.isoformat(),
        "rows": len(table),
        "late": len(late),
        "replacements": len(replaced),
    }
    entry = staged.commit_files(ws, "publication", payload, outputs, actor=actor)
    return PublishSummary(
        month,
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


def unreachable(results: pd.DataFrame) -> list[dict]:
    """Results in the category 无法联系, which start the abnormal-operation list procedure."""
    if "category" not in results.columns:
        return []
    hit = results[results["category"] == "unreachable"]
    return [{"uscc": u, "date": d} for u, d in zip(hit["uscc"], hit["date"], strict=True)]


def lateness(
    results: pd.DataFrame, config: PublishConfig, on: dt.date
) -> tuple[list[dict], list[str]]:
    """(results published after the deadline, calendar warnings), as of publication on `on`."""
    cal = config.calendar()
    dates = pd.to_datetime(results["date"]).dt.date
    used = cal.count_after(dates.to_numpy(dtype="datetime64[D]"), on)
    late = [
        {
            "uscc": u,
            "date": d.isoformat(),
            "working_days": int(n),
            "due": cal.add(d, config.deadline_working_days).isoformat(),
        }
        for u, d, n in zip(results["uscc"], dates, used, strict=True)
        if n > config.deadline_working_days
    ]
    warnings = []
    unknown = cal.warning({d.year for d in dates} | {on.year})
    if unknown:
        warnings.append(unknown)
    return late, warnings


def replacements(folder: Path, results: pd.DataFrame, warnings: list[str]) -> list[dict]:
    """The draw's (a month's or a task's) replacements for the publication report, each with
    whether results exist; a warning for each entity replaced as unreachable without a result
    (that result starts the abnormal-operation procedure)."""
    from tiered.draws.replace import summary

    recorded = set(results["uscc"].dropna())
    rows = summary(folder)
    for r in rows:
        r["result_recorded"] = r["uscc"] in recorded
        r["replacement_result_recorded"] = r["replacement"] in recorded
        if r["reason"] == "unreachable" and not r["result_recorded"]:
            warnings.append(
                f"{r['uscc']} 因无法联系被替换，但尚未录入结果：请以“通过登记的住所（经营场所）"
                "无法联系”录入 (replaced as unreachable but no result recorded: record it with "
                "the category unreachable)"
            )
    return rows


@dataclass
class PublishPreview:
    """What publishing a month now would leave out, and when each result falls due."""

    month: str
    drawn: int
    recorded: pd.DataFrame  # uscc, date, due, working_days_left (negative: overdue)
    outstanding: pd.DataFrame  # uscc, name, due_if_inspected_by_month_end


def publish_preview(
    ws: str | os.PathLike,
    month: str,
    config: PublishConfig | None = None,
    on: dt.date | None = None,
) -> PublishPreview:
    """Before `publish`: the drawn entities without a recorded result and every result's
    20-working-day due date, so a clerk sees what is missing before making the list public."""
    ws = Path(ws)
    config = config or PublishConfig()
    on = on or clock.today()
    m = Month.parse(month)
    month = str(m)
    draw = read_draw(ws, month)
    results = read_results(Layout.of(ws).results(month))
    cal = config.calendar()
    n = config.deadline_working_days
    rec = results.drop_duplicates("uscc", keep="last")[["uscc", "date"]].reset_index(drop=True)
    days = pd.to_datetime(rec["date"]).dt.date
    rec["due"] = [cal.add(d, n).isoformat() for d in days]
    used = cal.count_after(days.to_numpy(dtype="datetime64[D]"), on) if len(rec) else []
    rec["working_days_left"] = [n - int(u) for u in used]
    missing = draw[~draw["uscc"].isin(set(results["uscc"]))]
    month_end = (m.shift(1).start - pd.Timedelta(days=1)).date()
    out = pd.DataFrame(
        {
            "uscc": missing["uscc"].to_numpy(),
            "name": missing.get("name", missing["uscc"]).to_numpy(),
            "due_if_inspected_by_month_end": cal.add(month_end, n).isoformat(),
        }
    )
    return PublishPreview(month, len(draw), rec, out)


__all__ = [
    "PUBLIC_COLUMNS",
    "PublishConfig",
    "PublishSummary",
    "mask_name",
    "public_table",
    "publish",
    "publish_preview",
]
