"""`tiered score` reuses the learned model a previous score run stored for the same date when
everything its training reads is the same (tables, as-of date, model config, the training part
of the scoring config, code, libraries), and only then; the files and the ledger entry are the
ones a fresh training gives (`tiered.analysis.modelrun.stored_model`)."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path

import pytest
from calls import count_calls

from scoring import learned
from scoring.config import ScoringConfig, ThresholdConfig
from tiered.analysis import modelrun
from tiered.analysis.scorerun import run_score
from tiered.layout import Layout
from tiered.ledger import chain
from tiered.workspace import load_workspace

AS_OF = "2026-11-01"
MODEL = "model: {require_better: false}\n"
# Another month's tiering: thresholds, an override and sampling rates (not read by training).
RETIERED = (
    MODEL
    + "scoring:\n  thresholds: {a: 760, b: 640, c: 520}\n  overrides: {tax_grade_D: B}\n"
    + "sampling:\n  tier_rates: {A: 0.01, B: 0.02, C: 0.05, D: 0.2}\n"
)


def _no_training(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the learned model was trained")

    monkeypatch.setattr(learned, "train", refuse)
    monkeypatch.setattr(learned, "fit", refuse)


def _count_training(monkeypatch) -> list[int]:
    return count_calls(monkeypatch, learned, "train")


def _score(ws: Path, config: str, as_of: str = AS_OF):
    (ws / "config.yaml").write_text(config, "utf-8")
    return run_score(ws, as_of)


def _model_files(ws: Path, as_of: str = AS_OF) -> dict[str, bytes]:
    folder = Layout.of(ws).model_dir(as_of)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _undated(meta: bytes) -> dict:
    out = json.loads(meta)
    out.pop("created_at")
    return out


def _last_run(ws: Path) -> chain.Entry:
    return [e for e in chain.entries(ws) if e.kind == "score_run"][-1]


def _fresh(demo_ws_session: Path, target: Path) -> Path:
    shutil.copytree(demo_ws_session, target, ignore=shutil.ignore_patterns("out"))
    return target


def test_rescoring_with_other_thresholds_reuses_the_model_and_equals_a_fresh_run(
    demo_ws: Path, demo_ws_session: Path, tmp_path: Path, monkeypatch
) -> None:
    first, _, _ = _score(demo_ws, MODEL)
    assert first.risk_source == "model" and first.stored is None
    _no_training(monkeypatch)
    again, _, target = _score(demo_ws, RETIERED)
    runs = [e.seq for e in chain.entries(demo_ws) if e.kind == "score_run"]
    assert again.stored is not None and again.stored.seq == runs[-2]
    assert again.tier_mix() != first.tier_mix()  # the thresholds did change the tiers
    monkeypatch.undo()

    fresh_ws = _fresh(demo_ws_session, tmp_path / "fresh")
    fresh, _, fresh_target = _score(fresh_ws, RETIERED)
    assert fresh.stored is None  # trained there
    assert target.read_bytes() == fresh_target.read_bytes()
    mine, theirs = _model_files(demo_ws), _model_files(fresh_ws)
    assert mine["model.txt"] == theirs["model.txt"]
    assert _undated(mine["model.json"]) == _undated(theirs["model.json"])
    a, b = _last_run(demo_ws), _last_run(fresh_ws)
    # the basis, the validated cache, the model's trained_on: all but the staged operation's id
    assert {**a.payload, "op": ""} == {**b.payload, "op": ""}
    assert a.payload["model"]["trained_on"]["as_of"] == AS_OF

    def files(e: chain.Entry) -> list[dict]:
        return [f for f in e.files if not f["path"].endswith("model.json")]

    assert files(a) == files(b)
    assert run_cli_audit(demo_ws) == 0


def run_cli_audit(ws: Path) -> int:
    from tests.conftest import run_cli

    return run_cli("audit", str(ws), "--json")[0]


def test_the_same_score_again_reuses_the_model_through_the_cli(demo_ws: Path) -> None:
    from tests.conftest import run_cli

    (demo_ws / "config.yaml").write_text(MODEL, "utf-8")
    _, one, _, _ = run_cli("score", str(demo_ws), "--as-of", AS_OF, "--json")
    before = _model_files(demo_ws)
    _, two, out, err = run_cli("score", str(demo_ws), "--as-of", AS_OF, "--json", "-v")
    assert one["model"]["reused_from"] is None
    runs = [e.seq for e in chain.entries(demo_ws) if e.kind == "score_run"]
    assert two["model"]["reused_from"] == runs[-2]
    assert "reused from score run" in err and "Traceback" not in err
    assert _model_files(demo_ws) == before  # the very bytes, created_at included


@pytest.mark.parametrize(
    "change",
    ["model config", "as-of date", "inspections", "records", "indicator points", "code", "library"],
)
def test_what_training_reads_changed_trains_again(demo_ws: Path, monkeypatch, change: str) -> None:
    _score(demo_ws, MODEL)
    config, as_of = MODEL, AS_OF
    if change == "model config":
        config = "model: {require_better: false, n_estimators: 150}\n"
    elif change == "as-of date":
        as_of = "2026-10-15"
    elif change in ("inspections", "records"):
        path = demo_ws / f"{change}.csv"
        lines = path.read_text("utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[:-1]), "utf-8")  # one row fewer
    elif change == "indicator points":  # the composite score is one of the model's features
        config = MODEL + "scoring: {indicators: {penalty_general: {points: 80}}}\n"
    elif change == "code":
        from tiered.analysis import basis

        monkeypatch.setattr(basis, "code_digest", lambda: "0" * 64)
    elif change == "library":
        monkeypatch.setattr(modelrun, "_version", lambda name: "0.0")
    calls = _count_training(monkeypatch)
    result, _, _ = _score(demo_ws, config, as_of)
    assert calls == [1] and result.stored is None
    assert result.trained_on is not None
    # ... and what it trained is what the next run with the same change reuses
    calls.clear()
    again, _, _ = _score(demo_ws, config, as_of)
    assert calls == [] and again.stored is not None


@pytest.mark.parametrize("name", ["model.txt", "model.json"])
def test_an_edited_stored_model_is_trained_again_and_said_so(
    demo_ws: Path, monkeypatch, caplog, name: str
) -> None:
    _score(demo_ws, MODEL)
    original = _model_files(demo_ws)
    path = Layout.of(demo_ws).model_dir(AS_OF) / name
    text = path.read_text("utf-8")
    edited = (
        text.replace("learning_rate", "learning_rate ", 1)
        if name == "model.txt"
        else text.replace('"seed"', '"seed" ', 1)
    )
    assert edited != text
    path.write_text(edited, "utf-8")
    calls = _count_training(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="tiered.analysis.modelrun"):
        result, _, _ = _score(demo_ws, MODEL)
    assert calls == [1] and result.stored is None
    assert any(name in r.getMessage() and "trained again" in r.getMessage() for r in caplog.records)
    got = _model_files(demo_ws)
    assert got["model.txt"] == original["model.txt"]  # retrained: the same trees, rewritten
    assert _undated(got["model.json"]) == _undated(original["model.json"])


def test_a_stored_model_the_ledger_never_recorded_is_not_used(demo_ws: Path, monkeypatch) -> None:
    _score(demo_ws, MODEL)
    # the same files laid under another date by hand: no ledger entry vouches for them there
    other = Layout.of(demo_ws).model_dir("2026-10-15")
    shutil.copytree(Layout.of(demo_ws).model_dir(AS_OF), other)
    calls = _count_training(monkeypatch)
    result, _, _ = _score(demo_ws, MODEL, "2026-10-15")
    assert calls == [1] and result.stored is None


def test_a_removed_stored_model_is_trained_again(demo_ws: Path, monkeypatch) -> None:
    _score(demo_ws, MODEL)
    (Layout.of(demo_ws).model_dir(AS_OF) / "model.txt").unlink()
    calls = _count_training(monkeypatch)
    result, _, _ = _score(demo_ws, MODEL)
    assert calls == [1] and result.stored is None
    assert (Layout.of(demo_ws).model_dir(AS_OF) / "model.txt").is_file()


def test_training_reads_only_its_part_of_the_scoring_config(demo_ws_session: Path) -> None:
    """What `learned.training_config` leaves out does not change the trained model (so a run
    that changes only those reuses it); the indicator points it keeps do change it."""
    ws = load_workspace(demo_ws_session)
    prep, base = ws.prepared(), ws.config.scoring
    mcfg = modelrun.model_config_of(ws)
    mcfg = dataclasses.replace(mcfg, require_better=False)

    def trees(cfg: ScoringConfig) -> str:
        return learned.train(prep, AS_OF, cfg, mcfg).model.booster_.model_to_string()

    relabelled = {
        k: dataclasses.replace(v, label=v.label + "?", dimension="social")
        for k, v in base.indicators.items()
    }
    not_read = [
        dataclasses.replace(base, thresholds=ThresholdConfig(a=800, b=600, c=400)),
        dataclasses.replace(base, overrides={}),
        dataclasses.replace(base, risk=dataclasses.replace(base.risk, method="isotonic")),
        dataclasses.replace(base, reason_reference="zero", reasons=1),
        dataclasses.replace(base, indicators=relabelled),
    ]
    assert {f.name for f in dataclasses.fields(ScoringConfig)} >= set(learned.NOT_READ_IN_TRAINING)
    reference = trees(base)
    for cfg in not_read:
        assert learned.training_config(cfg) == learned.training_config(base)
        assert trees(cfg) == reference
    heavier = dict(base.indicators)
    heavier["penalty_general"] = dataclasses.replace(heavier["penalty_general"], points=80)
    read = dataclasses.replace(base, indicators=heavier)
    assert learned.training_config(read) != learned.training_config(base)
    assert trees(read) != reference
    windows = dataclasses.replace(base, windows=dataclasses.replace(base.windows, general_days=200))
    assert learned.training_config(windows) != learned.training_config(base)


def test_the_app_baseline_uses_the_stored_model(demo_ws: Path, monkeypatch) -> None:
    """The analyst's what-if (`build_baseline`) scores through `score_workspace` too: after a
    score run it takes the stored model, and its risk is the scores file's."""
    import pandas as pd

    from app_support.model import build_baseline

    _, _, target = _score(demo_ws, MODEL)
    _no_training(monkeypatch)
    base = build_baseline(load_workspace(demo_ws), pd.Timestamp(AS_OF))
    assert base.risk_source == "model"
    scores = pd.read_csv(target, dtype={"uscc": str}, encoding="utf-8-sig")
    assert base.frame["uscc"].tolist() == scores["uscc"].tolist()
    assert base.frame["risk"].tolist() == scores["risk"].tolist()


def test_a_trained_model_of_another_date_is_refused(demo_ws_session: Path) -> None:
    from scoring.pipeline import Scorer

    ws = load_workspace(demo_ws_session)
    mcfg = dataclasses.replace(modelrun.model_config_of(ws), require_better=False)
    trained = learned.train(ws.prepared(), AS_OF, ws.config.scoring, mcfg)
    with pytest.raises(ValueError, match="2026-11-01"):
        Scorer(ws.config.scoring, model=mcfg, trained=trained).fit(ws.prepared(), "2026-10-01")
    with pytest.raises(ValueError, match="enabled"):
        Scorer(ws.config.scoring, trained=trained).fit(ws.prepared(), AS_OF)
