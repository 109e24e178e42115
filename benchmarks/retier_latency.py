"""Re-tier latency: how long the analyst waits when a threshold moves, for 1,000,000 entities.

What is timed is the app's hot path `app_support.model.retier`: new tier per entity
(searchsorted with overrides), tier mix, per sector x tier counts, monthly inspections and
expected problems. Scores are synthetic (a realistic skewed shape); the target is <= 200 ms.

    .venv/bin/python benchmarks/retier_latency.py [--entities 1000000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np

from app_support import model
from sampling.config import SamplingConfig
from scoring.config import ThresholdConfig
from scoring.tiers import psi


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    n = args.entities
    scores = np.round(np.clip(1000 - rng.gamma(4.0, 70.0, n), 0, 1000), 1)
    at_best = np.where(rng.random(n) < 0.02, rng.integers(2, 4, n), 0).astype(np.int8)
    risk = 1.0 / (1.0 + np.exp((scores - 550.0) / 145.0))
    sectors = tuple(f"s{i}" for i in range(12))
    sector_code = rng.integers(0, len(sectors), n).astype(np.int16)
    rates = model.annual_rates(sectors, SamplingConfig())
    reference = scores.copy()

    times = []
    for k in range(args.repeats):
        th = ThresholdConfig(740.0 - k, 640.0 + k / 2, 520.0 + k)  # a threshold moved
        t0 = time.perf_counter()
        rt = model.retier(scores, at_best, risk, sector_code, len(sectors), th, rates)
        model.shares_psi(np.array([5, 4, 1, 0.5]), rt.tier_counts)
        times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    psi(reference, scores)
    psi_ms = (time.perf_counter() - t0) * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"entities: {n:,}")
    print(
        f"re-tier after a threshold change (ms): median {statistics.median(times):.1f}, "
        f"max {max(times):.1f}, min {min(times):.1f} over {args.repeats} runs"
    )
    print(f"score PSI against the saved run (ms): {psi_ms:.1f}")
    print(f"tier mix: {dict(zip('ABCD', rt.tier_counts.tolist(), strict=True))}")
    print(f"peak RSS: {rss:,.0f} MiB")
    print("target <= 200 ms:", "met" if max(times) <= 200 else "NOT met")


if __name__ == "__main__":
    main()
