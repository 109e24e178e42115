"""Scale benchmark for `scoring.score`: 1,000,000 entities, ~10,000,000 records.

Generates a synthetic input with numpy (not timed), then scores it as of one date and prints the
time of each stage (indicators, composite, risk, tiers, reasons, output), the total, the time to
re-tier 1M scores with new thresholds, and peak memory (ru_maxrss). Target: <= 20 s, <= 4 GB.

    .venv/bin/python benchmarks/score_scale.py [--entities 1000000] [--records 10000000]
        [--inspections 300000] [--strings]

`--strings` passes uscc/kind/severity/value as plain object strings instead of categoricals
(what a CSV read without dtype hints gives); categoricals are what a parquet workspace gives.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import Scorer, ScoringConfig, prepare  # noqa: E402
from scoring.tiers import assign_tiers  # noqa: E402

KINDS = (
    "penalty", "abnormal_operation", "serious_dishonesty", "court_dishonest_debtor", "tax_grade",
    "sector_rating", "commitment_kept", "commitment_broken", "commendation", "complaint",
    "annual_report_late",
)  # fmt: skip
KIND_P = (0.08, 0.05, 0.002, 0.008, 0.35, 0.27, 0.08, 0.01, 0.015, 0.06, 0.075)
AS_OF = pd.Timestamp("2026-11-01")


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def synth(n: int, m: int, n_insp: int, strings: bool, seed: int = 0) -> dict[str, pd.DataFrame]:
    """A vectorised synthetic workspace with the validated tables' columns and dtypes."""
    rng = np.random.default_rng(seed)
    uscc = np.char.add("91630202", np.char.zfill(np.arange(n).astype(str), 10)).astype(object)
    as_of = AS_OF.value // 86_400_000_000_000
    entities = pd.DataFrame(
        {
            "uscc": uscc,
            "name": "e",
            "sector": "other",
            "region": rng.choice(np.array(["乐都区", "平安区", "民和县"], object), n),
            "entity_type": rng.choice(
                np.array(["enterprise", "individual", "cooperative"], object),
                n,
                p=[0.3, 0.65, 0.05],
            ),
            "registered_on": pd.to_datetime(as_of - rng.integers(30, 8000, n), unit="D"),
            "registered_capital": np.round(rng.lognormal(3, 1.5, n), 1),
            "status": np.where(rng.random(n) < 0.95, "active", "deregistered").astype(object),
            "legal_representative": np.char.add("p", rng.integers(0, n // 2, n).astype(str)).astype(
                object
            ),
        }
    )
    # heavy-tailed records per entity: a few entities carry many records
    weights = rng.gamma(0.7, 1.0, n)
    ent = rng.choice(n, m, p=weights / weights.sum())
    kind = rng.choice(len(KINDS), m, p=np.array(KIND_P) / sum(KIND_P)).astype(np.int8)
    day = as_of - rng.integers(-30, 1095, m)  # a few rows after as_of must be ignored
    sev = np.where(np.isin(kind, (0, 7, 10)), rng.integers(0, 3, m), -1).astype(np.int8)
    sev[kind == 2] = 2
    val = np.where(np.isin(kind, (4, 5)), rng.choice(5, m, p=[0.4, 0.3, 0.1, 0.12, 0.08]), -1)
    ended = np.where(rng.random(m) < 0.3, day + rng.integers(1, 400, m), -1)
    sev_cats = pd.Index(["minor", "general", "serious"])
    val_cats = pd.Index(["A", "B", "M", "C", "D"])
    records = pd.DataFrame(
        {
            "uscc": pd.Categorical.from_codes(ent, pd.Index(uscc)),
            "kind": pd.Categorical.from_codes(kind, pd.Index(KINDS)),
            "date": pd.to_datetime(day, unit="D"),
            "severity": pd.Categorical.from_codes(sev, sev_cats),
            "amount": np.nan,
            "value": pd.Categorical.from_codes(val.astype(np.int8), val_cats),
            "ended_on": pd.to_datetime(np.where(ended >= 0, ended, np.nan), unit="D"),
            "source": None,
        }
    )
    if strings:
        for c in ("uscc", "kind", "severity", "value"):
            records[c] = records[c].astype(object)
    ie = rng.integers(0, n, n_insp)
    inspections = pd.DataFrame(
        {
            "uscc": uscc[ie],
            "date": pd.to_datetime(as_of - rng.integers(1, 1095, n_insp), unit="D"),
            "found_problem": rng.random(n_insp) < 0.1 + 0.3 * (weights[ie] > 1.5),
            "item": None,
            "result": None,
            "inspectors": None,
        }
    )
    return {"entities": entities, "records": records, "inspections": inspections}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--inspections", type=int, default=300_000)
    ap.add_argument("--strings", action="store_true")
    args = ap.parse_args()
    t = time.perf_counter()
    tables = synth(args.entities, args.records, args.inspections, args.strings)
    print(f"generated {args.entities:,} entities, {len(tables['records']):,} records, "
          f"{len(tables['inspections']):,} inspections in {time.perf_counter() - t:.1f} s "
          f"(not timed); peak so far {peak_gb():.2f} GB")  # fmt: skip
    t = time.perf_counter()
    prep = prepare(tables["entities"], tables["records"], tables["inspections"])
    prepared = time.perf_counter() - t
    run = Scorer(ScoringConfig()).fit(prep, AS_OF).result_
    total = time.perf_counter() - t
    print(f"  {'prepare':<11} {prepared:6.2f} s")
    for stage, secs in run.timings.items():
        print(f"  {stage:<11} {secs:6.2f} s")
    print(f"score total   {total:6.2f} s for {len(run.frame):,} active entities "
          f"(target <= 20 s); risk mapping: {run.risk_mapping.method}")  # fmt: skip
    scores = run.frame["score"].to_numpy()
    t = time.perf_counter()
    assign_tiers(scores, (700.0, 600.0, 500.0))
    print(f"re-tier {len(scores):,} scores: {1000 * (time.perf_counter() - t):.0f} ms (<= 200 ms)")
    print(f"peak memory (ru_maxrss, incl. generation): {peak_gb():.2f} GB (target <= 4 GB)")
    print(run.frame["tier"].value_counts(normalize=True).sort_index().round(3).to_dict())


if __name__ == "__main__":
    main()
