"""A draw after the month's score run takes its tiers from that run (same workspace digest,
config and code) and gives byte for byte the draw that computes them; a stale run is not used."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tiered import workspace
from tiered.analysis import basis
from tiered.analysis.scorerun import run_score
from tiered.demo.build import write_demo
from tiered.draws.draw import run_draw
from tiered.draws.verify import verify_draw
from tiered.files import sha256_file
from tiered.workspace import load_workspace

MONTH = "2026-01"
AS_OF = "2026-01-01"
SEED = "20260101"


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("reusews") / "ws"
    write_demo(ws, n_entities=500, seed=5, end="2025-12")
    return ws


@pytest.fixture
def ws(base_ws: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(base_ws, dst)
    return dst


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def _reused(caplog: pytest.LogCaptureFixture) -> bool:
    return any("from score run" in r.getMessage() for r in caplog.records)


def test_reused_tiers_give_the_computed_draw_byte_for_byte(
    ws: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    computed = tmp_path / "computed"
    shutil.copytree(ws, computed)
    plain = run_draw(computed, MONTH, SEED)  # no score run: tiers computed
    run_score(ws, AS_OF)
    with caplog.at_level(logging.INFO, logger="tiered.analysis.basis"):
        reused = run_draw(ws, MONTH, SEED)
    assert _reused(caplog)
    assert _files(reused.out_dir) == _files(plain.out_dir)
    for key in ("frame_sha256", "assignment_inputs_sha256", "files", "public_files", "strata"):
        assert reused.manifest[key] == plain.manifest[key]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tiered.analysis.basis"):
        assert verify_draw(reused.out_dir, ws).ok
    assert _reused(caplog)  # verify takes the vouched tiers too
    assert verify_draw(plain.out_dir, computed).ok


def test_a_score_run_on_another_config_or_workspace_is_not_reused(
    ws: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_score(ws, AS_OF)
    w = load_workspace(ws, write_rejected=False)
    assert basis.ledgered_tiers(w, pd.Timestamp(AS_OF)) is not None
    (ws / "config.yaml").write_text("scoring:\n  thresholds:\n    a: 800\n", encoding="utf-8")
    w = load_workspace(ws, write_rejected=False)
    assert basis.ledgered_tiers(w, pd.Timestamp(AS_OF)) is None  # other config
    (ws / "config.yaml").unlink()
    ent = (ws / "entities.csv").read_bytes()
    w = load_workspace(ws, write_rejected=False)
    assert basis.ledgered_tiers(w, pd.Timestamp(AS_OF)) is not None  # same again: reused
    lines = ent.decode("utf-8-sig").splitlines(keepends=True)
    (ws / "entities.csv").write_text("".join(lines[:-1]), encoding="utf-8-sig")  # one fewer
    w = load_workspace(ws, write_rejected=False)
    assert basis.ledgered_tiers(w, pd.Timestamp(AS_OF)) is None  # other workspace digest
    assert basis.ledgered_tiers(w, pd.Timestamp("2026-02-01")) is None  # no run that day
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tiered.analysis.basis"):
        drawn = run_draw(ws, MONTH, SEED)
    assert not _reused(caplog)
    assert verify_draw(drawn.out_dir, ws).ok


def test_an_edited_scores_file_is_not_reused(ws: Path) -> None:
    _, _, target = run_score(ws, AS_OF)
    w = load_workspace(ws, write_rejected=False)
    text = target.read_text(encoding="utf-8-sig").replace(",A,", ",D,", 1)
    target.write_text(text, encoding="utf-8-sig")
    assert basis.ledgered_tiers(w, pd.Timestamp(AS_OF)) is None


def test_verify_reads_the_validated_cache_only_when_a_draw_recorded_it(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = run_draw(ws, MONTH, SEED)
    parsed: list[int] = []
    real = workspace._validate
    monkeypatch.setattr(workspace, "_validate", lambda *a, **k: parsed.append(1) or real(*a, **k))
    assert verify_draw(drawn.out_dir, ws).ok
    assert not parsed  # the cache the ledgered draw read
    folder = next((ws / "out" / "cache").iterdir())  # forge it, report.json included
    ent = pd.read_parquet(folder / "entities.parquet")
    ent.loc[0, "name"] = "伪造"
    ent.to_parquet(folder / "entities.parquet", index=False)
    meta = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    meta["sha256"]["entities.parquet"] = sha256_file(folder / "entities.parquet")
    (folder / "report.json").write_text(json.dumps(meta), encoding="utf-8")
    assert verify_draw(drawn.out_dir, ws).ok  # read from the inputs instead
    assert parsed
