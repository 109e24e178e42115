"""The `tiered` command line: thin handlers over the workflow modules.

Every command takes `--json` (one JSON object on stdout, nothing else there) and exits 0 on
success, 1 when it ran but found a problem, 2 when the input or the call is unusable. Errors are
one line naming file, row and column where there is one; never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sampling.errors import SamplingError
from scoring.config import ScoringConfigError
from tables.check import SchemaError
from tiered.errors import TieredError, UsageError, describe_os_error
from tiered.layout import Layout

Handler = Callable[[argparse.Namespace], tuple[int, dict[str, Any], str]]


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad call is one line on stderr (or a JSON object) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if "--json" in sys.argv:
            print(json.dumps({"error": message}, ensure_ascii=False))
        else:
            print(f"tiered: 参数错误 (usage error): {message}", file=sys.stderr)
        raise SystemExit(2)


def _cmd_demo(args: argparse.Namespace) -> tuple[int, dict, str]:
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


def _cmd_validate(args: argparse.Namespace) -> tuple[int, dict, str]:
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


def _rejected_note(ws) -> tuple[int, str]:
    n = ws.report.n_rejected
    if not n:
        return 0, ""
    return 1, (
        f"注意：{n:,} 行输入被拒收，见 (note: rows rejected, see) {ws.path / 'out' / 'rejected'}"
    )


def _cmd_score(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.analysis.scorerun import run_score

    result, ws, target = run_score(args.workspace, args.as_of, args.out)
    code, note = _rejected_note(ws)
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
    if note:
        lines.append(note)
    return code, payload, "\n".join(lines)


def _cmd_draw(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.draws.draw import run_draw

    if args.replace and not (args.reason or "").strip():
        raise UsageError("重抽必须写明原因 --reason (--replace needs a non-empty --reason)")
    from tiered.engine import engine

    with engine(args.engine, args.scheduler) as eng:
        r = run_draw(
            Path(args.workspace),
            args.month,
            args.seed,
            out_dir=args.out,
            replace=args.replace,
            reason=args.reason,
            supersede=args.supersede,
            engine=eng,
        )
    m = r.manifest
    payload = {
        "out": str(r.out_dir),
        "month": m["month"],
        "seed": m["seed"],
        "drawn": int(len(r.table)),
        "frame_sha256": m["frame_sha256"],
        "strata": m["strata"],
        "public": str(r.out_dir / "public"),
        "commitment": m.get("commitment"),
    }
    if r.replaced_dir:
        payload["replaced_dir"] = str(r.replaced_dir)
    superseded = m.get("replaced", {}).get("superseded")
    if superseded:
        payload["superseded"] = superseded
    lines = [
        f"{m['month']} 抽查名单 (inspection list): {len(r.table):,} 户，种子 (seed) '{m['seed']}'",
        f"输出 (written): {r.out_dir}",
        f"公开核验包 (public bundle, for observers): {r.out_dir / 'public'}"
        + (
            f"；依据承诺 (committed) sha256 {m['commitment']['sha256'][:16]}…"
            if m.get("commitment")
            else ""
        ),
    ]
    lines += [
        f"  {s['sector']:<16} {s['tier']}  可抽 eligible {s['eligible']:>7,}  "
        f"抽中 drawn {s['drawn']:>5,}  p={s['inclusion_probability']:.4f}"
        for s in m["strata"]
        if s["drawn"]
    ]
    lines += [f"已作废并存档 (superseded): {a} -> {b}" for a, b in (superseded or {}).items()]
    warning = _unusual_month(m["month"])
    if warning:
        payload["warnings"] = [warning]
        lines.append(f"提示 (warning): {warning}")
    payload["ledger_head"] = m.get("ledger_head", {}).get("hash")
    payload["rejected"] = r.rejected
    if r.rejected:  # drawn without those rows: a problem the clerk must see (exit 1)
        lines.append(
            f"注意：{r.rejected:,} 行输入被拒收，本次抽查未包含它们，见 (note: rows rejected and "
            f"left out of this draw, see) {Layout.of(args.workspace).rejected_dir}"
        )
    return (1 if r.rejected else 0), payload, "\n".join(lines)


def _unusual_month(month: str) -> str | None:
    from tiered.draws.draw import unusual_month

    return unusual_month(month)


def _cmd_commit(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.draws.commit import run_commit

    if args.replace and not (args.reason or "").strip():
        raise UsageError("重新承诺必须写明原因 --reason (--replace needs a non-empty --reason)")
    r = run_commit(
        Path(args.workspace),
        month=args.month,
        task=args.task,
        replace=args.replace,
        reason=args.reason,
    )
    d = r.data
    payload = {
        "out": str(r.out_dir),
        **({"month": d["month"]} if "month" in d else {"task": d["task"]}),
        "commitment_sha256": r.sha256,
        "frame_sha256": d["frame_sha256"],
        "config_sha256": d["config_sha256"],
        "public_frame_sha256": d["public_frame_sha256"],
        "tool_version": d["tool_version"],
        "created_at": d["created_at"],
        "eligible": d["eligible"],
        "rounding_rule": d["rounding_rule"],
        "strata": d["strata"],
        "ledger_seq": r.ledger_seq,
    }
    lines = [
        f"已承诺 (committed) {d.get('month') or 'task ' + d.get('task', '')}: 可抽 eligible "
        f"{d['eligible']:,} 户，期望抽取 (expected) "
        f"{sum(s['target'] for s in d['strata']):.2f}",
        f"commitment.json sha256 {r.sha256}",
        f"请在抽签前公布 (publish before the seed is drawn): {r.out_dir}",
    ]
    return 0, payload, "\n".join(lines)


def _cmd_verify(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.draws.verify import verify_draw

    res = verify_draw(Path(args.draw_dir), Path(args.workspace))
    text = (
        "核验通过：名单与检查人员完全一致 (verified: list and inspectors identical)"
        if res.ok
        else "核验不通过 (does not verify):\n" + "\n".join(f"  {d}" for d in res.differences)
    )
    return (0 if res.ok else 1), res.to_dict(), text


def _cmd_backtest(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.analysis.backtest import backtest_workspace, format_report

    result = backtest_workspace(Path(args.workspace), args.month_from, args.month_to, args.budget)
    return 0, result.summary, format_report(result)


def _cmd_optimise(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.analysis.optimise import apply_proposal, format_report, propose
    from tiered.layout import Month

    if args.apply and not (args.reason or "").strip():
        raise UsageError("应用建议必须写明原因 --reason (--apply needs a non-empty --reason)")
    proposal = propose(
        Path(args.workspace),
        month=None if args.month is None else str(Month.parse(args.month)),
        budget=args.budget,
        budget_share=args.budget_share,
        preset=args.preset,
        precision=args.precision,
        precision_by=args.precision_by,
    )
    payload, text = proposal.to_dict(), format_report(proposal)
    if args.apply:
        entry = apply_proposal(Path(args.workspace), proposal, args.reason)
        payload["applied"] = {"version": entry.payload["version"], "ledger_seq": entry.seq}
        text += (
            f"\n已写入配置版本 v{entry.payload['version']}（账本 #{entry.seq}）"
            f"(written as config version v{entry.payload['version']}, ledger #{entry.seq})"
        )
    return 0, payload, text


def _cmd_results(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.results import import_results

    s = import_results(Path(args.workspace), args.month, Path(args.file), task=args.task)
    lines = [
        f"读取 (read) {s.rows:,} 行：接受 (accepted) {s.accepted:,}（新增 new {s.added:,}，"
        f"已有 unchanged {s.unchanged:,}），拒收 (rejected) {s.rejected:,}",
        f"结果已记入 (recorded in): {s.results_file}",
    ]
    if s.rejected:
        lines.append(f"被拒收的行及原因见 (rejected rows with reasons): {s.rejected_file}")
    return s.exit_code, s.to_dict(), "\n".join(lines)


def _cmd_publish(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.config import load_config
    from tiered.publish.publication import publish
    from tiered.publish.tasks import publish_task

    cfg = load_config(args.workspace)
    if args.task:
        s = publish_task(
            Path(args.workspace), args.task, config=cfg.publish, labels=cfg.result_categories
        )
    else:
        s = publish(Path(args.workspace), args.month, config=cfg.publish)
    lines = [f"已公示 (published) {s.rows:,} 条：" + "、".join(s.files)]
    for a in s.abnormal_operation:
        lines.append(
            f"无法联系 (unreachable): {a['uscc']} 检查日期 {a['date']}，"
            "请启动列入经营异常名录程序 (start the abnormal-operation list procedure)"
        )
    for late in s.late:
        lines.append(
            f"超期 (late): {late['uscc']} 检查日期 {late['date']}，"
            f"已过 {late['working_days']} 个工作日，应于 {late['due']} 前公示 "
            f"(published {late['working_days']} working days after the inspection)"
        )
    for r in s.replacements:
        lines.append(
            f"替换 (replaced) {r['uscc']} -> {r['replacement']}（{r['stratum']} 第 {r['rank']} 位 "
            f"rank）原因 (reason): {r['reason_label']}"
        )
    lines += [f"提示 (warning): {w}" for w in s.warnings]
    lines.append(
        f"账本头 (ledger head) {s.ledger_head}：请随公示一并公布，"
        "日后可用 tiered audit --head 核对 "
        "(publish it with the list; `tiered audit --head` checks it later)"
    )
    return s.exit_code, s.to_dict(), "\n".join(lines)


def _cmd_replace(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.draws.replace import REASONS, run_replace

    r = run_replace(Path(args.workspace), args.uscc, args.reason, month=args.month, task=args.task)
    text = (
        f"已替换 (replaced) {r.uscc} -> {r.replacement}（{r.stratum} 替补第 {r.rank} 位 rank），"
        f"原因 (reason): {REASONS[r.reason]}；执法检查人员 (inspectors) {r.inspectors}"
    )
    return 0, r.to_dict(), text


def _cmd_upload(args: argparse.Namespace) -> tuple[int, dict, str]:
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


def _cmd_restore(args: argparse.Namespace) -> tuple[int, dict, str]:
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


def _cmd_audit(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.ledger.chain import audit

    rep = audit(Path(args.workspace), heads=args.head or ())
    return rep.exit_code, rep.to_dict(), "\n".join(rep.lines())


COMMANDS: dict[str, tuple[str, Handler]] = {
    "demo": ("写出合成的海东式演示工作区 (write a synthetic demo workspace)", _cmd_demo),
    "validate": ("检查工作区的每张表 (check every table)", _cmd_validate),
    "score": ("计算信用评分与风险等级 (score every active entity)", _cmd_score),
    "draw": (
        "抽取本月检查名单并随机分配检查人员 (draw the month's list, assign inspectors)",
        _cmd_draw,
    ),
    "commit": (
        "抽签前承诺名录与配额 (before the seed: freeze frame, tiers, rates and quotas)",
        _cmd_commit,
    ),
    "verify": (
        "按工作区与 manifest 重算并核对抽查名单 (recompute and compare a draw)",
        _cmd_verify,
    ),
    "backtest": (
        "按历史逐月回放，比较抽查策略 (replay history, compare draw policies)",
        _cmd_backtest,
    ),
    "optimise": (
        "在预算、保底与区间约束下求发现问题最多的各层抽查比例 (propose per-stratum rates)",
        _cmd_optimise,
    ),
    "results": ("导入本月抽查结果 (record the results of a month's draw)", _cmd_results),
    "publish": ("生成公示名单 (write the public results list)", _cmd_publish),
    "audit": ("核验账本与文件 (check the ledger's hash chain and files)", _cmd_audit),
    "replace": (
        "按公开的替补顺序替换无法检查的主体 (replace a drawn entity by the published order)",
        _cmd_replace,
    ),
    "upload": ("检查并上传一张数据表，旧版本存档 (check and upload a table)", _cmd_upload),
    "restore": ("恢复一张数据表的旧版本 (put back an earlier version of a table)", _cmd_restore),
}


# Commands whose results depend on config.yaml: a changed config gets a ledger entry first.
RECORDS_CONFIG = ("score", "draw", "results", "publish", "commit", "task", "plan")


# Commands that only read take the workspace lock shared (one consistent state); every other
# command, including any added later, holds it exclusively from its first read to its last write.
READ_ONLY = ("verify", "audit", "backtest")  # `plan` writes its report and a ledger entry


def _workspace_lock(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    from tiered.ledger.lock import command_lock

    ws = getattr(args, "workspace", None)
    return command_lock(ws, f"tiered {args.command}", exclusive=args.command not in READ_ONLY)


def _record_config(ws: Path) -> None:
    from tiered import configversion as config_versions

    config_versions.record_use(ws)


def _engine_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="where the per-partition work runs (outputs are identical)",
    )
    sp.add_argument(
        "--scheduler",
        default=None,
        help="dask scheduler address, e.g. tcp://host:8786 (default: a local cluster)",
    )


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数 (not an integer): {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"不能为负数 (must not be negative): {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("应大于 0 (must be at least 1)")
    return value


def _month_or_task(sp: argparse.ArgumentParser) -> None:
    group = sp.add_mutually_exclusive_group(required=True)
    group.add_argument("--month", help="YYYY-MM")
    group.add_argument("--task", help="task_id of a drawn task")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="one JSON object on stdout")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    p = _Parser(prog="tiered", description="分级分类“双随机、一公开”抽查 (tiered supervision)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add(name: str) -> argparse.ArgumentParser:
        help_text, handler = COMMANDS[name]
        sp = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        sp.set_defaults(handler=handler)
        return sp

    from tiered.tasks.commands import register as register_tasks

    register_tasks(sub, common, _Parser)
    sp = add("demo")
    sp.add_argument("workspace")
    sp.add_argument("--entities", type=_positive_int, default=20000)
    sp.add_argument("--seed", type=_non_negative_int, default=0)
    sp.add_argument("--force", action="store_true", help="overwrite tables already in WS")
    sp.add_argument(
        "--end", default=None, help="last month of history, YYYY-MM (default: last month)"
    )
    sp = add("validate")
    sp.add_argument("workspace")
    sp = add("score")
    sp.add_argument("workspace")
    sp.add_argument("--as-of", required=True, help="only information dated before this counts")
    sp.add_argument("--out", default=None, help="default: WS/out/scores/DATE.csv")
    _engine_options(sp)
    sp = add("draw")
    sp.add_argument("workspace")
    sp.add_argument("--month", required=True, help="YYYY-MM")
    sp.add_argument(
        "--seed",
        required=True,
        help="public seed read aloud at the draw meeting; 'auto' = from the OS",
    )
    sp.add_argument("--out", default=None, help="default: WS/out/draws/YYYY-MM/")
    sp.add_argument("--replace", action="store_true", help="replace an existing draw")
    sp.add_argument("--reason", default=None, help="why the draw is replaced (kept)")
    sp.add_argument(
        "--supersede",
        action="store_true",
        help="replace a draw that has results or a public list: archive them as superseded",
    )
    _engine_options(sp)
    sp = add("commit")
    sp.add_argument("workspace")
    which = sp.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", help="YYYY-MM")
    which.add_argument("--task", help="task id")
    sp.add_argument("--replace", action="store_true", help="replace an existing commitment")
    sp.add_argument("--reason", default=None, help="why it is replaced (kept)")
    sp = add("verify")
    sp.add_argument("draw_dir")
    sp.add_argument("--workspace", required=True)
    sp = add("backtest")
    sp.add_argument("workspace")
    sp.add_argument("--from", dest="month_from", required=True, help="YYYY-MM")
    sp.add_argument("--to", dest="month_to", required=True, help="YYYY-MM")
    sp.add_argument(
        "--budget",
        type=float,
        required=True,
        help="share of each month's frame inspected, e.g. 0.1",
    )
    sp = add("optimise")
    sp.add_argument("workspace")
    budget = sp.add_mutually_exclusive_group()
    budget.add_argument(
        "--budget", type=_non_negative_int, default=None, help="inspections per month"
    )
    budget.add_argument(
        "--budget-share",
        type=float,
        default=None,
        help="share of the active entities inspected per year (default: today's plan's total)",
    )
    sp.add_argument("--month", default=None, help="YYYY-MM (default: this month, Beijing time)")
    sp.add_argument("--preset", choices=["henan", "daqing", "yuexiu"], default=None)
    sp.add_argument(
        "--precision", type=float, default=None, help="95%% half-width target, e.g. 0.05"
    )
    sp.add_argument("--precision-by", choices=["tier", "sector"], default="tier")
    sp.add_argument("--apply", action="store_true", help="write the proposal as a config version")
    sp.add_argument("--reason", default=None, help="why the rates change (ledgered)")
    sp = add("results")
    sp.add_argument("workspace")
    _month_or_task(sp)
    sp.add_argument("file", help="results: uscc, date, found_problem, result, item, category")
    sp = add("publish")
    sp.add_argument("workspace")
    _month_or_task(sp)
    sp = add("audit")
    sp.add_argument("workspace")
    sp.add_argument(
        "--head",
        action="append",
        metavar="HASH",
        help="a ledger head noted elsewhere (a published manifest's ledger_head): must be in "
        "the chain; repeatable",
    )
    sp = add("replace")
    sp.add_argument("workspace")
    which = sp.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", help="YYYY-MM")
    which.add_argument("--task", help="task id")
    sp.add_argument("--uscc", required=True, help="the drawn entity that cannot be inspected")
    sp.add_argument(
        "--reason",
        required=True,
        choices=[
            "deregistered",
            "unreachable",
            "recusal_leaves_too_few",
            "duplicate_task",
            "out_of_scope",
        ],
        help="why it cannot be inspected",
    )
    sp = add("upload")
    sp.add_argument("workspace")
    sp.add_argument("file", help="CSV (UTF-8/GBK), XLSX or Parquet")
    sp.add_argument("--table", required=True, help="entities, records, inspections, ...")
    sp.add_argument("--mode", choices=("replace", "update"), default="replace")
    sp.add_argument("--reason", default=None, help="why (kept in the ledger); required")
    sp.add_argument("--force", action="store_true", help="even if most rows would be orphaned")
    sp.add_argument("--dry-run", action="store_true", help="only show what would change")
    sp = add("restore")
    sp.add_argument("workspace")
    sp.add_argument("--table", required=True)
    sp.add_argument("--version", type=_positive_int, default=None, help="default: the latest")
    sp.add_argument("--reason", default=None)
    sp.add_argument("--force", action="store_true")
    sp.add_argument("--list", action="store_true", help="list the kept versions")
    return p


# Arguments that name a file or folder: resolved to absolute paths once, here at the edge, so
# nothing below can join a relative workspace path twice (`ws/ws/out/...`).
PATH_ARGS = ("workspace", "out", "draw_dir", "file")


def _resolve_paths(args: argparse.Namespace) -> None:
    for name in PATH_ARGS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value:
            setattr(args, name, str(Path(value).expanduser().resolve()))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _resolve_paths(args)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(message)s",
    )
    try:
        with _workspace_lock(args):
            if args.command in RECORDS_CONFIG:
                _record_config(Path(args.workspace))
            code, payload, text = args.handler(args)
    except TieredError as exc:
        return _fail(args, str(exc), exc.exit_code)
    except (SamplingError, ScoringConfigError, SchemaError) as exc:
        return _fail(args, str(exc), 2)
    except KeyboardInterrupt:
        return _fail(args, "已中断 (interrupted)", 2)
    except OSError as exc:  # a path that is a folder, a full disk, no permission: one line
        return _fail(args, describe_os_error(exc), 2)
    except MemoryError:
        return _fail(args, "内存不足 (out of memory)", 2)
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback to a file
        with tempfile.NamedTemporaryFile(
            "w", prefix="tiered-error-", suffix=".log", delete=False
        ) as f:
            traceback.print_exc(file=f)
        return _fail(
            args,
            f"内部错误 (internal error): {type(exc).__name__}: {exc} "
            f"— 详情见 (details in) {f.name}",
            2,
        )
    try:
        if args.json:
            print(json.dumps(payload, ensure_ascii=False, default=str))
        elif text:
            print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
    return code


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        print(f"tiered: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
