"""What the public bundle costs: building `public/` for a draw of N entities, its size, and the
standalone verifier's time on it.

Prints, for a synthetic frame of N entities (the same generator as `draw_scale.py`):
* the library draw alone (sampling.draw, which also finds the replacement order in its pass);
* building the bundle's files (frame.csv in Arrow, full tickets, replacement order, verifier);
* each file's size;
* with `--verify`, `verify_draw.py` run on the bundle by this Python (standard library and
  consistent_sampler only are imported by it).

Wall and CPU time are both printed: on a shared machine CPU time is the fairer figure.

Usage: .venv/bin/python benchmarks/bundle_scale.py [--n 20000] [--verify]
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

import sampling
from benchmarks.draw_scale import MONTH, SEED, make_frame
from sampling.config import SamplingConfig
from tiered.draws import bundle


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--verify", action="store_true")
    args = ap.parse_args()
    frame = make_frame(args.n)
    config = SamplingConfig()
    t, c = time.perf_counter(), time.process_time()
    outcome = sampling.draw(frame, MONTH, SEED, config)
    t_draw, c_draw = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    files, fields = bundle.public_files(outcome, frame, config.rounding)
    manifest = {**outcome.manifest, **fields}
    t_bundle, c_bundle = time.perf_counter() - t, time.process_time() - c
    print(
        f"N = {args.n:,}; drawn {len(outcome.selected):,}; replacements listed "
        f"{len(outcome.replacements):,}"
    )
    print(
        f"sampling.draw {t_draw:.2f} s wall / {c_draw:.2f} s CPU; "
        f"bundle files {t_bundle:.2f} s wall / {c_bundle:.2f} s CPU"
    )
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
            total += len(data)
            print(f"  {name:<18} {len(data) / 1e6:8.2f} MB")
        raw = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
        (Path(tmp) / "manifest.json").write_bytes(raw)
        total += len(raw)
        print(f"  {'manifest.json':<18} {len(raw) / 1e6:8.2f} MB\n  total {total / 1e6:.2f} MB")
        if args.verify:
            t, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.run(
                [sys.executable, "verify_draw.py", "--seed", SEED],
                cwd=tmp,
                capture_output=True,
                text=True,
            )
            took = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            print(
                f"verify_draw.py {took:.1f} s wall / {cpu:.1f} s CPU, exit {proc.returncode}: "
                f"{proc.stdout.strip()[:200]}"
            )


if __name__ == "__main__":
    main()
