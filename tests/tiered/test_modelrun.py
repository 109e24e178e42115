"""tiered.analysis.modelrun: risk for `tiered score`, tier basis, models under out/models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from scoring.model import RiskModel
from scoring.model_config import ModelConfig
from scoring.model_features import features_at
from tiered.analysis import modelrun
from tiered.workspace import load_workspace

ALWAYS = ModelConfig(require_better=False)
AS_OF = "2026-11-01"


def test_risk_for_active_entities(demo_ws_session):
    ws = load_workspace(demo_ws_session)
    r = modelrun.risk_for(ws, AS_OF, with_reasons=True, model_config=ALWAYS)
    ent = ws.table("entities")
    active = ent[ent["status"].isna() | (ent["status"] == "active")]
    assert list(r.columns) == ["uscc", "risk", "risk_reasons"]
    assert sorted(r["uscc"]) == sorted(active["uscc"]) and r["uscc"].is_monotonic_increasing
    assert r["risk"].between(0, 1).all()
    assert r["risk"].nunique() > 10
    assert modelrun.risk_for(ws, AS_OF, model_config=ModelConfig(min_inspections=10**6)) is None
    assert modelrun.risk_for(ws, "2020-01-01", model_config=ALWAYS) is None  # no history yet


def test_score_with_model_keeps_contract_columns(demo_ws_session):
    ws = load_workspace(demo_ws_session)
    plain, src = modelrun.score_with_model(ws, AS_OF, model_config=ModelConfig(enabled=False))
    assert src != "model"
    frame, src = modelrun.score_with_model(ws, AS_OF, model_config=ALWAYS)
    assert src == "model" and list(frame.columns) == list(plain.columns)
    assert (frame["tier"] == plain["tier"]).all()  # tier basis "score" by default
    assert not np.allclose(frame["risk"], plain["risk"])
    by_risk, _ = modelrun.score_with_model(
        ws, AS_OF, model_config=ModelConfig(require_better=False, tier_basis="risk")
    )
    mean_risk = by_risk.groupby("tier")["risk"].mean()
    assert mean_risk["A"] < mean_risk["B"] < mean_risk["C"]  # tiers follow the risk
    # an A needs risk-as-points >= 737, i.e. risk <= 1 / (1 + exp((737 - 550) / 145))
    limit = 1 / (1 + np.exp((737 - 550) / 145))
    assert by_risk.loc[by_risk["tier"] == "A", "risk"].max() <= limit + 1e-4


def test_save_replace_and_load(demo_ws):
    first = modelrun.train_and_save(demo_ws, AS_OF, ALWAYS)
    again = modelrun.train_and_save(demo_ws, AS_OF, ALWAYS)  # same date: replaced, not an error
    assert first == again == demo_ws / "out" / "models" / "2026-11-01"
    assert sorted(p.name for p in first.iterdir()) == ["model.json", "model.txt"]
    meta = json.loads((first / "model.json").read_text(encoding="utf-8"))
    assert meta["as_of"] == "2026-11-01" and meta["training_window"]["last"] < "2026-11-01"
    assert meta["inspections"] > 0 and "holdout_auc" in meta["metrics"]
    ws = load_workspace(demo_ws)
    model = RiskModel.load(first)
    trained = modelrun.train(ws, AS_OF, ALWAYS)
    pts = pd.DataFrame({"uscc": ws.table("entities")["uscc"].head(50), "date": pd.Timestamp(AS_OF)})
    x = features_at(ws.table("entities"), ws.tables["records"], ws.tables["inspections"], pts,
                    ws.config.scoring, model.categorical)  # fmt: skip
    np.testing.assert_allclose(model.predict_proba(x), trained.model.predict_proba(x))
