"""Time of the learned model: training on 200,000 past inspections, and a 12-month backtest.

    .venv/bin/python benchmarks/model_scale.py                  # both, targets 60 s each
    .venv/bin/python benchmarks/model_scale.py --inspections 50000 --skip-backtest

Training: a demo of 200,000 entities supplies entities and records; 200,000 inspections are
drawn at random entities and dates over its three years, each finding a problem with the
entity's hidden propensity (the demo's own inspections are too few for this size). Timed:
features as of each inspection's date (`features_at`) and the fit (trees + calibration + refit).
Backtest: the 20,000-entity demo, its last 12 months at budget 0.1 (`tiered.analysis.backtest`).
Each part runs in its own process so that peak RSS is per part.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def train_part(n_insp: int, n_entities: int) -> dict:
    from scoring import indicators
    from scoring.config import ScoringConfig
    from scoring.model import model_from_config
    from scoring.model_config import ModelConfig
    from scoring.model_features import features_at
    from tiered.demo.build import generate

    t0 = time.perf_counter()
    tables = generate(n_entities, 0, "2026-10")
    ent, rec, truth = tables["entities"], tables["records"], tables["truth"]
    rng = np.random.default_rng(1)
    pick = rng.integers(0, len(ent), n_insp)
    days = rng.integers(0, 3 * 365, n_insp)
    insp = pd.DataFrame(
        {
            "uscc": ent["uscc"].to_numpy()[pick],
            "date": pd.Timestamp("2023-11-01") + pd.to_timedelta(days, "D"),
            "found_problem": rng.random(n_insp) < truth["propensity"].to_numpy()[pick],
        }
    ).sort_values("date", ignore_index=True)
    t1 = time.perf_counter()
    scfg, mcfg = ScoringConfig(), ModelConfig()
    prep = indicators.prepare(ent, rec, insp)
    x = features_at(prep, insp[["uscc", "date"]], scfg, mcfg.categorical)
    t2 = time.perf_counter()
    model = model_from_config(mcfg, scfg).fit(x, insp["found_problem"], insp["date"])
    t3 = time.perf_counter()
    return {
        "part": "train",
        "inspections": n_insp,
        "entities": n_entities,
        "records": len(rec),
        "features": x.shape[1],
        "generate_s": round(t1 - t0, 2),
        "features_s": round(t2 - t1, 2),
        "fit_s": round(t3 - t2, 2),
        "train_total_s": round(t3 - t1, 2),
        "holdout_auc": round(model.holdout_metrics_.get("holdout_auc", float("nan")), 4),
        "peak_rss_mb": _rss_mb(),
    }


def backtest_part(n_entities: int) -> dict:
    import tempfile

    from tiered.analysis.backtest import backtest_workspace
    from tiered.demo.build import write_demo

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "demo"
        write_demo(ws, n_entities, 0, "2026-10")
        t0 = time.perf_counter()
        result = backtest_workspace(ws, "2025-11", "2026-10", 0.1)
        t1 = time.perf_counter()
    s = result.summary
    return {
        "part": "backtest",
        "entities": n_entities,
        "months": s["months"],
        "inspections": s["inspections"],
        "backtest_s": round(t1 - t0, 2),
        "auc": s["auc"],
        "tiered_lift": s["policies"]["tiered"]["lift"],
        "ranked_lift": s["policies"]["ranked"]["lift"],
        "tier_hit_rates": s["tier_hit_rates"],
        "risk_sources": result.months["risk_source"].value_counts().to_dict(),
        "peak_rss_mb": _rss_mb(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inspections", type=int, default=200_000)
    ap.add_argument("--entities", type=int, default=200_000, help="entities for the training part")
    ap.add_argument("--backtest-entities", type=int, default=20_000)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-backtest", action="store_true")
    ap.add_argument("--child", choices=["train", "backtest"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "train":
        print(json.dumps(train_part(args.inspections, args.entities)))
        return
    if args.child == "backtest":
        print(json.dumps(backtest_part(args.backtest_entities)))
        return
    parts = [p for p in ("train", "backtest") if not getattr(args, f"skip_{p}")]
    for part in parts:
        sizes = ["--inspections", str(args.inspections), "--entities", str(args.entities)]
        sizes += ["--backtest-entities", str(args.backtest_entities)]
        cmd = [sys.executable, __file__, "--child", part, *sizes]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        print(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
