"""notebooks/threshold_tuning.ipynb runs top to bottom on a small demo workspace."""

from __future__ import annotations

import os

from tests.conftest import execute_notebook


def test_threshold_notebook_executes(monkeypatch, tmp_path):
    monkeypatch.delenv("TIERED_WORKSPACE", raising=False)
    monkeypatch.setenv("TIERED_DEMO_ENTITIES", "3000")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    _, seconds, text = execute_notebook("threshold_tuning.ipynb", tmp_path)
    assert seconds < 60
    assert "PSI (3 months earlier -> now)" in text
    assert "thresholds:" in text
    assert os.environ.get("TIERED_WORKSPACE") is None
