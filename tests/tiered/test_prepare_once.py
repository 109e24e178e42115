"""Issue 10: a command prepares the workspace's tables once (`Workspace.prepared`) and passes
that object down; score, draw (month and task), verify and plan each prepare exactly once."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest

import scoring.indicators
from tiered.cli import main

LEARNED = "model: {require_better: false, min_inspections: 50, min_positives: 5, tier_basis: risk}"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"n": 0}
    real = scoring.indicators.prepare

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring.indicators, "prepare", counting)
    return calls


def _run(calls: dict[str, int], *argv: str) -> int:
    calls["n"] = 0
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*argv, "--json"]) in (0, 1)
    return calls["n"]


@pytest.mark.parametrize("config", ["", LEARNED], ids=["composite", "learned"])
def test_each_command_prepares_once(demo_ws_session: Path, tmp_path: Path, counted, config):
    ws = tmp_path / "ws"
    shutil.copytree(demo_ws_session, ws)
    if config:
        (ws / "config.yaml").write_text(config + "\n", "utf-8")
    assert _run(counted, "score", str(ws), "--as-of", "2026-11-01") == 1
    # A draw after that score run reuses its tiers and builds its frame from the entities'
    # columns alone (`tiered.draws.frame`): nothing to prepare; nor do its verify and a task
    # draw of that month.
    assert _run(counted, "draw", str(ws), "--month", "2026-11", "--seed", "once") == 0
    folder = str(ws / "out" / "draws" / "2026-11")
    assert _run(counted, "verify", folder, "--workspace", str(ws)) == 0
    assert _run(counted, "task", "draw", str(ws), "--task", "HD2026-00", "--seed", "once") == 0
    assert _run(counted, "plan", str(ws), "--year", "2027") == 1
