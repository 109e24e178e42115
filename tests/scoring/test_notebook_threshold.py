"""notebooks/threshold_tuning.ipynb runs top to bottom on a small demo workspace."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "threshold_tuning.ipynb"


def test_threshold_notebook_executes(monkeypatch, tmp_path):
    monkeypatch.delenv("TIERED_WORKSPACE", raising=False)
    monkeypatch.setenv("TIERED_DEMO_ENTITIES", "3000")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    assert time.perf_counter() - start < 60
    text = "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )  # fmt: skip
    assert "PSI (3 months earlier -> now)" in text
    assert "thresholds:" in text
    assert os.environ.get("TIERED_WORKSPACE") is None
