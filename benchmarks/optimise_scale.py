"""The rate optimiser at the size of a city's annual plan: 12 sectors x 4 tiers x 50 tasks.

    .venv/bin/python benchmarks/optimise_scale.py [--json]

Strata get random sizes (0-2,000 entities) and problem rates rising with the tier; the budget is
5% of the entities a year and the floor 0.5%. Times are wall-clock and process CPU for
`optimise_rates`, without and with precision targets (each tier's interval within 1%, and
every tier x sector interval within 2%, which binds in all 48 groups).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sampling.optimise import Precision, optimise_rates  # noqa: E402


def strata(sectors: int = 12, tasks: int = 50, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        {
            "task": f"T{t:02d}",
            "sector": f"s{s:02d}",
            "tier": tier,
            "eligible": int(rng.integers(0, 2000)),
            "problem_rate": float(np.clip(rng.beta(1 + 2 * i, 6 - i), 0.001, 0.999)),
        }
        for t in range(tasks)
        for s in range(sectors)
        for i, tier in enumerate("ABCD")
    ]
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    s = strata()
    budget = 0.05 * s["eligible"].sum()
    out = {"strata": len(s), "entities": int(s["eligible"].sum()), "budget": round(budget)}
    cases = {
        "no_precision": None,
        "precision_tier_1pct": Precision(0.01, by=("tier",)),
        "precision_tier_sector_2pct": Precision(0.02, by=("tier", "sector")),
    }
    for name, prec in cases.items():
        t0, c0 = time.perf_counter(), time.process_time()
        a = optimise_rates(s, budget, floor=0.005, precision=prec)
        out[name] = {
            "seconds": round(time.perf_counter() - t0, 3),
            "cpu_seconds": round(time.process_time() - c0, 3),
            "expected_problems": round(a.expected_problems, 1),
            "max_half_width": None if a.groups is None else round(a.groups["half_width"].max(), 4),
        }
    if args.json:
        print(json.dumps(out))
        return
    print(f"{out['strata']} strata, {out['entities']:,} entities, budget {out['budget']:,}/year")
    for name in cases:
        r = out[name]
        print(
            f"  {name:<28} {r['seconds']:6.3f} s (CPU {r['cpu_seconds']:.3f} s)  "
            f"expected problems {r['expected_problems']:,}"
        )


if __name__ == "__main__":
    main()
