"""The learned risk model of a workspace: its config, training on the workspace, storing it.

The training itself is `scoring.learned` (on prepared tables, no files); `tiered score` trains
through `scoring.pipeline.Scorer` and stores the model it used with the scores
(`analysis.scorerun`). Here: the workspace's model config as a clerk-readable error,
`train(ws, as_of)` on the workspace's prepared tables, and `save_model` / `model_files`: a
trained model under `out/models/<as_of>/` as LightGBM's text model plus `model.json` (training
window, features, metrics); nothing is pickled.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from scoring.learned import TrainedModel
from scoring.learned import train as train_on
from scoring.model_config import ModelConfig, ModelConfigError, check_model_config
from tiered.errors import UsageError
from tiered.files import atomic_dir
from tiered.layout import Layout
from tiered.workspace import Workspace, load_workspace

__all__ = ["TrainedModel", "model_config_of", "model_files", "save_model", "train"]


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
) -> TrainedModel | None:
    """Fit on the workspace's inspections dated before `as_of`; None when there is not enough
    history (see `scoring.learned.train`)."""
    ws = _ws(ws)
    mcfg = model_config or model_config_of(ws)
    return train_on(ws.prepared(), as_of, ws.config.scoring, mcfg)


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
