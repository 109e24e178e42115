"""Scoring a workspace as of a date, writing the scores file and its ledger entry."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scoring.config import TIERS, ScoringConfigError
from scoring.learned import TrainedModel
from scoring.model_config import ModelConfigError
from scoring.pipeline import CALIBRATE, UNLESS_MODEL, Scorer, ScoreRun
from tables.check import parse_dates
from tiered.analysis.basis import score_basis
from tiered.analysis.modelrun import (
    StoredModel,
    model_config_of,
    model_files,
    stored_model,
    training_basis,
)
from tiered.analysis.scorefile import scores_csv_chunks
from tiered.engine import Engine
from tiered.errors import UsageError
from tiered.layout import Layout
from tiered.ledger import chain as ledger
from tiered.ledger import staged
from tiered.ledger.lock import writes
from tiered.memory import release
from tiered.workspace import Workspace, load_workspace

log = logging.getLogger(__name__)


def parse_as_of(text: str) -> pd.Timestamp:
    """A date the way staff type it (2025-01-01, 2025/1/1, 2025年1月1日, 20250101)."""
    parsed, bad = parse_dates(pd.Series([str(text).strip()]))
    if bad.iloc[0] or pd.isna(parsed.iloc[0]):
        raise UsageError(f"无法识别的日期 '{text}'，请写成 2025-01-01 (unrecognised date)")
    return pd.Timestamp(parsed.iloc[0])


@dataclass
class ScoreResult:
    frame: pd.DataFrame  # the scores file: risk from the learned model when one is used
    run: ScoreRun  # the score run (its composite risk mapping drives what-if analysis)
    as_of: pd.Timestamp
    seconds: float
    trained_on: dict | None = None  # what the learned model's training read (`training_basis`)
    stored: StoredModel | None = None  # the stored model used instead of training, if any

    @property
    def risk_source(self) -> str:
        """ "model", or the composite mapping's method (logistic, isotonic, prior)."""
        return self.run.risk_source

    @property
    def model(self) -> TrainedModel | None:
        """The learned model the risk came from, if any (stored with the scores)."""
        return self.run.model

    def tier_mix(self) -> dict[str, float]:
        counts = self.frame["tier"].value_counts()
        n = max(len(self.frame), 1)
        return {t: round(float(counts.get(t, 0)) / n, 4) for t in TIERS}


def score_workspace(
    ws: Workspace,
    as_of: pd.Timestamp,
    lang: str = "zh",
    keep_indicators: bool = False,
    engine: Engine | None = None,
    composite_risk: bool = True,
) -> ScoreResult:
    """Score every covered entity of `ws` using only what was dated before `as_of`: the one
    `Scorer` over the workspace's prepared tables, with the learned model when enabled.
    `composite_risk=False`: the composite risk mapping only when no learned model is used
    (`tiered score` writes the model's risk; the app's what-if keeps the mapping).
    A model an earlier score run stored for `as_of` on the same training basis is used instead
    of training again (`modelrun.stored_model`): the same model, so the same scores."""
    start = time.perf_counter()
    mcfg = model_config_of(ws)
    basis = training_basis(ws, as_of, mcfg) if mcfg.enabled else None
    stored = stored_model(ws, as_of, basis)
    scorer = Scorer(
        ws.config.scoring,
        risk=CALIBRATE if composite_risk else UNLESS_MODEL,
        lang=lang,
        model=mcfg if mcfg.enabled else None,
        trained=stored.trained if stored is not None else None,
        keep_indicators=keep_indicators,
    )
    run = _fit(scorer, ws, as_of, engine).result_
    return ScoreResult(run.frame, run, as_of, time.perf_counter() - start, basis, stored)


def tiers_as_of(ws: Workspace, as_of: pd.Timestamp, engine: Engine | None = None) -> pd.DataFrame:
    """uscc, score, tier (and the dimensions) exactly as `tiered score` gives them as of
    `as_of`: what a draw and the annual plan need. With the default tier basis (the composite
    score) the learned model cannot change a tier, so neither it, nor the risk calibration, nor
    the reasons are computed. A score run the ledger vouches for on this very basis
    (`tiered.analysis.basis`) gives them without computing; else `engine` (a draw's `--engine
    dask`) computes them by partition."""
    from tiered.analysis.basis import ledgered_tiers

    reused = ledgered_tiers(ws, as_of)
    if reused is not None:
        return reused
    if ws.config.model.tier_basis != "score":
        return score_workspace(ws, as_of, engine=engine).frame
    scorer = Scorer(ws.config.scoring, risk=None, reasons=False)
    return _fit(scorer, ws, as_of, engine).result_.frame


def _fit(
    scorer: Scorer, ws: Workspace, as_of: pd.Timestamp, engine: Engine | None = None
) -> Scorer:
    try:
        if engine is not None and engine.client is not None:  # per region on the cluster
            from tiered.analysis.partitioned import fit

            fit(scorer, ws, as_of, engine)
            return scorer
        return scorer.fit(ws.prepared(), as_of)
    except ScoringConfigError as exc:
        raise UsageError(f"config.yaml scoring 配置有误 (invalid scoring config): {exc}") from None
    except ModelConfigError as exc:
        raise UsageError(f"config.yaml model 配置有误 (invalid model config): {exc}") from None


def default_scores_path(ws: Path, as_of: pd.Timestamp) -> Path:
    return Layout.of(ws).scores(as_of)


SCORE_STAGES = ("validate", "score", "write")  # what `run_score` tells `progress`, in order


@writes("score")
def run_score(
    ws_path: str | Path,
    as_of: str,
    out: str | Path | None = None,
    actor: str | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> tuple[ScoreResult, Workspace, Path]:
    """`tiered score`: validate, score, write the file and ledger it as one operation.
    `progress` hears each of `SCORE_STAGES` as it begins (the app's first-start bar)."""
    from tiered import configversion as config_versions

    say = progress or (lambda _stage: None)
    config_versions.record_use(ws_path, actor)
    say("validate")
    ws = load_workspace(ws_path)
    when = parse_as_of(as_of)
    say("score")
    result = score_workspace(ws, when, engine=engine, composite_risk=False)
    say("write")
    target = Path(out).absolute() if out else default_scores_path(ws.path, when)
    if target.is_dir():
        raise UsageError(
            "--out 应为文件路径，而这是一个文件夹 (--out must name a file)", file=str(target)
        )
    release()  # what scoring freed goes back to the system before the file is made
    # the bytes of csv_bom_bytes, built in Arrow and written a piece at a time
    data = scores_csv_chunks(result.frame)
    payload = {
        "as_of": when.date().isoformat(),
        "entities": len(result.frame),
        "tier_mix": result.tier_mix(),
        "risk_method": result.risk_source,
        "basis": score_basis(ws),  # a draw of the month reuses these tiers on the same basis
    }
    if ws.validated:  # the validated cache this run wrote (or read, vouched): verify may use it
        payload["validated"] = ws.validated
    # The model the risk came from is stored with the scores, in one ledgered operation, so a
    # score file can always be traced to (and re-checked with) the exact model behind it.
    lay = Layout.of(ws.path)
    outputs: dict[str, bytes] = {}
    if result.model is not None:
        folder = lay.model_dir(when)
        # a reused model is written back as the very bytes its ledger entry vouched for
        files = result.stored.files if result.stored is not None else model_files(result.model)
        outputs = {lay.rel(folder / n): b for n, b in files.items()}
        payload["model"] = {
            "dir": lay.rel(folder),
            "training_window": result.model.metadata.get("training_window"),
            "inspections": result.model.metadata.get("inspections"),
            "metrics": result.model.metadata.get("metrics"),
        }
        if result.trained_on is not None:  # what a later run must match to reuse this model
            payload["model"]["trained_on"] = result.trained_on
    if _inside(ws.path, target):
        outputs[str(target)] = data
    else:  # a file outside the workspace cannot be audited later; write it plainly
        from tiered.files import atomic_write_bytes

        atomic_write_bytes(target, data)
        payload["out"] = str(target)
    if outputs:
        staged.commit_files(ws.path, "score_run", payload, outputs, actor=actor)
    else:
        ledger.append(ws.path, "score_run", payload, actor=actor)
    return result, ws, target


def _inside(ws: Path, target: Path) -> bool:
    try:
        target.resolve().relative_to(ws.resolve())
        return True
    except ValueError:
        return False
