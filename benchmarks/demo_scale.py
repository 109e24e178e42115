"""Time and peak memory of `tiered demo` (generate + write CSV) at 20,000 and 1,000,000 entities.

Each size runs in its own subprocess so that peak RSS is per size. With --signal, the 20k run
also prints the signal check (AUC, lifts, tier mix) from `tests/support/demo_check.py`.

    .venv/bin/python benchmarks/demo_scale.py                 # 20k and 1M
    .venv/bin/python benchmarks/demo_scale.py --entities 200000 --signal
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))


def _child(n: int, seed: int, signal: bool) -> None:
    from tiered.demo.build import generate, write_tables

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        tables = generate(n, seed, "2026-10")
        t1 = time.perf_counter()
        write_tables(tables, Path(tmp))
        t2 = time.perf_counter()
        size = sum(f.stat().st_size for f in Path(tmp).iterdir())
        out = {
            "entities": n,
            "rows": {k: len(v) for k, v in tables.items()},
            "generate_s": round(t1 - t0, 2),
            "write_s": round(t2 - t1, 2),
            "total_s": round(t2 - t0, 2),
            "csv_mb": round(size / 2**20, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        if signal:
            from demo_check import signal_check

            out["signal"] = signal_check(tables)
    print(json.dumps(out, ensure_ascii=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, action="append", help="size(s) to run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--signal", action="store_true", help="also run the signal check")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.seed, args.signal)
        return
    for n in args.entities or [20_000, 1_000_000]:
        cmd = [sys.executable, __file__, "--child", str(n), "--seed", str(args.seed)]
        if args.signal and n <= 200_000:
            cmd.append("--signal")
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            print(res.stderr, file=sys.stderr)
            sys.exit(res.returncode)
        print(res.stdout.strip())


if __name__ == "__main__":
    main()
