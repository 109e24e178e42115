"""Training the learned risk model on a workspace's history as of a date, and using it.

`risk_for(ws, as_of)` is what `tiered score` calls: the model's calibrated risk for every active
entity, or None when there are too few past inspections (or too few of either outcome) to train,
in which case the composite score's documented risk mapping stays. `score_with_model` does the
whole thing: composite score, model risk, tier on the configured basis (`model.tier_basis`).
`save_model` stores a trained model under `out/models/<as_of>/` as LightGBM's text model plus
`model.json` (training window, features, metrics); nothing is pickled.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import scoring
from scoring import composite, indicators
from scoring.config import TIERS
from scoring.model import RiskModel, compare_on_holdout, model_from_config, tier_basis_codes
from scoring.model_config import ModelConfig, ModelConfigError, check_model_config
from scoring.model_features import features_at, labels
from tiered.errors import UsageError
from tiered.files import atomic_dir
from tiered.layout import Layout
from tiered.workspace import Workspace, load_workspace

log = logging.getLogger(__name__)


@dataclass
class TrainedModel:
    model: RiskModel
    as_of: pd.Timestamp
    metadata: dict  # training window, rows, positives, features, holdout metrics


def model_config_of(ws: Workspace) -> ModelConfig:
    """The workspace's model config (defaults until `config.yaml` has a `model:` section)."""
    cfg = getattr(ws.config, "model", None) or ModelConfig()
    try:
        check_model_config(cfg)
    except ModelConfigError as exc:
        raise UsageError(f"config.yaml model 配置有误 (invalid model config): {exc}") from None
    return cfg


def _ws(ws: str | Path | Workspace) -> Workspace:
    return ws if isinstance(ws, Workspace) else load_workspace(ws)


def train(
    ws: str | Path | Workspace,
    as_of: pd.Timestamp | str,
    model_config: ModelConfig | None = None,
    prepared: indicators.Prepared | None = None,
) -> TrainedModel | None:
    """Fit on the inspections dated before `as_of`; None when there is not enough history."""
    ws = _ws(ws)
    mcfg = model_config or model_config_of(ws)
    as_of = pd.Timestamp(as_of)
    insp = ws.tables.get("inspections")
    if not mcfg.enabled or insp is None or not len(insp):
        return None
    ent = ws.table("entities")
    insp = insp[insp["uscc"].astype(str).isin(set(ent["uscc"].astype(str))) & insp["date"].notna()]
    past = insp[insp["date"] < as_of]
    if mcfg.train_days is not None:
        past = past[past["date"] >= as_of - pd.Timedelta(days=mcfg.train_days)]
    y = past["found_problem"].fillna(False).to_numpy(bool)
    if len(y) < mcfg.min_inspections or min(int(y.sum()), int((~y).sum())) < mcfg.min_positives:
        log.info("model not trained: %d inspections, %d with a problem", len(y), int(y.sum()))
        return None
    scfg = ws.config.scoring
    prep = prepared or indicators.prepare(ent, ws.tables.get("records"), insp)
    x = features_at(
        ent, ws.tables.get("records"), insp, past[["uscc", "date"]], scfg, mcfg.categorical, prep
    )
    model = model_from_config(mcfg, scfg).fit(x, y, past["date"].to_numpy())
    versus = compare_on_holdout(model, y, -composite.points(x, scfg).score)
    if mcfg.require_better and not versus["better"]:
        log.info("model not used: it does not beat the composite score on the holdout %s", versus)
        return None
    meta = {
        "as_of": as_of.date().isoformat(),
        "training_window": {
            "first": past["date"].min().date().isoformat(),
            "last": past["date"].max().date().isoformat(),
        },
        "inspections": int(len(y)),
        "positives": int(y.sum()),
        "features": list(x.columns),
        "monotone": {k: v for k, v in (model.monotone or {}).items() if k in x.columns},
        "metrics": {**model.holdout_metrics_, "composite_holdout_auc": versus["baseline_auc"]},
        "tier_basis": mcfg.tier_basis,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return TrainedModel(model, as_of, meta)


def _active_points(ws: Workspace, as_of: pd.Timestamp) -> pd.DataFrame:
    ent = ws.table("entities")
    status = ent["status"] if "status" in ent else pd.Series(None, index=ent.index)
    active = ent[status.isna() | (status == "active")]
    return pd.DataFrame({"uscc": active["uscc"].astype(str).to_numpy(), "date": as_of})


def risk_for(
    ws: str | Path | Workspace,
    as_of: pd.Timestamp | str,
    with_reasons: bool = False,
    lang: str = "zh",
    model_config: ModelConfig | None = None,
) -> pd.DataFrame | None:
    """DataFrame[uscc, risk(, risk_reasons)] for every active entity, sorted by uscc, or None
    when no model can be trained (then keep the composite score's risk)."""
    return _risk_and_model(ws, as_of, with_reasons, lang, model_config)[0]


def _risk_and_model(
    ws: str | Path | Workspace,
    as_of: pd.Timestamp | str,
    with_reasons: bool = False,
    lang: str = "zh",
    model_config: ModelConfig | None = None,
) -> tuple[pd.DataFrame | None, TrainedModel | None]:
    ws = _ws(ws)
    as_of = pd.Timestamp(as_of)
    ent, rec, insp = ws.table("entities"), ws.tables.get("records"), ws.tables.get("inspections")
    prep = indicators.prepare(ent, rec, insp)
    trained = train(ws, as_of, model_config, prepared=prep)
    if trained is None:
        return None, None
    pts = _active_points(ws, as_of)
    x = features_at(ent, rec, insp, pts, ws.config.scoring, trained.model.categorical, prep)
    out = pd.DataFrame(
        {"uscc": pts["uscc"], "risk": np.round(trained.model.predict_proba(x)[:, 1], 4)}
    )
    if with_reasons:
        lab = labels(ws.config.scoring) if lang == "zh" else None
        out["risk_reasons"] = trained.model.reasons(x, labels=lab)
    return out.sort_values("uscc", kind="stable", ignore_index=True), trained


def score_with_model(
    ws: str | Path | Workspace,
    as_of: pd.Timestamp | str,
    lang: str = "zh",
    model_config: ModelConfig | None = None,
    run: scoring.ScoreRun | None = None,
) -> tuple[pd.DataFrame, str]:
    """The scores frame (CONTRACT columns) with `risk` from the model when one can be trained,
    and `tier` on the configured basis. Returns (frame, risk source: "model" or the composite
    mapping's method). `run` is the composite score run as of `as_of`, if already computed."""
    frame, source, _ = score_with_model_run(ws, as_of, lang, model_config, run)
    return frame, source


def score_with_model_run(
    ws: str | Path | Workspace,
    as_of: pd.Timestamp | str,
    lang: str = "zh",
    model_config: ModelConfig | None = None,
    run: scoring.ScoreRun | None = None,
) -> tuple[pd.DataFrame, str, TrainedModel | None]:
    """`score_with_model`, plus the model the risk came from (None: the composite mapping),
    so `tiered score` can store the very model it used."""
    ws = _ws(ws)
    as_of = pd.Timestamp(as_of)
    ent, rec, insp = ws.table("entities"), ws.tables.get("records"), ws.tables.get("inspections")
    if run is None:
        run = scoring.score_details(ent, rec, insp, as_of, ws.config.scoring, lang=lang)
    frame = run.frame.copy()
    mcfg = model_config or model_config_of(ws)
    risk, trained = _risk_and_model(ws, as_of, model_config=mcfg)
    if risk is None:
        return frame, run.risk_mapping.method, None
    frame["risk"] = frame[["uscc"]].merge(risk, on="uscc", how="left")["risk"].to_numpy()
    if mcfg.tier_basis != "score":
        ind = indicators.compute(ent, rec, insp, as_of, ws.config.scoring)
        ind = ind.reindex(frame["uscc"].to_numpy())
        pts = composite.points(ind, ws.config.scoring)
        codes = tier_basis_codes(
            frame["score"].to_numpy(), frame["risk"].to_numpy(), pts.at_best,
            ws.config.scoring, mcfg,
        )  # fmt: skip
        frame["tier"] = np.array(TIERS)[codes]
    return frame, "model", trained


def model_files(trained: TrainedModel) -> dict[str, bytes]:
    """The stored form of a model, file name -> bytes: LightGBM's text model and `model.json`
    (training window, features, metrics); nothing is pickled."""
    with tempfile.TemporaryDirectory() as tmp:
        trained.model.save(tmp, trained.metadata)
        return {p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir()) if p.is_file()}


def save_model(ws: str | Path | Workspace, trained: TrainedModel) -> Path:
    """Write `out/models/<as_of>/model.txt` + `model.json` atomically; returns the folder."""
    ws = _ws(ws)
    target = Layout.of(ws.path).model_dir(trained.as_of)
    old = target.with_name(f".{target.name}.old-{time.time_ns()}")
    if target.exists():  # a model retrained for the same date replaces the earlier one
        os.rename(target, old)
    try:
        with atomic_dir(target) as tmp:
            trained.model.save(tmp, trained.metadata)
    except BaseException:
        if old.exists():
            os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target


def train_and_save(
    ws: str | Path | Workspace,
    as_of: pd.Timestamp | str,
    model_config: ModelConfig | None = None,
) -> Path | None:
    """Train as of `as_of` and store it; None when there is not enough history to train."""
    ws = _ws(ws)
    trained = train(ws, as_of, model_config)
    return None if trained is None else save_model(ws, trained)
