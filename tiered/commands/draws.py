"""The `tiered` commands draw, commit, verify and replace: a month's draw, its commitment
and replacements.

Each handler takes the parsed arguments and returns (exit code, JSON payload, text).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tiered.errors import UsageError
from tiered.layout import Layout


def cmd_draw(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.draws.draw import run_draw

    if args.replace and not (args.reason or "").strip():
        raise UsageError("重抽必须写明原因 --reason (--replace needs a non-empty --reason)")
    from tiered.engine import engine

    with engine(args.engine, args.scheduler, args.parts) as eng:
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


def cmd_commit(args: argparse.Namespace) -> tuple[int, dict, str]:
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


def cmd_verify(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.draws.verify import verify_draw

    res = verify_draw(Path(args.draw_dir), Path(args.workspace))
    text = (
        "核验通过：名单与检查人员完全一致 (verified: list and inspectors identical)"
        if res.ok
        else "核验不通过 (does not verify):\n" + "\n".join(f"  {d}" for d in res.differences)
    )
    return (0 if res.ok else 1), res.to_dict(), text


def cmd_replace(args: argparse.Namespace) -> tuple[int, dict, str]:
    from tiered.draws.replace import REASONS, run_replace

    r = run_replace(Path(args.workspace), args.uscc, args.reason, month=args.month, task=args.task)
    text = (
        f"已替换 (replaced) {r.uscc} -> {r.replacement}（{r.stratum} 替补第 {r.rank} 位 rank），"
        f"原因 (reason): {REASONS[r.reason]}；执法检查人员 (inspectors) {r.inspectors}"
    )
    return 0, r.to_dict(), text
