"""The `tiered` command line's arguments: the parser, apart from the handlers that run them.

`COMMANDS` names every top-level command with its help text and handler (one module per command
group under `tiered.commands`; the task commands register themselves, `tiered.tasks.commands`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from tiered.commands import analysis, draws, publish, workspace

Handler = Callable[[argparse.Namespace], tuple[int, dict[str, Any], str]]


COMMANDS: dict[str, tuple[str, Handler]] = {
    "demo": ("写出合成的海东式演示工作区 (write a synthetic demo workspace)", workspace.cmd_demo),
    "validate": ("检查工作区的每张表 (check every table)", workspace.cmd_validate),
    "score": ("计算信用评分与风险等级 (score every active entity)", workspace.cmd_score),
    "draw": (
        "抽取本月检查名单并随机分配检查人员 (draw the month's list, assign inspectors)",
        draws.cmd_draw,
    ),
    "commit": (
        "抽签前承诺名录与配额 (before the seed: freeze frame, tiers, rates and quotas)",
        draws.cmd_commit,
    ),
    "verify": (
        "按工作区与 manifest 重算并核对抽查名单 (recompute and compare a draw)",
        draws.cmd_verify,
    ),
    "backtest": (
        "按历史逐月回放，比较抽查策略 (replay history, compare draw policies)",
        analysis.cmd_backtest,
    ),
    "optimise": (
        "在预算、保底与区间约束下求发现问题最多的各层抽查比例 (propose per-stratum rates)",
        analysis.cmd_optimise,
    ),
    "results": ("导入本月抽查结果 (record the results of a month's draw)", publish.cmd_results),
    "publish": ("生成公示名单 (write the public results list)", publish.cmd_publish),
    "audit": ("核验账本与文件 (check the ledger's hash chain and files)", workspace.cmd_audit),
    "replace": (
        "按公开的替补顺序替换无法检查的主体 (replace a drawn entity by the published order)",
        draws.cmd_replace,
    ),
    "upload": ("检查并上传一张数据表，旧版本存档 (check and upload a table)", workspace.cmd_upload),
    "restore": (
        "恢复一张数据表的旧版本 (put back an earlier version of a table)",
        workspace.cmd_restore,
    ),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad call is one line on stderr (or a JSON object) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if "--json" in sys.argv:
            print(json.dumps({"error": message}, ensure_ascii=False))
        else:
            print(f"tiered: 参数错误 (usage error): {message}", file=sys.stderr)
        raise SystemExit(2)


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
    sp.add_argument(
        "--parts",
        default=None,
        metavar="URL",
        help="where dask workers read the partitioned tables: a copy of WS/out/parts (a path, "
        "file://, s3://, hdfs://; default: WS/out/parts itself)",
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
