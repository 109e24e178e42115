"""The task commands of the CLI: `tiered task draw`, `tiered task status`, `tiered plan`.

`tiered.cli` calls `register` to add them; each handler returns (exit code, JSON payload, text),
as every command does there.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _cmd_task_draw(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.errors import UsageError
    from tiered.tasks.draw import run_task_draw

    if args.replace and not (args.reason or "").strip():
        raise UsageError("重抽必须写明原因 --reason (--replace needs a non-empty --reason)")
    r = run_task_draw(
        Path(args.workspace), args.task, args.seed, replace=args.replace, reason=args.reason
    )
    m = r.manifest
    task = m["task"]
    payload = {
        "out": str(r.out_dir),
        "task_id": m["task_id"],
        "seed": m["seed"],
        "drawn": int(len(r.table)),
        "frame_rows": m["frame_rows"],
        "frame_sha256": m["frame_sha256"],
        "departments": [d for d, _ in task["teams"]],
        "strata": m["strata"],
    }
    if r.replaced_dir:
        payload["replaced_dir"] = str(r.replaced_dir)
    lines = [
        f"任务 {m['task_id']} {task['name']}：范围内 (in scope) {m['frame_rows']:,} 户，"
        f"抽中 (drawn) {len(r.table):,} 户，种子 (seed) '{m['seed']}'",
        "部门 (departments): " + "；".join(f"{d} {'、'.join(i)}" for d, i in task["teams"]),
        f"输出 (written): {r.out_dir}",
    ]
    lines += [
        f"  {s['sector']:<16} {s['tier']}  可抽 eligible {s['eligible']:>6,}  "
        f"抽中 drawn {s['drawn']:>4,}  p={s['inclusion_probability']:.4f}  "
        + " ".join(f"{k}:{v}" for k, v in s.get("tier_sources", {}).items())
        for s in m["strata"]
        if s["drawn"]
    ]
    return 0, payload, "\n".join(lines)


def _cmd_task_status(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.tasks.status import format_status, task_status

    rows = task_status(Path(args.workspace))
    overdue = any(r["unpublished"]["overdue"] or r["without_result"]["overdue"] for r in rows)
    return (1 if overdue else 0), {"tasks": rows}, format_status(rows)


def _cmd_plan(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.tasks.plan import format_report, plan_report

    report = plan_report(Path(args.workspace), args.year)
    return 0, report, format_report(report)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, parser_class):
    """Add `task draw` and `plan` to the CLI's subcommands."""
    help_text = "抽查任务 (inspection tasks): draw, status"
    sp = sub.add_parser("task", parents=[common], help=help_text, description=help_text)
    inner = sp.add_subparsers(dest="task_command", required=True, parser_class=parser_class)
    d = inner.add_parser(
        "draw", parents=[common], help="抽取一个任务的检查名单 (draw one task's list)"
    )
    d.set_defaults(handler=_cmd_task_draw)
    d.add_argument("workspace")
    d.add_argument("--task", required=True, help="task_id in the tasks table")
    d.add_argument("--seed", required=True, help="public seed read aloud at the draw meeting")
    d.add_argument("--replace", action="store_true", help="replace an existing draw")
    d.add_argument("--reason", default=None, help="why the draw is replaced (kept)")
    st = inner.add_parser(
        "status",
        parents=[common],
        help="任务状态与公示期限 (each task's state and the 20-working-day deadline report)",
    )
    st.set_defaults(handler=_cmd_task_status)
    st.add_argument("workspace")
    help_text = "年度抽查计划报告 (the annual plan report: expected entities, inspectors, rules)"
    p = sub.add_parser("plan", parents=[common], help=help_text, description=help_text)
    p.set_defaults(handler=_cmd_plan)
    p.add_argument("workspace")
    p.add_argument("--year", required=True, type=int, help="YYYY")
