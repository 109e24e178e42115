"""Draw at national-prefecture scale: 1,000,000 entities end to end, and tickets vs the reference.

Prints:
* end-to-end draw time for N entities with tiers given (plan + tickets + selection + manifest +
  inspector assignment + the list's CSV and XLSX bytes), peak RSS;
* ticketing all N entities grouped into sector x tier strata, taking each stratum's planned
  quota: ours vs `consistent_sampler.sampler` (per stratum, take=quota) on the same id lists,
  and whether both return the same ids in the same order. By default the reference runs on all
  N (about 4-5 s per million); `--ref-n K` runs it on a random subset of K instead and
  extrapolates its time linearly to N.

Wall and CPU time are both printed: on a shared machine CPU time is the fairer figure.

Usage: .venv/bin/python benchmarks/draw_scale.py [--n 1000000] [--ref-n 0] [--inspectors 9000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

import sampling
from sampling.config import SamplingConfig
from sampling.plan import mark_eligibility, plan_quotas
from sampling.tickets import smallest
from tables.spec import DEFAULT_SECTORS

MONTH = "2026-03"
SEED = "31415926535897932384"


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tiers = rng.choice(list("ABCD"), n, p=[0.55, 0.35, 0.07, 0.03])
    # time since last inspection: D often inspected, A rarely; some never
    months_ago = rng.exponential(np.select([tiers == "D", tiers == "C"], [8.0, 16.0], 36.0))
    never = rng.random(n) < np.where(tiers == "D", 0.05, 0.4)
    last = pd.Timestamp("2026-03-01") - pd.to_timedelta(months_ago * 30.4, unit="D")
    regions = np.array(["乐都区", "平安区", "民和县", "互助县", "化隆县", "循化县"])
    return pd.DataFrame(
        {
            "uscc": [f"91630200MA{i:08d}" for i in range(n)],
            "name": [f"主体{i}" for i in range(n)],
            "sector": rng.choice(np.array(DEFAULT_SECTORS), n),
            "region": rng.choice(regions, n),
            "tier": tiers,
            "status": rng.choice(
                np.array(["active", "deregistered", "revoked"]), n, p=[0.93, 0.05, 0.02]
            ),
            "last_inspected": pd.Series(last).where(~never).astype("datetime64[ns]"),
        }
    )


def make_inspectors(m: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sectors = np.array(DEFAULT_SECTORS)
    return pd.DataFrame(
        {
            "inspector_id": [f"HD{i:05d}" for i in range(m)],
            "name": "x",
            "sectors": [";".join(rng.choice(sectors, 3, replace=False)) for _ in range(m)],
            "region": rng.choice(np.array(["乐都区", "平安区", "民和县", "互助县"]), m),
            "active": rng.random(m) < 0.95,
        }
    )


class Clock:
    """Wall and CPU time: on a shared machine CPU time is the fairer single-core figure."""

    def __enter__(self) -> Clock:
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.w
        self.cpu = time.process_time() - self.c

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall / {self.cpu:.2f} s CPU"


def strata_lists(frame: pd.DataFrame, cfg: SamplingConfig) -> list[tuple[list[str], int]]:
    """Every entity, grouped by sector x tier, each stratum with its planned quota."""
    marked = mark_eligibility(frame, MONTH, cfg)
    quotas = plan_quotas(marked, cfg, SEED).set_index(["sector", "tier"])["quota"]
    return [
        (part["uscc"].tolist(), max(int(quotas.get((sector, tier), 0)), 1))
        for (sector, tier), part in frame.groupby(["sector", "tier"], sort=True)
    ]


def ours(groups: list[tuple[list[str], int]]) -> tuple[list[str], Clock]:
    """Our tickets: keys, then the quota smallest per stratum in exact ticket order."""
    chosen: list[str] = []
    with Clock() as clock:
        for ids, take in groups:
            chosen.extend(ids[i] for i in smallest(ids, SEED, take))
    return chosen, clock


def reference(groups: list[tuple[list[str], int]]) -> tuple[list[str], Clock]:
    """`consistent_sampler.sampler` per stratum with take = quota."""
    import consistent_sampler as cs

    chosen: list[str] = []
    with Clock() as clock:
        for ids, take in groups:
            chosen.extend(cs.sampler(ids, seed=SEED, take=take, output="id"))
    return chosen, clock


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--ref-n", type=int, default=0)
    ap.add_argument("--inspectors", type=int, default=9_000)
    args = ap.parse_args()
    frame = make_frame(args.n)
    insp = make_inspectors(args.inspectors)
    cfg = SamplingConfig()

    from tiered.draws.draw import HEADERS, LIST_COLUMNS
    from tiered.files import csv_bom_bytes, xlsx_bytes

    with Clock() as total:
        with Clock() as c_draw:
            out = sampling.draw(frame, MONTH, SEED, cfg)
        with Clock() as c_assign:
            assigned = sampling.assign_inspectors(out.selected, insp, SEED, cfg.assignment)
        with Clock() as c_files:
            table = assigned[LIST_COLUMNS]
            csv, xlsx = csv_bom_bytes(table), xlsx_bytes(table, HEADERS)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    must = int(out.selected["must_inspect"].sum())
    print(
        f"entities {args.n:,}; drawn {len(out.selected):,} (must-inspect {must:,}); "
        f"inspectors {args.inspectors:,}"
    )
    print(f"end to end: {total}; peak RSS {rss:.0f} MB")
    print(
        f"  draw {c_draw}; assignment {c_assign}; CSV+XLSX {c_files} "
        f"({len(csv) + len(xlsx):,} bytes)"
    )

    groups = strata_lists(frame, cfg)
    chosen_ours, t_full = ours(groups)
    print(f"ticketing {args.n:,} entities in {len(groups)} strata (take = quota), ours: {t_full}")
    if args.ref_n and args.ref_n < args.n:
        groups = strata_lists(frame.sample(n=args.ref_n, random_state=5), cfg)
        chosen_ours, t_o = ours(groups)
        label = f"a random subset of {args.ref_n:,}"
    else:
        t_o, label = t_full, f"all {args.n:,}"
    chosen_ref, t_r = reference(groups)
    print(f"on {label}: ours {t_o}; consistent_sampler.sampler {t_r}")
    print(
        f"  speed-up {t_r.wall / t_o.wall:.1f}x wall, {t_r.cpu / t_o.cpu:.1f}x CPU; "
        f"identical selection (same ids, same order): {chosen_ours == chosen_ref} "
        f"({len(chosen_ref):,} drawn)"
    )
    if args.ref_n and args.ref_n < args.n:
        est = t_r.cpu * args.n / args.ref_n
        print(
            f"reference extrapolated linearly to {args.n:,}: ~{est:.1f} s CPU, "
            f"~{est / t_full.cpu:.1f}x ours at full size"
        )


if __name__ == "__main__":
    main()
