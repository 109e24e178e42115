"""The learned model: scoring.learned on a workspace, the Scorer with a model (tier basis),
tiered.analysis.modelrun storing models under out/models."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd

from scoring import learned
from scoring.model import RiskModel
from scoring.model_config import ModelConfig
from scoring.model_features import features_at
from scoring.pipeline import Scorer
from tiered.analysis import modelrun
from tiered.workspace import load_workspace

ALWAYS = ModelConfig(require_better=False)
AS_OF = "2026-11-01"


def test_learned_risk_for_points(demo_ws_session):
    ws = load_workspace(demo_ws_session)
    prep, scfg = ws.prepared(), ws.config.scoring
    trained = learned.train(prep, AS_OF, scfg, ALWAYS)
    ent = ws.table("entities")
    pts = pd.DataFrame({"uscc": ent["uscc"], "date": pd.Timestamp(AS_OF)})
    r = learned.predict(trained, prep, pts, scfg, reasons=True)
    assert list(r.columns) == ["uscc", "risk", "risk_reasons"]
    assert r["uscc"].tolist() == ent["uscc"].tolist()  # in the points' order
    assert r["risk"].between(0, 1).all()
    assert r["risk"].nunique() > 10
    part = learned.predict(trained, prep, pts.iloc[::7], scfg)  # per point: a subset agrees
    np.testing.assert_array_equal(part["risk"], r["risk"].iloc[::7])
    assert learned.train(prep, AS_OF, scfg, ModelConfig(min_inspections=10**6)) is None
    assert learned.train(prep, "2020-01-01", scfg, ALWAYS) is None  # no history yet


def test_scorer_with_a_model_keeps_contract_columns(demo_ws_session):
    ws = load_workspace(demo_ws_session)
    prep, scfg = ws.prepared(), ws.config.scoring
    plain = Scorer(scfg).fit(prep, AS_OF).result_
    assert plain.risk_source != "model" and plain.model is None
    run = Scorer(scfg, model=ALWAYS).fit(prep, AS_OF).result_
    frame = run.frame
    assert run.risk_source == "model" and run.model is not None
    assert list(frame.columns) == list(plain.frame.columns)
    assert (frame["tier"] == plain.frame["tier"]).all()  # tier basis "score" by default
    assert not np.allclose(frame["risk"], plain.frame["risk"])
    by_risk = Scorer(scfg, model=replace(ALWAYS, tier_basis="risk")).fit(prep, AS_OF).result_
    mean_risk = by_risk.frame.groupby("tier")["risk"].mean()
    assert mean_risk["A"] < mean_risk["B"] < mean_risk["C"]  # tiers follow the risk
    # an A needs risk-as-points >= 737, i.e. risk <= 1 / (1 + exp((737 - 550) / 145))
    limit = 1 / (1 + np.exp((737 - 550) / 145))
    assert by_risk.frame.loc[by_risk.frame["tier"] == "A", "risk"].max() <= limit + 1e-4


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
    x = features_at(ws.prepared(), pts, ws.config.scoring, model.categorical)
    np.testing.assert_allclose(model.predict_proba(x), trained.model.predict_proba(x))
