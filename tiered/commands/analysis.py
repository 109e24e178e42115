"""The `tiered` commands backtest and optimise: replaying history and proposing rates.

Each handler takes the parsed arguments and returns (exit code, JSON payload, text).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tiered.errors import UsageError


def cmd_backtest(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.analysis.backtest import backtest_workspace, format_report

    result = backtest_workspace(Path(args.workspace), args.month_from, args.month_to, args.budget)
    return 0, result.summary, format_report(result)


def cmd_optimise(args: argparse.Namespace) -> tuple[int, dict, str]:
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
