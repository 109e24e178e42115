"""scoring.pipeline.Scorer: estimator conventions, options, covered entities, partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring import Scorer, ScoringConfig, prepare
from scoring.composite import prior_risk
from tiered.demo.build import generate

AS_OF = "2026-07-01"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate(1500, seed=5, end="2026-06")


@pytest.fixture(scope="module")
def prepared(tables):
    return prepare(tables["entities"], tables["records"], tables["inspections"])


def test_init_only_stores_and_fit_returns_self(prepared) -> None:
    cfg = ScoringConfig()
    scorer = Scorer(cfg, reasons=False, lang="en")
    assert vars(scorer) == {
        "config": cfg, "risk": "calibrate", "reasons": False, "lang": "en", "model": None,
        "trained": None, "keep_indicators": False,
    }  # fmt: skip
    assert scorer.fit(prepared, AS_OF) is scorer
    assert scorer.as_of_ == pd.Timestamp(AS_OF) and scorer.typical_ is None
    with pytest.raises(RuntimeError):
        Scorer().transform(prepared)
    with pytest.raises(ValueError, match="risk must be"):
        Scorer(risk="sometimes").fit(prepared, AS_OF)


def test_tiers_only_equals_the_full_score(prepared) -> None:
    full = Scorer().fit(prepared, AS_OF).result_.frame
    fast = Scorer(risk=None, reasons=False).fit(prepared, AS_OF).result_
    assert fast.risk_source == "none" and fast.risk_mapping is None
    assert "risk" not in fast.frame and "reasons" not in fast.frame
    pd.testing.assert_frame_equal(fast.frame, full.drop(columns=["risk", "reasons"]))


def test_a_given_mapping_is_used_as_is(prepared) -> None:
    mapping = prior_risk(ScoringConfig())
    run = Scorer(risk=mapping).fit(prepared, AS_OF).result_
    assert run.risk_mapping is mapping and run.risk_source == "prior"
    np.testing.assert_allclose(run.frame["risk"], np.round(mapping(run.frame["score"]), 4))


def test_covered_is_active_and_already_registered(tables, prepared) -> None:
    ent = tables["entities"]
    covered = prepared.covered(AS_OF)
    reg = pd.to_datetime(ent["registered_on"])
    want = (ent["status"].fillna("active") == "active") & (reg.isna() | (reg < AS_OF))
    np.testing.assert_array_equal(covered, want.to_numpy())
    frame = Scorer(risk=None, reasons=False).fit(prepared, AS_OF).result_.frame
    assert sorted(frame["uscc"]) == sorted(ent.loc[covered, "uscc"])


def test_transform_per_partition_equals_the_whole(tables, prepared) -> None:
    """Partitions keyed by (legal representative, region), so related parties stay together:
    each partition's frame, scored with the state fitted on the whole, is its part of it."""
    scorer = Scorer().fit(prepared, AS_OF)
    whole = scorer.result_.frame
    ent, rec, ins = tables["entities"], tables["records"], tables["inspections"]
    key = (
        pd.util.hash_pandas_object(
            ent[["legal_representative", "region"]].astype(str), index=False
        ).to_numpy()
        % 3
    )
    parts = []
    for k in range(3):
        e = ent[key == k]
        keep = set(e["uscc"])
        part = prepare(e, rec[rec["uscc"].isin(keep)], ins[ins["uscc"].isin(keep)])
        parts.append(scorer.transform(part))
    joined = pd.concat(parts).sort_values("uscc", ignore_index=True)
    pd.testing.assert_frame_equal(joined, whole)
    assert scorer.transform(prepared).equals(whole)


def test_uscc_order_is_numpys_stable_argsort() -> None:
    import numpy as np

    from scoring.pipeline import uscc_order

    rng = np.random.default_rng(5)
    alphabet = list("0123456789ABCXY中文é𝄞") + [""]
    for n in (0, 1, 50, 2000):
        keys = np.array(["".join(rng.choice(alphabet, rng.integers(0, 4))) for _ in range(n)],
                        dtype=object)  # fmt: skip
        assert np.array_equal(uscc_order(keys), np.argsort(keys, kind="stable"))


@pytest.mark.parametrize("learned", [True, False])
def test_calibrate_unless_model_gives_the_same_frame(prepared, learned: bool) -> None:
    from scoring.model_config import ModelConfig
    from scoring.pipeline import UNLESS_MODEL

    model = ModelConfig(enabled=learned, require_better=False, min_inspections=50,
                        min_positives=5)  # fmt: skip
    full = Scorer(model=model).fit(prepared, AS_OF).result_
    lean = Scorer(model=model, risk=UNLESS_MODEL).fit(prepared, AS_OF).result_
    pd.testing.assert_frame_equal(lean.frame, full.frame, check_exact=True)
    assert lean.risk_source == full.risk_source == ("model" if learned else full.risk_source)
    if learned:
        assert lean.risk_mapping is None and full.risk_mapping is not None
    else:
        assert lean.risk_mapping == full.risk_mapping
