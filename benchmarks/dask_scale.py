"""The Dask engine's scaling curve through the real command line, measured from outside.

For each size N (default 1M, 3M and 10M entities) it takes the cached demo workspace
(`cli_scale.demo_workspace`: built once by `tiered demo`, then reused), lays a fresh hard-linked
copy of its inputs and runs, each command in its own process (`cli_scale.run`: wall, CPU of the
process and the children it waited for, peak RSS of the largest process and of the whole tree):

* `validate`    `tiered validate` (writes the validated cache: every later step is "warm");
* `local`       `tiered score --as-of 2026-12-01` with the default engine (the reference);
* `dask-first`  the same with `--engine dask`: the partitions are written first;
* `dask`        the same again: the partitions reused (the figure a monthly run pays);
* `draw`        `tiered draw --month 2026-12 --engine dask` after that score run.

Every score step runs with `-v`: its `dask fits:` / `dask points:` / `dask score:` log lines
give each partition's read and compute time (wall and CPU of the worker that ran it), summed
per partition, and the CPU of the command process itself (sampled) is told apart from its workers'.
The scores file of every Dask run is compared byte for byte with the local engine's.

Usage: python benchmarks/dask_scale.py [--entities 1000000,3000000] [--cache /work/bench]
       [--run-root DIR] [--steps validate,local,dask-first,dask,draw] [--max-rss-gb 16]
       [--scheduler tcp://HOST:8786] [--json FILE]
"""

from __future__ import annotations

import argparse
import filecmp
import json
import re
import shutil
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cli_scale  # noqa: E402  (a sibling script, not a package)

STEPS = ("validate", "local", "dask-first", "dask", "draw")
NATION = 188_000_000
_LINE = re.compile(r"dask (fits|points|score): partition (\d+) \((\d+) entities\): (.*)")
_LAP = re.compile(r"(\w+) ([\d.]+) s wall / ([\d.]+) s CPU")
_WRITTEN = re.compile(r"partitions: (\d+) written .* in ([\d.]+) s wall / ([\d.]+) s CPU")


@dataclass
class Partition:
    index: int
    entities: int
    wall: float = 0.0
    cpu: float = 0.0
    laps: dict[str, float] = field(default_factory=dict)  # lap -> CPU seconds


@dataclass
class Step:
    size: int
    timing: cli_scale.Timing
    parts: list[Partition] = field(default_factory=list)
    written: str = ""  # the partitions' writing, when this run wrote them
    same_as_local: bool | None = None


def partitions(err: str) -> tuple[list[Partition], str]:
    """Per-partition figures from a `-v` log: every pass over a partition summed."""
    got: dict[int, Partition] = {}
    for stage, index, entities, rest in _LINE.findall(err):
        p = got.setdefault(int(index), Partition(int(index), int(entities)))
        for lap, wall, cpu in _LAP.findall(rest):
            p.wall += float(wall)
            p.cpu += float(cpu)
            key = f"{stage}.{lap}"
            p.laps[key] = p.laps.get(key, 0.0) + float(cpu)
    m = _WRITTEN.search(err)
    written = f"{m[1]} partitions written in {m[2]} s wall / {m[3]} s CPU" if m else ""
    return [got[k] for k in sorted(got)], written


def measure(size: int, args: argparse.Namespace, steps: list[str]) -> list[Step]:
    master, built = cli_scale.demo_workspace(args.cache, size)
    if built:
        print(f"built demo-{size}: {built.wall:.1f} s wall, {built.cpu:.1f} s CPU", flush=True)
    ws = cli_scale.fresh_copy(master, args.run_root / f"run-{size}")
    dask = ["--engine", "dask", *(["--scheduler", args.scheduler] if args.scheduler else [])]
    score = ["score", str(ws), "--as-of", cli_scale.AS_OF, "-v"]
    scores = ws / "out" / "scores" / f"{cli_scale.AS_OF}.csv"
    local_copy = ws / ".local-scores.csv"
    argv = {
        "validate": ["validate", str(ws)],
        "local": score,
        "dask-first": [*score, *dask],
        "dask": [*score, *dask],
        "draw": ["draw", str(ws), "--month", cli_scale.MONTH, "--seed", cli_scale.SEED, *dask],
    }
    out: list[Step] = []
    for step in steps:
        if step == "dask-first":
            shutil.rmtree(ws / "out" / "parts", ignore_errors=True)
        t = cli_scale.run(step, argv[step], ws)
        t.step = f"{step} {size:,}"
        s = Step(size, t)
        if step in ("local", "dask-first", "dask"):
            s.parts, s.written = partitions((ws / f".{step}.err").read_text(errors="replace"))
            if step == "local" and scores.is_file():
                shutil.copyfile(scores, local_copy)
            elif local_copy.is_file() and scores.is_file():
                s.same_as_local = filecmp.cmp(scores, local_copy, shallow=False)
        if step == "draw" and t.exit in (0, 1):
            t.note = cli_scale._draw_digests(ws / "out" / "draws" / cli_scale.MONTH)
        out.append(s)
        report(s)
        if t.exit not in (0, 1):
            break
    return out


def report(s: Step) -> None:
    t = s.timing
    line = (
        f"{t.step:<22} {t.wall:7.1f} s wall {t.cpu:7.1f} s CPU (tree sampled {t.tree_cpu:.1f} s, "
        f"command process {t.own_cpu:.1f} s)  largest {t.max_rss_mb / 1024:5.2f} GB  tree "
        f"{t.tree_rss_mb / 1024:5.2f} GB  exit {t.exit}  {t.note}"
    )
    if s.same_as_local is not None:
        line += f"  scores = local: {s.same_as_local}"
    print(line, flush=True)
    if s.written:
        print(f"    {s.written}", flush=True)
    if s.parts:
        cpus = [p.cpu for p in s.parts]
        per = [p.cpu / p.entities * 250_000 for p in s.parts if p.entities]
        print(
            f"    {len(s.parts)} partitions, {sum(p.entities for p in s.parts):,} entities: "
            f"worker CPU {sum(cpus):.1f} s (median {statistics.median(cpus):.2f} s, max "
            f"{max(cpus):.2f} s per partition; {statistics.median(per):.2f} s per 250,000)",
            flush=True,
        )
        laps: dict[str, float] = {}
        for p in s.parts:
            for k, v in p.laps.items():
                laps[k] = laps.get(k, 0.0) + v
        print("    " + ", ".join(f"{k} {v:.1f} s" for k, v in laps.items()), flush=True)


def estimate(steps: list[Step]) -> None:
    """A national run from the largest size measured: worker CPU per entity from the
    partitions, the rest (the command's own share) as it grew with the size."""
    runs = [s for s in steps if s.timing.step.startswith("dask ") and s.parts]
    if not runs:
        return
    print(
        "\n| entities | wall | CPU (tree) | partitions' CPU | command process CPU | largest "
        "process | peak tree RSS |"
    )
    print("|---|---|---|---|---|---|---|")
    for s in runs:
        w = sum(p.cpu for p in s.parts)
        t = s.timing
        print(
            f"| {s.size:,} | {t.wall:.1f} s | {t.cpu:.1f} s | {w:.1f} s | {t.own_cpu:.1f} s | "
            f"{t.max_rss_mb / 1024:.2f} GB | {t.tree_rss_mb / 1024:.2f} GB |"
        )
    big = max(runs, key=lambda s: s.size)
    worker = sum(p.cpu for p in big.parts) / big.size * NATION
    rest = big.timing.own_cpu / big.size * NATION
    mem = big.timing.max_rss_mb / 1024 / big.size * NATION
    print(
        f"\nnation ({NATION:,}), linear from {big.size:,}: worker CPU {worker / 60:.0f} min "
        f"({NATION // 250_000} partitions), command process {rest / 60:.0f} CPU-min and about "
        f"{mem:.0f} GB (today's command holds the whole population)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", default="1000000,3000000,10000000")
    ap.add_argument("--cache", type=Path, default=Path("/work/bench"))
    ap.add_argument("--run-root", type=Path, default=Path("/tmp/tiered-dask-bench"))
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--scheduler", help="a running scheduler (default: a LocalCluster)")
    ap.add_argument("--max-rss-gb", type=float, default=16, help="kill a command past this")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    cli_scale.MAX_RSS_MB = args.max_rss_gb * 1024
    steps = [s for s in args.steps.split(",") if s]
    bad = sorted(set(steps) - set(STEPS))
    if bad:
        raise SystemExit(f"unknown steps: {', '.join(bad)}")
    print(f"load average before: {cli_scale.load_average()}", flush=True)
    done: list[Step] = []
    for size in (int(x) for x in args.entities.split(",")):
        done += measure(size, args, steps)
    print(f"load average after: {cli_scale.load_average()}")
    estimate(done)
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in done], indent=1))


if __name__ == "__main__":
    main()
