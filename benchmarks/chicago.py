"""Chicago canvass food inspections as a workspace, and the backtest on the city's test window.

    .venv/bin/python benchmarks/chicago.py                      # temp workspace, 2014-09..10, 0.2
    .venv/bin/python benchmarks/chicago.py --out /tmp/chicago   # keep the workspace
    CHICAGO_CSV=/path/30_dat.csv.gz .venv/bin/python benchmarks/chicago.py --json

How the city's table becomes a workspace, without look-ahead:
- entities = licences (uscc = licence number as text; `identifiers.check_digit: false`),
  sector food_drug for restaurants and other for other facilities, region = ward.
- inspections = the canvass inspections, found_problem = criticalFound (a critical violation).
  The inspector (`sanitarian`) is dropped: it describes who inspected, not the licence.
- records: the official Risk 1/2/3 is a `sector_rating` (C/B/A) dated the day before the
  inspection's month began (the licence's risk class is on file when the month's list is made);
  each inspection's violations become penalties dated that day (critical -> serious, serious ->
  general, minor -> minor); an earlier inspection that is not in the table but is described by
  a later row's `pastCritical/pastSerious/pastMinor` and `timeSinceLast` (< 2 years, i.e. not
  capped) becomes the same penalties dated at that earlier inspection.
- never used: `sanitarian`, `LICENSE_TERM_*`, `minDate`, `maxDate` (a later licence snapshot),
  `ageAtInspection` (derived from minDate), `glm_pred` (fitted on all rows), weather and heat maps.

The city's own model (`glm_pred_test`, fitted on earlier data) is scored on the same monthly
frames with the same tie rule, so the comparison is like for like.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tiered.analysis.backtest import backtest_workspace, format_report, ranked_hits  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared/datasets/chicago-food-inspections/csv/30_dat.csv.gz"
RISK_GRADE = {"Risk 1 (High)": "C", "Risk 2 (Medium)": "B", "Risk 3 (Low)": "A"}
CONFIG_YAML = "identifiers:\n  check_digit: false\n"


def read_source(csv: str | Path = DEFAULT_CSV) -> pd.DataFrame:
    d = pd.read_csv(csv, low_memory=False)
    d["date"] = pd.to_datetime(d["Inspection_Date"])
    d["uscc"] = d["License"].astype("int64").astype(str)
    return d.sort_values(["date", "Inspection_ID"], kind="stable").reset_index(drop=True)


def tables(d: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The workspace tables (entities, inspections, records) from the city's analysis table."""
    last = d.groupby("uscc", sort=True).last()
    ward = last["WARD"].astype("Int64").astype(str).replace("<NA>", "unknown")
    entities = pd.DataFrame(
        {
            "uscc": last.index,
            "name": last["DBA_Name"].fillna("unknown").to_numpy(),
            "sector": np.where(last["Facility_Type_Clean"] == "Restaurant", "food_drug", "other"),
            "region": ("ward " + ward).to_numpy(),
            "status": "active",
        }
    )
    inspections = pd.DataFrame(
        {
            "uscc": d["uscc"],
            "date": d["date"].dt.date.astype(str),
            "found_problem": np.where(d["criticalFound"] > 0, "true", "false"),
            "item": "canvass",
            "result": d["Results"],
        }
    )
    rating = pd.DataFrame(
        {
            "uscc": d["uscc"],
            "kind": "sector_rating",
            "date": (d["date"].dt.to_period("M").dt.start_time - pd.Timedelta(days=1)),
            "value": d["Risk"].map(RISK_GRADE),
            "source": "City of Chicago risk category",
        }
    ).dropna(subset=["value"])
    rating = rating.drop_duplicates(["uscc", "date", "value"])
    own = _penalties(d["uscc"], d["date"], d["criticalCount"], d["seriousCount"], d["minorCount"])
    prev = _previous_inspections(d)
    records = pd.concat([rating, own, prev], ignore_index=True)
    records["date"] = pd.to_datetime(records["date"]).dt.date.astype(str)
    return {"entities": entities, "inspections": inspections, "records": records}


def _penalties(uscc, date, critical, serious, minor) -> pd.DataFrame:
    parts = []
    for counts, severity in ((critical, "serious"), (serious, "general"), (minor, "minor")):
        hit = np.asarray(counts.fillna(0) > 0)
        parts.append(
            pd.DataFrame(
                {
                    "uscc": np.asarray(uscc)[hit],
                    "kind": "penalty",
                    "date": np.asarray(date)[hit],
                    "severity": severity,
                    "source": "canvass inspection",
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _previous_inspections(d: pd.DataFrame) -> pd.DataFrame:
    """Earlier inspections known only from a later row's past* columns (not in the table)."""
    known = d["timeSinceLast"] < 2  # 2 = capped: no dated previous inspection
    p = d[known & (d["firstRecord"] == 0)].copy()
    p["prev"] = (p["date"] - pd.to_timedelta((p["timeSinceLast"] * 365.25).round(), "D")).dt.floor(
        "D"
    )
    have = d[["uscc", "date"]].rename(columns={"date": "have"})
    m = p[["uscc", "prev"]].reset_index().merge(have, on="uscc", how="left")
    near = (m["have"] - m["prev"]).abs() <= pd.Timedelta(days=7)
    in_table = m[near]["index"].unique()
    p = p.drop(index=in_table).drop_duplicates(["uscc", "prev"])
    return _penalties(p["uscc"], p["prev"], p["pastCritical"], p["pastSerious"], p["pastMinor"])


def write_workspace(d: pd.DataFrame, ws: Path) -> Path:
    ws.mkdir(parents=True, exist_ok=True)
    for name, df in tables(d).items():
        df.to_csv(ws / f"{name}.csv", index=False)
    (ws / "config.yaml").write_text(CONFIG_YAML, encoding="utf-8")
    return ws


def city_hit_rate(d: pd.DataFrame, month_from: str, month_to: str, budget: float) -> dict:
    """The city's `glm_pred_test` ranked on the same monthly frames (top ceil(budget x frame))."""
    hits = places = found = n = 0.0
    months = pd.period_range(month_from, month_to, freq="M")
    for month in months:
        f = d[d["date"].dt.to_period("M") == month]
        f = f.groupby("uscc").agg(y=("criticalFound", "max"), s=("glm_pred_test", "max"))
        if not len(f):
            continue
        k = math.ceil(budget * len(f) - 1e-9)
        hits += ranked_hits(f["y"].to_numpy() > 0, f["s"].to_numpy(), k)
        places += k
        found += float((f["y"] > 0).sum())
        n += len(f)
    return {"city_hit_rate": round(hits / places, 4), "frame_base_rate": round(found / n, 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", default=os.environ.get("CHICAGO_CSV", str(DEFAULT_CSV)))
    ap.add_argument("--out", help="write the workspace here (default: a temporary folder)")
    ap.add_argument("--from", dest="month_from", default="2014-09")
    ap.add_argument("--to", dest="month_to", default="2014-10")
    ap.add_argument("--budget", type=float, default=0.2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    d = read_source(args.csv)
    with tempfile.TemporaryDirectory() as tmp:
        ws = write_workspace(d, Path(args.out) if args.out else Path(tmp) / "chicago")
        t1 = time.perf_counter()
        result = backtest_workspace(ws, args.month_from, args.month_to, args.budget)
    city = city_hit_rate(d, args.month_from, args.month_to, args.budget)
    ours = result.summary["policies"]["ranked"]["hit_rate"]
    out = {
        **result.summary,
        **city,
        "city_published": 0.284,
        "beats_city": bool(ours >= city["city_hit_rate"]),
        "build_s": round(t1 - t0, 2),
        "backtest_s": round(result.seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(format_report(result))
    print()
    print(
        f"ranked top {args.budget:.0%}: ours {100 * ours:.1f}% vs the city's model "
        f"{100 * city['city_hit_rate']:.1f}% (published 28.4%; uniform "
        f"{100 * city['frame_base_rate']:.1f}%)"
    )
    print(
        f"build {out['build_s']} s, backtest {out['backtest_s']} s, "
        f"peak RSS {out['peak_rss_mb']} MB"
    )


if __name__ == "__main__":
    main()
