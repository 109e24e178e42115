"""What the leader and analyst pages show, computed without Streamlit.

The analyst's what-if keeps each entity's as-of indicators, score, override and risk in numpy
arrays (`Baseline`). Moving a threshold is then one `searchsorted` plus a few `bincount`s over
sector x tier codes (`retier`): a million entities take tens of milliseconds
(`benchmarks/retier_latency.py`). Changing a weight re-applies the indicator table (`rescore`),
which is one matrix pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import composite
from scoring.config import TIERS, ScoringConfig, ThresholdConfig
from scoring.pipeline import Scorer
from scoring.tiers import psi, tier_codes
from tiered.analysis.randomdraws import recorded_results  # noqa: F401 - used by the pages
from tiered.analysis.scorerun import score_workspace
from tiered.layout import Layout
from tiered.ledger import chain as ledger
from tiered.workspace import Workspace

N_TIERS = len(TIERS)
# Below this many inspections in a group, a problem-rate estimate and its interval say nothing
# (the interval spans most of 0-100%): the app shows the raw k/n and says so instead.
MIN_ESTIMATE_N = 5


@dataclass
class Baseline:
    """One score run of a workspace, as arrays aligned with `frame` (sorted by uscc)."""

    as_of: pd.Timestamp
    frame: pd.DataFrame  # uscc, score, tier, risk, reasons, dimensions, name, sector, region
    sectors: tuple[str, ...]
    sector_code: np.ndarray  # int16 index into `sectors`
    indicators: dict[str, np.ndarray]
    scores: np.ndarray
    at_best: np.ndarray
    risk: np.ndarray
    risk_mapping: composite.RiskMapping
    risk_source: str = "prior"  # "model", or the composite mapping's method

    @property
    def n(self) -> int:
        return len(self.scores)


def build_baseline(ws: Workspace, as_of: pd.Timestamp) -> Baseline:
    """Score the workspace as of `as_of` and keep what re-tiering and re-weighting need."""
    result = score_workspace(ws, as_of, keep_indicators=True)
    ents = ws.table("entities")
    frame = result.frame.merge(
        ents[["uscc", "name", "sector", "region"]], on="uscc", how="left", validate="one_to_one"
    )
    ind = result.run.indicators
    arrays = {k: ind[k].to_numpy(np.float64) for k in ind.columns}
    sectors = tuple(dict.fromkeys([*ws.config.sectors, *sorted(frame["sector"].dropna().unique())]))
    code = pd.Categorical(frame["sector"], categories=sectors).codes.astype(np.int16)
    return Baseline(
        as_of=as_of,
        frame=frame,
        sectors=sectors,
        sector_code=code,
        indicators=arrays,
        scores=frame["score"].to_numpy(np.float64),
        at_best=result.run.at_best,
        risk=frame["risk"].to_numpy(np.float64),
        risk_mapping=result.run.risk_mapping,
        risk_source=result.risk_source,
    )


def rescore(base: Baseline, config: ScoringConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scores, override codes, risk) under another indicator table; same entities.

    A learned model's risk is the entity's own estimated problem probability, so re-weighting the
    score leaves it as it is; the composite mapping's risk follows the new score."""
    pts = composite.points(base.indicators, config)
    risk = base.risk if base.risk_source == "model" else base.risk_mapping(pts.score)
    return pts.score, pts.at_best, risk


def annual_rates(sectors: tuple[str, ...], sampling) -> np.ndarray:
    """(n_sectors, 4) annual sampling rate per stratum: tier rate x sector multiplier, floored."""
    out = np.empty((len(sectors), N_TIERS))
    for i, s in enumerate(sectors):
        for j, t in enumerate(TIERS):
            out[i, j] = min(1.0, max(sampling.rate(s, t), sampling.floor_rate))
    return out


@dataclass
class Retier:
    """Tier mix and plan figures for one set of thresholds."""

    codes: np.ndarray  # tier code per entity (0=A .. 3=D)
    tier_counts: np.ndarray  # (4,)
    stratum_counts: np.ndarray  # (n_sectors, 4)
    monthly: np.ndarray  # (n_sectors, 4) expected inspections per month
    expected_problems: np.ndarray  # (n_sectors, 4) expected problems found per month


def retier(
    scores: np.ndarray,
    at_best: np.ndarray,
    risk: np.ndarray,
    sector_code: np.ndarray,
    n_sectors: int,
    thresholds: ThresholdConfig,
    rates: np.ndarray,
) -> Retier:
    """Re-tier every entity and recompute the per-stratum plan: the interactive hot path."""
    codes = tier_codes(scores, thresholds, at_best)
    cell = sector_code.astype(np.int64) * N_TIERS + codes
    size = n_sectors * N_TIERS
    counts = np.bincount(cell, minlength=size).reshape(n_sectors, N_TIERS)
    risk_sum = np.bincount(cell, weights=risk, minlength=size).reshape(n_sectors, N_TIERS)
    monthly = counts * rates / 12.0
    problems = risk_sum * rates / 12.0  # each drawn entity finds a problem with its own risk
    return Retier(codes, counts.sum(axis=0), counts, monthly, problems)


def shares_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI between two tier mixes (shares or counts), with the usual 1e-6 floor."""
    e = np.clip(np.asarray(expected, float) / max(float(np.sum(expected)), 1e-12), 1e-6, None)
    a = np.clip(np.asarray(actual, float) / max(float(np.sum(actual)), 1e-12), 1e-6, None)
    return float(np.sum((a - e) * np.log(a / e)))


def stratum_table(base: Baseline, rt: Retier) -> pd.DataFrame:
    """Tidy per-stratum figures (sector, tier, count, annual rate, monthly, expected problems)."""
    rows = []
    for i, s in enumerate(base.sectors):
        for j, t in enumerate(TIERS):
            if rt.stratum_counts[i, j]:
                rows.append(
                    (
                        s,
                        t,
                        int(rt.stratum_counts[i, j]),
                        rt.monthly[i, j],
                        rt.expected_problems[i, j],
                    )
                )
    return pd.DataFrame(rows, columns=["sector", "tier", "count", "monthly", "expected_problems"])


# ------------------------------------------------------------------------------ saved runs


def last_saved_run(ws: Path) -> tuple[pd.DataFrame | None, dict | None]:
    """(score, tier) of the latest ledgered score run whose file still exists, and its payload."""
    for e in reversed(ledger.entries(ws)):
        if e.kind != "score_run":
            continue
        for f in e.files:
            p = ws / f["path"]
            if p.suffix == ".csv" and p.exists():
                df = pd.read_csv(p, usecols=["score", "tier"], encoding="utf-8-sig")
                return df, {**e.payload, "seq": e.seq, "path": f["path"]}
    return None, None


def score_psi(reference: np.ndarray | None, scores: np.ndarray) -> float | None:
    if reference is None or len(reference) == 0 or len(scores) == 0:
        return None
    return psi(reference, scores)


# ---------------------------------------------------------------------------- leader views


def month_starts(end: pd.Timestamp, months: int) -> list[pd.Timestamp]:
    """The first days of the `months` months ending with `end`'s month."""
    last = pd.Timestamp(end).to_period("M")
    return [(last - k).to_timestamp() for k in range(months - 1, -1, -1)]


def monthly_trend(ws: Workspace, end: pd.Timestamp, months: int = 12) -> pd.DataFrame:
    """Tier mix as of each month's first day, under today's config (month, tier, count, share,
    mean_score). Uses only information dated before each first day."""
    cfg = ws.config.scoring
    scorer = Scorer(cfg, risk=None, reasons=False)  # as `tiered score` on that day, tiers only
    rows = []
    for day in month_starts(end, months):
        run = scorer.fit(ws.prepared(), day).result_
        codes = tier_codes(run.frame["score"].to_numpy(), cfg.thresholds, run.at_best)
        counts = np.bincount(codes, minlength=4)
        total = max(int(counts.sum()), 1)
        mean = float(run.frame["score"].mean())
        for t, c in zip(TIERS, counts, strict=True):
            rows.append((day.strftime("%Y-%m"), t, int(c), c / total, mean))
    return pd.DataFrame(rows, columns=["month", "tier", "count", "share", "mean_score"])


def heat_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per sector x region: entities, C+D count and its share."""
    high = frame["tier"].isin(["C", "D"])
    g = frame.assign(high=high).groupby(["sector", "region"], observed=True)
    out = g.agg(count=("uscc", "size"), high=("high", "sum")).reset_index()
    out["high_share"] = out["high"] / out["count"]
    return out


def draw_manifests(ws: Path) -> list[dict]:
    """Every current draw's manifest, oldest month first (archived replaced draws excluded)."""
    out = []
    lay = Layout.of(ws)
    for p in (lay.draw_dir(m) / "manifest.json" for m in lay.draw_months()):
        try:
            out.append(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return out


def draws_vs_plan(
    ws: Path, year: int, planned_monthly: float, inspections: pd.DataFrame | None = None
) -> pd.DataFrame:
    """month, drawn (None when neither drawn nor inspected), source ("draw" for a month drawn
    in this workspace, "history" for one known only from the recorded planned inspections of
    the inspections table, e.g. before the product was used), plan: one row per month."""
    drawn = {m["month"]: int(m.get("drawn", 0)) for m in draw_manifests(ws)}
    past: dict[str, int] = {}
    if inspections is not None and len(inspections):
        df = inspections
        if "type" in df:
            df = df[df["type"].fillna("planned").astype(str).isin(["planned", "计划"])]
        months = pd.to_datetime(df["date"], errors="coerce").dt.strftime("%Y-%m")
        past = df.assign(m=months).groupby("m")["uscc"].nunique().to_dict()
    rows = []
    for k in range(1, 13):
        month = f"{year:04d}-{k:02d}"
        if month in drawn:
            rows.append((month, drawn[month], "draw", float(planned_monthly)))
        elif past.get(month):
            rows.append((month, int(past[month]), "history", float(planned_monthly)))
        else:
            rows.append((month, None, None, float(planned_monthly)))
    return pd.DataFrame(rows, columns=["month", "drawn", "source", "plan"])


def problem_rates_by_tier(results: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Horvitz–Thompson problem rates by tier (and overall) with intervals, pooled over months:
    each month's draw is its own set of strata."""
    from sampling.estimate import problem_rates

    if results.empty or results["found_problem"].notna().sum() == 0:
        return pd.DataFrame()
    df = results.assign(sector=results["month"] + "|" + results["sector"])
    est = problem_rates(df, confidence)
    return est[est["level"].isin(["overall", "tier"])].reset_index(drop=True)
