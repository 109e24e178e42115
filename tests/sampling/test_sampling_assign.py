"""Inspector assignment rules: k >= 2, qualified, active, no conflicts, rotation, balance."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling.assign import assign_inspectors
from sampling.config import AssignmentConfig
from sampling.errors import AssignmentError, PlanError

from .conftest import SECTORS, build_frame, build_inspectors


def _check_rules(out, inspectors, conflicts, previous, cfg) -> None:
    info = inspectors.set_index("inspector_id")
    bad = set(zip(conflicts["uscc"], conflicts["inspector_id"], strict=True))
    prev = set(zip(previous["uscc"], previous["inspector_id"], strict=True))
    for r in out.itertuples():
        ids = r.inspectors.split(";")
        assert len(ids) == len(set(ids)) == cfg.inspectors_per_inspection >= 2
        for i in ids:
            assert info.loc[i, "active"]
            assert r.sector in info.loc[i, "sectors"].split(";")
            assert (r.uscc, i) not in bad and (r.uscc, i) not in prev
            if cfg.same_region:
                assert info.loc[i, "region"] in (None, r.region) or pd.isna(info.loc[i, "region"])


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 80),
    m=st.integers(8, 30),
    seed=st.integers(0, 99),
    k=st.integers(2, 3),
    same_region=st.booleans(),
)
def test_rules_hold_or_a_named_error(n, m, seed, k, same_region) -> None:
    sel = build_frame(n, seed=seed)
    insp = build_inspectors(m, seed=seed)
    conflicts = pd.DataFrame(
        {"uscc": sel["uscc"].iloc[::3], "inspector_id": insp["inspector_id"].iloc[0]}
    )
    previous = pd.DataFrame({"uscc": sel["uscc"].iloc[::2], "inspector_id": "I001;I002"})
    cfg = AssignmentConfig(inspectors_per_inspection=k, same_region=same_region)
    try:
        out = assign_inspectors(sel, insp, str(seed), cfg, conflicts, previous)
    except AssignmentError as exc:
        assert exc.uscc in set(sel["uscc"]) and exc.uscc in str(exc)
        return
    long_prev = previous.assign(inspector_id=previous["inspector_id"].str.split(";")).explode(
        "inspector_id"
    )
    _check_rules(out, insp, conflicts, long_prev, cfg)


def test_balanced_load_when_everyone_qualifies() -> None:
    sel = build_frame(101, seed=4)
    insp = pd.DataFrame(
        {
            "inspector_id": [f"I{i}" for i in range(9)],
            "name": "x",
            "sectors": ";".join(SECTORS),
            "region": None,
            "active": True,
        }
    )
    out = assign_inspectors(sel, insp, "s")
    loads = out["inspectors"].str.split(";").explode().value_counts().to_dict()
    assert len(loads) == 9 and max(loads.values()) - min(loads.values()) <= 1


def test_order_independent_and_reproducible() -> None:
    sel = build_frame(60, seed=7)
    insp = build_inspectors(15, seed=7)
    a = assign_inspectors(sel, insp, "seed")
    b = assign_inspectors(
        sel.sample(frac=1, random_state=3), insp.sample(frac=1, random_state=4), "seed"
    )
    assert (
        a.set_index("uscc")["inspectors"].to_dict() == b.set_index("uscc")["inspectors"].to_dict()
    )
    c = assign_inspectors(sel, insp, "other seed")
    assert a["inspectors"].tolist() != c["inspectors"].tolist()


def test_infeasible_names_entity_and_reason() -> None:
    sel = pd.DataFrame(
        {
            "uscc": ["U1", "U2"],
            "name": ["甲公司", "乙公司"],
            "sector": ["tax", "food_drug"],
            "region": "乐都区",
        }
    )
    insp = pd.DataFrame(
        {
            "inspector_id": ["A", "B", "C"],
            "name": "x",
            "sectors": ["tax;food_drug", "food_drug", "tax"],
            "region": None,
            "active": [True, True, False],
        }
    )
    with pytest.raises(AssignmentError) as err:
        assign_inspectors(sel, insp, "s")
    assert err.value.uscc == "U1" and "甲公司" in str(err.value) and "tax" in str(err.value)
    conflicts = pd.DataFrame({"uscc": ["U2"], "inspector_id": ["B"]})
    insp.loc[2, "active"] = True
    with pytest.raises(AssignmentError, match="回避 1"):
        assign_inspectors(sel, insp, "s", conflicts=conflicts)
    with pytest.raises(PlanError):
        assign_inspectors(sel, insp, "s", AssignmentConfig(inspectors_per_inspection=1))
