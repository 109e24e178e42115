"""The draw's frame built from Arrow columns (`tiered.draws.frame`): the same draw whatever the
entities' row order, text columns for callers, and a draw after a score run that never loads
the scoring pipeline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tiered.analysis.scorerun import run_score
from tiered.demo.build import write_demo
from tiered.draws.draw import build_frame, run_draw
from tiered.draws.verify import verify_draw
from tiered.workspace import load_workspace

MONTH = "2026-01"
SEED = "271828"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("framews") / "ws"
    write_demo(ws, n_entities=600, seed=11, end="2025-12")
    return ws


def _copy(base: Path, to: Path) -> Path:
    shutil.copytree(base, to)
    return to


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_the_entities_row_order_changes_nothing(base_ws: Path, tmp_path: Path) -> None:
    plain = _copy(base_ws, tmp_path / "plain")
    shuffled = _copy(base_ws, tmp_path / "shuffled")
    ent = pd.read_csv(shuffled / "entities.csv", dtype=str, keep_default_na=False)
    ent.sample(frac=1, random_state=3).to_csv(shuffled / "entities.csv", index=False)
    run_score(plain, "2026-01-01")  # one reuses the score run's tiers, one computes them
    a, b = run_draw(plain, MONTH, SEED), run_draw(shuffled, MONTH, SEED)
    assert _files(a.out_dir) == _files(b.out_dir)
    for key in ("frame_sha256", "assignment_inputs_sha256", "files", "public_files", "strata"):
        assert a.manifest[key] == b.manifest[key]
    assert verify_draw(a.out_dir, plain).ok and verify_draw(b.out_dir, shuffled).ok


def test_build_frame_gives_text_columns_in_uscc_order(base_ws: Path, tmp_path: Path) -> None:
    ws = load_workspace(_copy(base_ws, tmp_path / "ws"), write_rejected=False)
    frame, prev = build_frame(ws, MONTH, None)
    assert list(frame.columns[:6]) == ["uscc", "name", "sector", "region", "status", "tier"]
    assert frame["last_inspected"].dtype == "datetime64[ns]"
    text = [c for c in frame.columns if c != "last_inspected"]
    assert all(frame[c].dtype == object for c in text)
    assert all(isinstance(v, str) for c in text for v in frame[c])
    assert frame["uscc"].tolist() == sorted(frame["uscc"].tolist())
    assert set(frame["status"]) == {"active"}
    entities = ws.table("entities")
    covered = entities[ws.covered(pd.Timestamp(MONTH + "-01"))]
    assert sorted(covered["uscc"]) == frame["uscc"].tolist()
    row = covered.set_index("uscc").loc[frame["uscc"], ["name", "sector", "region"]]
    assert (row.to_numpy() == frame[["name", "sector", "region"]].to_numpy()).all()
    assert list(prev.columns) == ["uscc", "inspector_id"] and len(prev)
    inspected = frame["last_inspected"].notna().to_numpy()
    assert inspected.any() and not inspected.all()
    assert np.all(frame.loc[inspected, "last_inspected"] < pd.Timestamp(MONTH + "-01"))


def test_a_draw_after_the_score_run_loads_no_scoring_pipeline(base_ws: Path, tmp_path: Path):
    ws = _copy(base_ws, tmp_path / "ws")
    run_score(ws, "2026-01-01")
    code = (
        "import sys, json\n"
        "from tiered.cli import main\n"
        f"rc = main(['draw', {str(ws)!r}, '--month', {MONTH!r}, '--seed', {SEED!r}, '--json'])\n"
        "heavy = sorted(m for m in ('sklearn', 'scipy', 'scoring.pipeline') if m in sys.modules)\n"
        "print(json.dumps({'rc': rc, 'heavy': heavy}), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    got = json.loads(done.stderr.strip().splitlines()[-1])
    assert got == {"rc": 0, "heavy": []}
