"""The `tiered` commands results and publish: a draw's outcomes and the public list.

Each handler takes the parsed arguments and returns (exit code, JSON payload, text).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_results(args: argparse.Namespace) -> tuple[int, dict, str]:
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


def cmd_publish(args: argparse.Namespace) -> tuple[int, dict, str]:
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
