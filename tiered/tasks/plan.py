"""`tiered plan WS --year YYYY`: what the year's tasks will ask, before anything is drawn.

For every task whose window meets the year, the report gives the expected number of entities
(the quotas' targets before rounding, on the frame the task would draw from today), spread over
the window's months; the inspector visits each department needs per county against the active
inspectors it has; and every entity-level rule the plan would break: an entity expected to get
more planned visits in the year than the cap allows (one, unless an item's frequency rule asks
for more), or fewer than an item's frequency rule requires. Only the report
(`out/plans/YYYY.json`) and its ledger entry are written.

Tiers: each task is planned with the tiers its own draw will use, those as of the first day of
its start month, not one set for the year: records fade, expire and are repaired between
January and December, and a task in October draws on October's tiers. They are computed from
the records known on the day the plan is made (later records do not exist yet). An imported
classification (SAMR's monthly one) is taken as known on that day too: for a task starting
later, the newest classification at hand stands in for the one that will be pushed by then;
ageing it to the task's month would wrongly drop it (it would be too old by then) and plan on
the product's own score for entities the draw will take from SAMR.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict

import numpy as np
import pandas as pd

from sampling.plan import mark_eligibility, month_start, plan_quotas, stratum_codes
from tables import clock
from tiered.analysis.scorerun import tiers_as_of
from tiered.draws.draw import build_frame
from tiered.errors import UsageError
from tiered.layout import Layout
from tiered.ledger.lock import writes
from tiered.tasks.draw import spec_from_record, task_record
from tiered.tasks.model import Task, load_tasks
from tiered.tasks.teams import department_inspectors
from tiered.workspace import Workspace, load_workspace

CAP = 1  # planned visits a year to one entity, in principle (DOMAIN: Jiangsu 2025)


def _in_year(task: Task, year: int) -> bool:
    return task.start.year <= year <= task.end.year


def _months(task: Task, year: int) -> dict[str, float]:
    """Share of the window's days in each month of `year`."""
    days = pd.date_range(task.start, task.end, freq="D")
    share = pd.Series(1.0 / len(days), index=days)
    share = share[share.index.year == year]
    by_month = share.groupby(share.index.strftime("%Y-%m")).sum()
    return {str(k): float(v) for k, v in by_month.items()}


def _expected(
    ws: Workspace, task: Task, scores: pd.DataFrame, known_on: pd.Timestamp
) -> tuple[pd.DataFrame, dict]:
    """(frame with each entity's chance `p` of being drawn, the task's record)."""
    record = task_record(ws, task)
    spec = spec_from_record(record)
    config = spec.adjust(ws.config.sampling)
    frame, _ = build_frame(ws, spec.month, scores, spec=spec, imports_known_on=known_on)
    marked = mark_eligibility(frame, spec.month, config)
    code, keys = stratum_codes(marked) if len(marked) else (np.zeros(0, int), None)
    if keys is None:
        return marked.assign(p=0.0), record
    size = {"share": spec.share, "ratio": spec.ratio, "count": spec.count}
    strata = plan_quotas(marked, config, "plan", (code, keys), **size)
    rate = (strata["target"] / strata["pool"].where(strata["pool"] > 0)).fillna(0.0)
    p = rate.to_numpy()[code] * marked["eligible"].to_numpy()
    return marked.assign(p=np.where(marked["must_inspect"], 1.0, p)), record


@writes("plan")
def plan_report(
    ws_path: str | os.PathLike,
    year: int,
    actor: str | None = None,
    today: dt.date | None = None,
) -> dict:
    """Build, write and ledger the year's plan report (see the module docstring); `today` is
    the day the plan is made (what is known)."""
    ws = load_workspace(ws_path)
    tasks = [t for t in load_tasks(ws).values() if _in_year(t, year)]
    if not tasks:
        raise UsageError(f"{year} 年没有抽查任务 (no task's window meets {year})")
    today = today or clock.today()
    rows, visits, needs = [], defaultdict(float), defaultdict(float)
    frequency: dict[str, dict] = {}
    scores: dict[str, pd.DataFrame] = {}  # own tiers per as-of month, computed once each
    for task in sorted(tasks, key=lambda t: (t.start, t.task_id)):
        start = month_start(task.month)
        known_on = min(start, pd.Timestamp(today))
        if task.month not in scores:
            scores[task.month] = tiers_as_of(ws, start)
        frame, record = _expected(ws, task, scores[task.month], known_on)
        expected = float(frame["p"].sum())
        in_year = {m: expected * s for m, s in _months(task, year).items()}
        row = _task_row(task, record, frame, expected, in_year)
        row["tiers_as_of"] = f"{start:%Y-%m-%d}"
        row["imported_tiers_known_on"] = f"{known_on:%Y-%m-%d}"
        rows.append(row)
        for u, p in zip(frame["uscc"], frame["p"], strict=True):
            if p > 0:
                visits[u] += p * sum(in_year.values()) / max(expected, 1e-12)
        _add_needs(needs, record, frame, ws.config.sampling.assignment.inspectors_per_inspection)
        _add_frequency(frequency, record, frame)
    report = {
        "year": year,
        "made_on": today.isoformat(),
        "tiers": {
            "rule": TIERS_RULE,
            "as_of": sorted({r["tiers_as_of"] for r in rows}),
        },
        "tasks": rows,
        "months": _month_totals(rows, year),
        "inspectors": _staffing(ws, needs),
        "rules_broken": _rules(visits, frequency),
    }
    _write(ws, year, report, actor)
    return report


TIERS_RULE = (
    "每个任务按其抽签时将用的等级：任务开始月首日的等级，依编制计划时已知的记录计算；导入的分类"
    "（如市场监管总局按月推送的）取编制计划时最新的一期 (each task with the tiers its draw will "
    "use: as of the first day of its start month, from the records known when the plan is made; "
    "an imported classification is the latest one known on that day)"
)


def _add_needs(needs: dict, record: dict, frame: pd.DataFrame, per_visit: int) -> None:
    """Inspector visits each department of the task needs, per county."""
    by_region = frame.groupby("region")["p"].sum()
    for dept, _ in record["teams"]:
        for region, p in by_region.items():
            needs[(dept, str(region))] += float(p) * per_visit


def _add_frequency(frequency: dict, record: dict, frame: pd.DataFrame) -> None:
    """Entities an item's frequency rule covers, with the visits a year it asks for (and the
    tier that asks for them, in the task's month)."""
    if not record["visits"]:
        return
    for u, t in zip(frame["uscc"], frame["tier"], strict=True):
        need = record["visits"].get(str(t), 0)
        if need:
            known = frequency.setdefault(u, {"need": 0, "tier": str(t)})
            if need > known["need"]:
                known.update(need=need, tier=str(t))


def _task_row(task: Task, record: dict, frame: pd.DataFrame, expected: float, in_year) -> dict:
    return {
        "task_id": task.task_id,
        "name": task.name,
        "start": task.start.isoformat(),
        "end": task.end.isoformat(),
        "kind": task.kind,
        "joint": task.joint,
        "departments": [d for d, _ in record["teams"]],
        "jurisdiction": task.jurisdiction,
        "in_scope": int(len(frame)),
        "tier_mix": {str(k): int(v) for k, v in frame["tier"].value_counts().sort_index().items()},
        "eligible": int(frame["eligible"].sum()),
        "expected": round(expected, 1),
        "months": {m: round(v, 1) for m, v in in_year.items()},
    }


def _month_totals(rows: list[dict], year: int) -> dict[str, float]:
    out = {f"{year}-{m:02d}": 0.0 for m in range(1, 13)}
    for r in rows:
        for m, v in r["months"].items():
            out[m] = round(out[m] + v, 1)
    return out


def _staffing(ws: Workspace, needs: dict[tuple[str, str], float]) -> list[dict]:
    """Per department and county: expected inspector visits against active inspectors."""
    insp = ws.table("inspectors")
    active = insp[insp["active"].fillna(True).astype(bool)] if "active" in insp else insp
    out = []
    for (dept, region), visits in sorted(needs.items()):
        have = len(department_inspectors(active, dept, region))
        out.append(
            {
                "department": dept,
                "region": region,
                "visits": round(visits, 1),
                "inspectors": have,
                "visits_per_inspector": round(visits / have, 1) if have else None,
                "short": have < ws.config.sampling.assignment.inspectors_per_inspection,
            }
        )
    return out


def _rules(visits: dict[str, float], frequency: dict[str, dict]) -> dict:
    """Entity-level rules the plan would break: the cap and the items' frequency minimums."""
    over = [u for u, v in visits.items() if v > CAP + 1e-9 and u not in frequency]
    short = [u for u, f in frequency.items() if visits.get(u, 0.0) < f["need"] - 1e-9]
    by_tier = pd.Series([frequency[u]["tier"] for u in short], dtype=object)
    by_tier = by_tier.value_counts().sort_index()
    return {
        "cap": {
            "rule": f"计划检查每年不超过 {CAP} 次 (at most {CAP} planned visit a year)",
            "entities": len(over),
            "examples": sorted(over)[:5],
        },
        "frequency_minimum": {
            "rule": "事项检查频次下限未达到 (an item's visits-a-year minimum not met)",
            "entities": len(short),
            "by_tier": {str(k): int(v) for k, v in by_tier.items()},
            "examples": sorted(short)[:5],
        },
    }


def _write(ws: Workspace, year: int, report: dict, actor: str | None) -> None:
    from tiered.ledger import staged

    data = (json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    payload = {"year": year, "tasks": len(report["tasks"])}
    rel = Layout.of(ws.path).rel(Layout.of(ws.path).plan_report(year))
    staged.commit_files(ws.path, "plan_report", payload, {rel: data}, actor=actor)


def format_report(report: dict) -> str:
    lines = [
        f"{report['year']} 年度抽查计划 (annual plan)，编制于 (made on) {report['made_on']}",
        f"等级 (tiers): {report['tiers']['rule']}",
    ]
    lines.append("任务 (task)                       范围 scope  可抽 eligible  预计 expected")
    for r in report["tasks"]:
        flags = ("联合 " if r["joint"] else "") + ("定向 " if r["kind"] == "directed" else "")
        where = f" [{r['jurisdiction']}]" if r["jurisdiction"] else ""
        lines.append(
            f"  {r['task_id']} {r['name'][:16]}{where} {flags}{r['in_scope']:>8,} "
            f"{r['eligible']:>10,} {r['expected']:>10.1f}  等级 tiers {r['tiers_as_of']}"
        )
    months = "  ".join(f"{m[5:]}:{v:.0f}" for m, v in report["months"].items())
    lines.append(f"按月 (by month): {months}")
    short = [s for s in report["inspectors"] if s["short"]]
    busiest = sorted(report["inspectors"], key=lambda s: -(s["visits_per_inspector"] or 1e9))[:5]
    lines.append("执法人员 (inspectors, visits per inspector, busiest):")
    for s in busiest:
        lines.append(
            f"  {s['region']} {s['department']}: {s['visits']:.0f} 人次 / {s['inspectors']} 人"
        )
    if short:
        lines.append(f"人员不足 (departments short of inspectors): {len(short)}")
    rules = report["rules_broken"]
    lines.append(
        f"超过频次上限 (over the cap): {rules['cap']['entities']:,} 户；"
        f"未达事项频次下限 (below an item's minimum): {rules['frequency_minimum']['entities']:,} 户"
    )
    return "\n".join(lines)
