"""The `tiered` command line: parse (`tiered.commands.parser`), lock, run the handler (one module
per command group under `tiered.commands`), print; every error becomes one line.

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
from pathlib import Path

from sampling.errors import SamplingError
from scoring.config import ScoringConfigError
from tables.check import SchemaError
from tiered.commands.parser import build_parser
from tiered.errors import TieredError, describe_os_error

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


# Arguments that name a file or folder: resolved to absolute paths once, here at the edge, so
# nothing below can join a relative workspace path twice (`ws/ws/out/...`).
PATH_ARGS = ("workspace", "out", "draw_dir", "file")


def _resolve_paths(args: argparse.Namespace) -> None:
    for name in PATH_ARGS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value:
            setattr(args, name, str(Path(value).expanduser().resolve()))


def main(argv: list[str] | None = None) -> int:
    from tiered.memory import tune_malloc

    args = build_parser().parse_args(argv)
    tune_malloc()  # million-row arrays without a page fault per page (tiered/memory.py)
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
