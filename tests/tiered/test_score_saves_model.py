"""Issue 17 item 18: `tiered score` stores the model its risk came from under the layout's
models folder (LightGBM text + model.json), in the same ledgered operation as the scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.model import RiskModel
from scoring.model_features import features_at
from tests.conftest import run_cli
from tiered.layout import Layout
from tiered.ledger import chain as ledger
from tiered.workspace import load_workspace

AS_OF = "2026-11-01"


def test_score_run_saves_and_ledgers_its_model(demo_ws: Path) -> None:
    (demo_ws / "config.yaml").write_text("model: {require_better: false}\n", "utf-8")
    code, out, _, err = run_cli("score", str(demo_ws), "--as-of", AS_OF, "--json")
    assert code in (0, 1), err
    folder = Layout.of(demo_ws).model_dir(AS_OF)
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.txt"]
    meta = json.loads((folder / "model.json").read_text("utf-8"))
    assert meta["as_of"] == AS_OF and meta["training_window"]["last"] < AS_OF
    entry = [e for e in ledger.entries(demo_ws) if e.kind == "score_run"][-1]
    assert entry.payload["risk_method"] == "model"
    assert entry.payload["model"]["dir"] == f"out/models/{AS_OF}"
    named = {f["path"] for f in entry.files}
    assert {f"out/models/{AS_OF}/model.txt", f"out/models/{AS_OF}/model.json"} <= named
    assert f"out/scores/{AS_OF}.csv" in named
    assert run_cli("audit", str(demo_ws), "--json")[0] == 0

    # the stored model is the one behind the scores file's risk
    scores = pd.read_csv(Layout.of(demo_ws).scores(AS_OF), dtype={"uscc": str})
    ws = load_workspace(demo_ws)
    model = RiskModel.load(folder)
    pts = pd.DataFrame({"uscc": scores["uscc"].head(200), "date": pd.Timestamp(AS_OF)})
    x = features_at(ws.prepared(), pts, ws.config.scoring, model.categorical)
    np.testing.assert_allclose(
        np.round(model.predict_proba(x)[:, 1], 4), scores["risk"].head(200), atol=1e-4
    )


def test_score_run_without_a_model_stores_none(demo_ws: Path) -> None:
    (demo_ws / "config.yaml").write_text("model: {enabled: false}\n", "utf-8")
    code, _, _, err = run_cli("score", str(demo_ws), "--as-of", AS_OF, "--json")
    assert code in (0, 1), err
    assert not Layout.of(demo_ws).models_dir.exists()
    entry = [e for e in ledger.entries(demo_ws) if e.kind == "score_run"][-1]
    assert "model" not in entry.payload
