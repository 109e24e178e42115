"""The learned risk model of a workspace: its config, training on the workspace, storing it.

The training itself is `scoring.learned` (on prepared tables, no files); `tiered score` trains
through `scoring.pipeline.Scorer` and stores the model it used with the scores
(`analysis.scorerun`). Here: the workspace's model config as a clerk-readable error,
`train(ws, as_of)` on the workspace's prepared tables, and `save_model` / `model_files`: a
trained model under `out/models/<as_of>/` as LightGBM's text model plus `model.json` (training
window, features, metrics); nothing is pickled.

**Reusing a stored model.** Training is deterministic: the same tables, as-of date, model
config, part of the scoring config that training reads (`learned.training_config`), code and
libraries give the same trees and calibration, bit for bit. `training_basis` is that list as
digests; a score run records it in its ledger entry (`model.trained_on`). `stored_model` gives
the model a score run stored under `out/models/<as_of>/` back when, and only when, the ledger's
latest entry naming both files is a score run that recorded this very basis and both files are
still the bytes that entry recorded (read once, checked, and parsed from those bytes); anything
else (another basis, no such entry, an edited or replaced file) means training again, and an
edited file is said so in the log. So an analyst who re-scores a month with other thresholds,
overrides or sampling rates does not train again; other indicator points do retrain, since the
composite score they make is one of the model's features.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from scoring.learned import TrainedModel, training_config
from scoring.learned import train as train_on
from scoring.model import META_FILE, MODEL_FILE
from scoring.model_config import ModelConfig, ModelConfigError, check_model_config
from tiered.errors import UsageError
from tiered.files import atomic_dir
from tiered.layout import Layout
from tiered.workspace import Workspace, load_workspace

__all__ = [
    "StoredModel",
    "TrainedModel",
    "model_config_of",
    "model_files",
    "save_model",
    "stored_model",
    "train",
    "training_basis",
]
log = logging.getLogger(__name__)

# The tables training reads (`Workspace.prepared`), each from its validated-cache Parquet file.
TRAINING_TABLES = ("entities", "records", "inspections")
# The libraries whose code fits the model (and makes its features).
TRAINING_LIBRARIES = ("lightgbm", "scikit-learn", "scipy", "numpy", "pandas", "pyarrow")


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


def training_basis(
    ws: Workspace, as_of: pd.Timestamp | str, model_config: ModelConfig
) -> dict | None:
    """What training as of `as_of` depends on, as digests (see the module docstring); None when
    the workspace's tables are not the validated cache's files (no reuse then).

    The tables are the sha256 of the cached Parquet files they are read from, not the workspace
    digest: that one covers `config.yaml`, whose thresholds or rates do not change the training
    (the config's part that does is `scoring`, below)."""
    from tiered.analysis.basis import code_digest, config_basis

    cached = (ws.validated or {}).get("sha256") or {}
    tables = {n: cached.get(f"{n}.parquet") for n in TRAINING_TABLES if n in ws.tables}
    if not cached or None in tables.values():
        return None
    return {
        "as_of": pd.Timestamp(as_of).date().isoformat(),
        "tables_sha256": tables,
        "model_config_sha256": config_basis(model_config),
        "scoring_sha256": config_basis(training_config(ws.config.scoring)),
        "code_sha256": code_digest(),
        "libraries": {n: _version(n) for n in TRAINING_LIBRARIES},
    }


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return ""


@dataclass(frozen=True)
class StoredModel:
    """A model a score run stored and the ledger vouches for, loaded from the checked bytes."""

    trained: TrainedModel
    # file name -> the very bytes checked (written again as they are)
    files: dict[str, bytes] = field(repr=False)
    seq: int  # the ledger entry that recorded them


def stored_model(
    ws: Workspace, as_of: pd.Timestamp | str, basis: dict | None
) -> StoredModel | None:
    """The model a score run stored for `as_of` when its ledger entry recorded `basis` and both
    files are the bytes it recorded; else None (train instead). Never raises for a bad file."""
    from tiered.ledger import chain
    from tiered.ledger.vouch import Vouched

    lay = Layout.of(ws.path)
    folder = lay.model_dir(as_of)
    names = (MODEL_FILE, META_FILE)
    if basis is None or not all((folder / n).is_file() for n in names):
        return None
    latest = Vouched(ws.path).latest
    known = {n: latest.get(lay.rel(folder / n)) for n in names}
    if any(k is None for k in known.values()):
        log.warning("学习模型文件未记入账本，重新训练 (the stored model in %s is not recorded in "
                    "the ledger: trained again)", folder)  # fmt: skip
        return None
    data = {n: (folder / n).read_bytes() for n in names}
    for n in names:
        digest, seq, kind = known[n]
        if hashlib.sha256(data[n]).hexdigest() != digest:
            log.warning(
                "学习模型文件 %s 在账本第 %d 条记录（%s）之后被改动，重新训练 (the stored model "
                "file changed after ledger entry #%d (%s) recorded it: trained again)",
                folder / n, seq, kind, seq, kind,
            )  # fmt: skip
            return None
    seqs = {k[1] for k in known.values()}
    entry = next((e for e in chain.entries(ws.path) if e.seq in seqs), None)
    if len(seqs) != 1 or entry is None or entry.kind != "score_run":
        log.info("stored model in %s not reused: not one score run's files", folder)
        return None
    recorded = (entry.payload.get("model") or {}).get("trained_on")
    if recorded != basis:
        changed = [
            k for k in basis if not isinstance(recorded, dict) or recorded.get(k) != basis[k]
        ]
        log.info("learned model trained again: %s changed since score run #%d",
                 ", ".join(changed) or "the basis", entry.seq)  # fmt: skip
        return None
    trained = _loaded(data, as_of)
    if trained is None:
        log.warning("stored model in %s could not be read back: trained again", folder)
        return None
    log.info("learned model as of %s reused from score run #%d (%s)",
             basis["as_of"], entry.seq, folder)  # fmt: skip
    return StoredModel(trained, data, entry.seq)


def _loaded(data: dict[str, bytes], as_of: pd.Timestamp | str) -> TrainedModel | None:
    """The model parsed from the checked bytes; None unless LightGBM's own text of the parsed
    trees is those bytes again (the loaded trees are the stored ones)."""
    from scoring.model import RiskModel

    try:
        text = data[MODEL_FILE].decode("utf-8")
        meta = json.loads(data[META_FILE].decode("utf-8"))
        model = RiskModel.from_saved(text, meta)
        if model.booster_.model_to_string() != text:
            return None
    except Exception:  # noqa: BLE001 - any unreadable stored model is trained again
        return None
    return TrainedModel(model, pd.Timestamp(as_of), meta)
