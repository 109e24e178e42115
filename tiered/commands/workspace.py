"""The `tiered` commands demo, validate, score, upload, restore and audit: the workspace's
tables, scores and ledger.

Each handler takes the parsed arguments and returns (exit code, JSON payload, text).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tiered.errors import UsageError


def cmd_demo(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.demo.build import write_demo
    from tiered.workspace import find_table_files

    ws = Path(args.workspace)
    if ws.exists() and not ws.is_dir():
        raise UsageError("这是一个文件，不是文件夹 (not a folder)", file=str(ws))
    existing = find_table_files(ws) if ws.is_dir() else {}
    if existing and not args.force:
        names = "、".join(sorted(p.name for p in existing.values()))
        raise UsageError(
            f"文件夹中已有数据表（{names}），演示数据会覆盖它们；确需覆盖请加 --force "
            "(the folder already holds tables the demo would overwrite: add --force)",
            file=str(ws),
        )

    summary = write_demo(
        Path(args.workspace), n_entities=args.entities, seed=args.seed, end=args.end
    )
    lines = [f"演示工作区已生成 (demo workspace written): {args.workspace}"]
    lines += [f"  {k}: {v:,}" for k, v in summary.get("rows", {}).items()]
    return 0, summary, "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tables.summary import summary_lines
    from tiered.workspace import load_workspace, vouch_validation

    ws = load_workspace(args.workspace)
    vouch_validation(ws)
    rep = ws.report
    summary = rep.summary
    payload = {
        "tables": rep.counts,
        "errors": rep.errors,
        "warnings": rep.warnings,
        "duplicates": summary["duplicates"],
        "cascade": summary["cascade"],
    }
    lines = ["表 (table)            读取 rows   接受 accepted   拒收 rejected"]
    for name, c in rep.counts.items():
        lines.append(f"{name:<20} {c['rows']:>10,} {c['accepted']:>14,} {c['rejected']:>14,}")
    lines += summary_lines(summary)
    for e in rep.errors[:20]:
        lines.append(f"{e.get('file', e['table'])} 第{e['row']}行 列 {e['column']}: {e['message']}")
    if len(rep.errors) > 20:
        lines.append(f"… 另有 {len(rep.errors) - 20:,} 条 (and more)")
    for w in rep.warnings[:10]:
        lines.append(f"警告 (warning) {w['file']} 第{w['row']}行 列 {w['column']}: {w['message']}")
    if rep.n_rejected:
        lines.append(
            f"被拒收的行及原因见 (rejected rows with reasons): {ws.path / 'out' / 'rejected'}"
        )
    else:
        lines.append("全部通过 (all rows accepted)")
    return (1 if rep.n_rejected else 0), payload, "\n".join(lines)


def rejected_note(ws) -> tuple[int, str]:
    n = ws.report.n_rejected
    if not n:
        return 0, ""
    return 1, (
        f"注意：{n:,} 行输入被拒收，见 (note: rows rejected, see) {ws.path / 'out' / 'rejected'}"
    )


def cmd_score(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.analysis.scorerun import run_score
    from tiered.engine import engine

    with engine(args.engine, args.scheduler, args.parts) as eng:
        result, ws, target = run_score(args.workspace, args.as_of, args.out, engine=eng)
    code, note = rejected_note(ws)
    mix = result.tier_mix()
    payload = {
        "as_of": result.as_of.date().isoformat(),
        "out": str(target),
        "entities": len(result.frame),
        "tier_mix": mix,
        "risk_method": result.risk_source,
        "seconds": round(result.seconds, 3),
        "rejected": ws.report.n_rejected,
    }
    lines = [
        f"已评分 (scored) {len(result.frame):,} 户，截至 (as of) {payload['as_of']}",
        "等级分布 (tier mix): " + "  ".join(f"{t} {v:.1%}" for t, v in mix.items()),
        f"输出 (written): {target}",
    ]
    if result.model is not None:
        reused = result.stored.seq if result.stored is not None else None
        payload["model"] = {"as_of": payload["as_of"], "reused_from": reused}
        lines.append(
            f"学习模型 (learned model): 沿用账本第 {reused} 条记录存下的模型 (reused from ledger "
            f"entry #{reused}: same data, date, configs and code)"
            if reused is not None
            else "学习模型 (learned model): 已训练 (trained)"
        )
    if note:
        lines.append(note)
    return code, payload, "\n".join(lines)


def cmd_upload(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered import upload

    if args.dry_run:
        plan = upload.plan_upload(args.workspace, args.table, args.file, args.mode)
        return 0, {"plan": plan.to_dict(), "applied": False}, "\n".join(plan.lines())
    plan, entry = upload.upload(
        args.workspace, args.table, args.file, args.mode, args.reason, force=args.force
    )
    lines = [*plan.lines(), f"已写入 (written) {entry.payload['file']}，账本 (ledger) #{entry.seq}"]
    if entry.payload.get("previous_copy"):
        lines.append(f"旧版本已保存 (previous version kept): {entry.payload['previous_copy']}")
    payload = {"plan": plan.to_dict(), "applied": True, "ledger_seq": entry.seq}
    payload["previous_copy"] = entry.payload.get("previous_copy")
    return (1 if plan.rejected_after else 0), payload, "\n".join(lines)


def cmd_restore(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered import upload

    if args.list:
        kept = upload.versions(args.workspace, args.table)
        lines = [
            f"{v['version']:>3}  {v['copy']}  {v['replaced_at'][:19]}  {v['reason']}" for v in kept
        ]
        return 0, {"versions": kept}, "\n".join(lines) or "没有保存的旧版本 (no versions kept)"
    plan, entry = upload.restore(
        args.workspace, args.table, args.reason, args.version, force=args.force
    )
    lines = [
        *plan.lines(),
        f"已恢复 (restored) {entry.payload['restored_copy']}，账本 #{entry.seq}",
    ]
    payload = {"plan": plan.to_dict(), "restored": entry.payload["restored_copy"]}
    return 0, {**payload, "ledger_seq": entry.seq}, "\n".join(lines)


def cmd_audit(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.ledger.chain import audit

    rep = audit(Path(args.workspace), heads=args.head or ())
    return rep.exit_code, rep.to_dict(), "\n".join(rep.lines())
