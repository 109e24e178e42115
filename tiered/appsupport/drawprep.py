"""The staff page's preview: each stratum's eligible count and quota before anything is drawn.

Uses the same library calls as the draw (`sampling.plan`), on the frame of scored entities with
their last inspection date. With the seed entered, the quotas are exactly the ones the draw will
use (systematic rounding is seeded); without one, the expected (fractional) targets are shown.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sampling.config import SamplingConfig
from sampling.plan import mark_eligibility, plan_quotas
from tiered.workspace import Workspace


def draw_frame(scored: pd.DataFrame, ws: Workspace) -> pd.DataFrame:
    """uscc, name, sector, region, tier, status, last_inspected for every scored entity."""
    frame = scored[["uscc", "name", "sector", "region", "tier"]].copy()
    frame["status"] = "active"
    ins = ws.table("inspections")
    last = ins.groupby("uscc")["date"].max() if len(ins) else pd.Series(dtype="datetime64[ns]")
    frame["last_inspected"] = pd.to_datetime(frame["uscc"].map(last))
    return frame


def preview(frame: pd.DataFrame, month: str, config: SamplingConfig, seed: str) -> pd.DataFrame:
    """Per stratum: eligible, must_inspect, pool, annual_rate, target, quota, drawn."""
    marked = mark_eligibility(frame, month, config)
    st = plan_quotas(marked, config, seed or "preview")
    cols = ["sector", "tier", "eligible", "must_inspect", "pool", "annual_rate", "target"]
    return st[cols + ["quota", "drawn", "inclusion_probability"]]


def draw_dir(ws: Path, month: str) -> Path:
    return ws / "out" / "draws" / month


def drawn_months(ws: Path) -> list[str]:
    return sorted(
        (p.parent.name for p in (ws / "out" / "draws").glob("*/manifest.json")), reverse=True
    )
