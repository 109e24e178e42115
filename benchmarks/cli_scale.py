"""The monthly sequence through the real command line at scale, measured from outside.

Builds (once, then reuses) a demo workspace of N entities with `tiered demo` under a cache
folder outside the repository (default /tmp/tiered-bench), lays a fresh copy of its input files
for the run (hard links, no `out/`), and times each real command in its own process:

* `tiered validate` cold (nothing cached: CSV parse, validation, Parquet cache);
* `tiered score` cold (no `out/` at all) and warm (the validated cache from the cold run);
* `tiered draw` of the month after that score run;
* `tiered verify` of that draw;
* and, in this process, R. L. Rivest's reference sampler (`consistent_sampler.sampler`, per
  stratum with take = the draw's quota) on the same ids: the draw's eligible pool read from its
  public `frame.csv`. Its picks are checked against the drawn list.

For each command: wall time, CPU time (user + system of the process and the children it waited
for, from `os.wait4`), the peak RSS of its largest process, and the peak of the summed RSS of its
whole process tree (sampled every 0.1 s with psutil: what matters when a command starts workers).
On a shared machine CPU time is the fairer figure; the load average is printed too.

Usage: python benchmarks/cli_scale.py [--entities 1000000] [--cache /tmp/tiered-bench]
       [--steps validate,score,score-warm,draw,verify,reference] [--json FILE]
       [--run-dir DIR] [--max-rss-gb G] [--keep-out]
`--engine-args "--engine dask"` is passed to score and draw. `--keep-out` keeps the run dir's
`out/` (the score run of an earlier invocation) and removes only the month's draw folders, so
`--steps draw,verify,reference` can be repeated without scoring again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
END = "2026-11"  # the demo's last month of history: the run scores as of the next month's start
AS_OF = "2026-12-01"
MONTH = "2026-12"
SEED = "31415926535897932384"
STEPS = ("validate", "score", "score-warm", "draw", "verify", "reference")


@dataclass
class Timing:
    step: str
    wall: float
    cpu: float
    max_rss_mb: float  # the largest single process
    tree_rss_mb: float  # the peak of the whole tree's summed RSS (sampled)
    exit: int
    note: str = ""
    tree_cpu: float = 0.0  # user + system of every process of the tree (sampled, last seen)
    own_cpu: float = 0.0  # of the command's process alone (sampled): the rest is its workers'


def _tree_rss(
    pid: int, stop: threading.Event, peak: list[float], cap_mb: float = 0, cpu: dict | None = None
) -> None:
    """Sample the summed RSS of `pid` and its descendants (and, into `cpu`, each one's user +
    system seconds as last seen); past `cap_mb` kill them all (a run that would not fit must
    not push the shared machine into swapless OOM)."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        total = 0
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        for p in procs:
            try:
                total += p.memory_info().rss
                if cpu is not None:
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total / 2**20)
        if cap_mb and peak[0] > cap_mb:
            for p in reversed(procs):
                try:
                    p.kill()
                except psutil.Error:
                    pass
            peak.append(-1.0)  # marks the kill
            return
        stop.wait(0.1)


MAX_RSS_MB = 0.0  # --max-rss-gb: kill a command whose process tree grows past it


def run(step: str, argv: list[str], cwd: Path) -> Timing:
    """Run `python -m tiered ARGV` and measure it (exit code kept, output kept for errors)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "tiered", *argv, "--json"]
    start = time.perf_counter()
    with open(cwd / f".{step}.out", "wb") as out, open(cwd / f".{step}.err", "wb") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        stop, peak, cpu = threading.Event(), [0.0], {}
        watcher = threading.Thread(
            target=_tree_rss, args=(proc.pid, stop, peak, MAX_RSS_MB, cpu), daemon=True
        )
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        watcher.join()
    wall = time.perf_counter() - start
    seen, cpu = cpu, usage.ru_utime + usage.ru_stime
    note = ""
    if len(peak) > 1:
        note = f"killed: process tree above {MAX_RSS_MB / 1024:.0f} GB"
    elif proc.returncode not in (0, 1):
        note = (cwd / f".{step}.err").read_text(errors="replace").strip()[-300:]
    tree, own = sum(seen.values()), seen.get(proc.pid, 0.0)
    return Timing(
        step, wall, cpu, usage.ru_maxrss / 1024, peak[0], proc.returncode, note, tree, own
    )


def demo_workspace(cache: Path, n: int) -> tuple[Path, Timing | None]:
    """The cached demo workspace of n entities (built by `tiered demo` when absent)."""
    master = cache / f"demo-{n}"
    done = master / ".complete"
    if done.is_file():
        return master, None
    shutil.rmtree(master, ignore_errors=True)
    master.mkdir(parents=True)
    t = run("demo", ["demo", str(master), "--entities", str(n), "--end", END], master)
    if t.exit != 0:
        raise SystemExit(f"tiered demo failed: {t.note}")
    done.write_text("ok\n")
    return master, t


def fresh_copy(master: Path, target: Path) -> Path:
    """The master's input files (hard links; commands never write an input in place), no out/."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for p in master.iterdir():
        if p.is_file() and not p.name.startswith("."):
            os.link(p, target / p.name)
    return target


def reference(draw_dir: Path) -> Timing:
    """Rivest's reference sampler on the draw's own pool, stratum by stratum (take = quota)."""
    import csv

    import consistent_sampler as cs

    manifest = json.loads((draw_dir / "manifest.json").read_text("utf-8"))
    seed = manifest["seed"]
    start, cpu0 = time.perf_counter(), time.process_time()
    pools: dict[str, list[str]] = {}
    with open(draw_dir / "public" / "frame.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            pools.setdefault(row["stratum"], []).append(row["uscc"])
    read = time.perf_counter() - start
    t0, c0 = time.perf_counter(), time.process_time()
    chosen: set[str] = set()
    for s in manifest["strata"]:
        ids = pools.get(f"{s['sector']}/{s['tier']}", [])
        if s["quota"] and ids:
            chosen.update(cs.sampler(ids, seed=seed, take=int(s["quota"]), output="id"))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    with open(draw_dir / "inspection_list.csv", encoding="utf-8-sig", newline="") as f:
        drawn = {row["uscc"] for row in csv.DictReader(f)}
    same = chosen <= drawn and len(chosen) == sum(int(s["quota"]) for s in manifest["strata"])
    n = sum(len(v) for v in pools.values())
    note = f"{n:,} ids, {len(chosen):,} picked, all on the list: {same} (reading {read:.1f} s)"
    del start, cpu0
    return Timing("reference", wall, cpu, 0.0, 0.0, 0 if same else 1, note)


def _draw_digests(draw_dir: Path) -> str:
    """What must not change between engines and versions: the frame and the list files."""
    m = json.loads((draw_dir / "manifest.json").read_text("utf-8"))
    files = {**m.get("files", {}), **m.get("public_files", {})}
    together = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return f"drawn {m['drawn']:,}; frame {m['frame_sha256'][:16]}; files {together[:16]}"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/tiered-bench"))
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--engine-args", default="", help="extra arguments for score and draw")
    ap.add_argument("--json", type=Path, help="also write the timings here")
    ap.add_argument(
        "--run-dir",
        type=Path,
        help="where to lay the run's copy (default CACHE/run-N); give each concurrent run its own",
    )
    ap.add_argument("--max-rss-gb", type=float, default=0, help="kill a command past this")
    ap.add_argument(
        "--keep-out",
        action="store_true",
        help="reuse the run dir's out/ (an earlier run's score) and only drop its draw folders",
    )
    args = ap.parse_args()
    global MAX_RSS_MB
    MAX_RSS_MB = args.max_rss_gb * 1024
    steps = [s for s in args.steps.split(",") if s]
    bad = sorted(set(steps) - set(STEPS))
    if bad:
        raise SystemExit(f"unknown steps: {', '.join(bad)}")
    extra = shlex.split(args.engine_args)
    print(f"load average before: {load_average()}  (cores: {os.cpu_count()})", flush=True)
    master, built = demo_workspace(args.cache, args.entities)
    timings = [built] if built else []
    run_dir = args.run_dir or args.cache / f"run-{args.entities}"
    draw_dir = run_dir / "out" / "draws" / MONTH
    if args.keep_out and (run_dir / "out").is_dir():
        ws = run_dir  # a draw and verify again after the score run already there
        for old in draw_dir.parent.glob(f"{MONTH}*"):
            shutil.rmtree(old)
    else:
        ws = fresh_copy(master, run_dir)
    argv = {
        "validate": ["validate", str(ws)],
        "score": ["score", str(ws), "--as-of", AS_OF, *extra],
        "score-warm": ["score", str(ws), "--as-of", AS_OF, *extra],
        "draw": ["draw", str(ws), "--month", MONTH, "--seed", SEED, *extra],
        "verify": ["verify", str(draw_dir), "--workspace", str(ws)],
    }
    for step in steps:
        if step == "score":
            shutil.rmtree(ws / "out", ignore_errors=True)  # cold: nothing cached at all
        if step == "reference":
            t = reference(draw_dir)
        else:
            t = run(step, argv[step], ws)
        if step == "draw" and t.exit in (0, 1):
            t.note = _draw_digests(draw_dir)
        timings.append(t)
        print(
            f"{t.step:<11} {t.wall:7.1f} s wall {t.cpu:7.1f} s CPU  "
            f"max RSS {t.max_rss_mb / 1024:5.2f} GB  tree {t.tree_rss_mb / 1024:5.2f} GB  "
            f"exit {t.exit}  {t.note}",
            flush=True,
        )
    print(f"load average after: {load_average()}")
    print("\n| command | wall | CPU | peak RSS (largest process / process tree) | exit |")
    print("|---|---|---|---|---|")
    for t in timings:
        rss = f"{t.max_rss_mb / 1024:.2f} / {t.tree_rss_mb / 1024:.2f} GB" if t.max_rss_mb else "–"
        print(f"| {t.step} | {t.wall:.1f} s | {t.cpu:.1f} s | {rss} | {t.exit} |")
    if args.json:
        args.json.write_text(json.dumps([asdict(t) for t in timings], indent=2))


if __name__ == "__main__":
    main()
