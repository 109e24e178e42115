"""The synthetic Haidong workspace: determinism, identity, shares, dates, inspectors, signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from demo_check import signal_check

from tables.spec import DEFAULT_RECORD_KINDS, TABLES
from tables.uscc import valid_mask
from tiered.demo import names as nm
from tiered.demo.build import default_end, generate, write_demo
from tiered.errors import UsageError

END = "2025-06"
END_DAY = pd.Timestamp("2025-06-30")


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return generate(2000, seed=7, end=END)


def test_demo_same_seed_same_frames_other_seed_differs(demo):
    again = generate(2000, seed=7, end=END)
    for name in demo:
        pd.testing.assert_frame_equal(demo[name], again[name])
    other = generate(2000, seed=8, end=END)
    assert not demo["entities"]["uscc"].equals(other["entities"]["uscc"])
    assert not demo["truth"]["propensity"].equals(other["truth"]["propensity"])


def test_demo_columns_exactly_as_contract(demo):
    for name, spec in TABLES.items():
        if name in demo:  # the task tables are optional
            assert list(demo[name].columns) == [c.name for c in spec.columns], name
    assert {"uscc", "propensity"} <= set(demo["truth"].columns)
    rec = demo["records"]
    assert rec["date"].dtype == "datetime64[ns]" and rec["ended_on"].dtype == "datetime64[ns]"
    assert demo["inspections"]["found_problem"].dtype == bool


def test_demo_usccs_valid_unique_with_division_and_type_codes(demo):
    ent = demo["entities"]
    codes = ent["uscc"].to_numpy()
    assert valid_mask(codes).all()
    assert ent["uscc"].is_unique
    division = ent["region"].map({r: code for r, (code, _) in nm.REGIONS.items()})
    assert (ent["uscc"].str[2:8] == division).all()
    assert (ent["uscc"].str[:2] == ent["entity_type"].map(nm.TYPE_PREFIX)).all()


def test_demo_single_character_substitution_fails_the_check(demo):
    code = demo["entities"]["uscc"].iloc[0]
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    variants = [code[:i] + c + code[i + 1 :] for i in range(18) for c in alphabet if c != code[i]]
    assert not valid_mask(np.array(variants, dtype=object)).any()


def test_demo_shares_are_plausible(demo):
    ent = demo["entities"]
    share = ent["entity_type"].value_counts(normalize=True)
    assert 0.60 < share["individual"] < 0.73
    assert set(ent["region"]) == set(nm.REGIONS)
    assert set(ent["sector"]) == set(nm.SECTORS)
    assert ent["region"].value_counts().idxmax() in ("乐都区", "民和县")
    inactive = ent["status"].ne("active").mean()
    assert 0.03 < inactive < 0.10
    p = demo["truth"]["propensity"]
    assert abs(p.mean() - 0.2) < 0.01 and p.median() < 0.15
    assert ent["name"].str.endswith("有限公司").sum() > 0
    assert ent.loc[ent["entity_type"] == "cooperative", "name"].str.endswith("专业合作社").all()
    assert ent["legal_representative"].str.len().between(2, 3).all()


def test_demo_vocabularies(demo):
    rec = demo["records"]
    assert set(rec["kind"]) == set(DEFAULT_RECORD_KINDS)
    assert set(rec["severity"].dropna()) == {"minor", "general", "serious"}
    assert set(rec.loc[rec["kind"] == "tax_grade", "value"]) <= set("ABMCD")
    assert set(rec.loc[rec["kind"] == "sector_rating", "value"]) <= set("ABCD")
    assert rec.loc[rec["kind"].isin(["tax_grade", "sector_rating"]), "value"].notna().all()
    assert (rec["amount"].dropna() >= 0).all()
    assert rec.loc[rec["kind"] == "penalty", "amount"].notna().mean() > 0.5
    assert rec["source"].notna().all()


def test_demo_dates_consistent(demo):
    ent = demo["entities"].set_index("uscc")
    rec, ins = demo["records"], demo["inspections"]
    ceased = demo["truth"].set_index("uscc")["ceased_on"]
    assert (ent["registered_on"] <= END_DAY).all()
    assert rec["date"].max() <= END_DAY and ins["date"].max() <= END_DAY
    assert rec["date"].min() >= pd.Timestamp("2022-07-01")
    ended = rec.dropna(subset=["ended_on"])
    assert (ended["ended_on"] >= ended["date"]).all() and (ended["ended_on"] <= END_DAY).all()
    assert rec["ended_on"].notna().any()
    for frame in (rec, ins):
        assert (frame["date"] >= ent.loc[frame["uscc"], "registered_on"].to_numpy()).all()
        c = ceased.loc[frame["uscc"]].to_numpy()
        assert (pd.isna(c) | (frame["date"].to_numpy() <= c)).all()
    active_ceased = ent.index[ent["status"] == "active"]
    assert ceased.loc[active_ceased].isna().all()


def test_demo_inspections_have_two_qualified_inspectors_without_conflicts(demo):
    ent = demo["entities"].set_index("uscc")
    insp = demo["inspectors"].set_index("inspector_id")
    ins = demo["inspections"]
    rate = len(ins) / 3 / len(ent)
    assert 0.025 < rate < 0.06
    pairs = ins["inspectors"].str.split(";", expand=True)
    assert (pairs[0] != pairs[1]).all()
    conflicts = set(zip(demo["conflicts"]["inspector_id"], demo["conflicts"]["uscc"], strict=True))
    for col in (0, 1):
        ids = pairs[col]
        assert ids.isin(insp.index).all()
        sectors = insp.loc[ids, "sectors"].str.split(";").to_numpy()
        own = ent.loc[ins["uscc"], "sector"].to_numpy()
        assert all(s in q for s, q in zip(own, sectors, strict=True))
        assert (insp.loc[ids, "region"].to_numpy() == ent.loc[ins["uscc"], "region"]).all()
        assert not conflicts & set(zip(ids, ins["uscc"], strict=True))
    assert (ins.loc[~ins["found_problem"], "result"] == nm.RESULT_OK).all()
    assert ins.loc[ins["found_problem"], "result"].isin(nm.RESULTS_FOUND).all()


def test_demo_every_sector_region_has_four_active_inspectors(demo):
    insp = demo["inspectors"]
    assert insp["inspector_id"].is_unique and insp["inspector_id"].str.match(r"HD\d{4}$").all()
    assert (~insp["active"]).any()
    act = insp[insp["active"]].assign(sector=lambda d: d["sectors"].str.split(";"))
    counts = act.explode("sector").groupby(["sector", "region"]).size()
    assert len(counts) == len(nm.SECTORS) * len(nm.REGIONS)
    assert counts.min() >= 4
    assert insp["sectors"].str.count(";").between(0, 2).all()
    conf = demo["conflicts"]
    assert conf["uscc"].isin(demo["entities"]["uscc"]).all()
    assert conf["inspector_id"].isin(insp["inspector_id"]).all()


def test_demo_records_carry_signal():
    result = signal_check(generate(20000, seed=3, end=END))
    assert result["auc"] >= 0.75, result
    assert result["ranked_lift"] >= 2.3, result
    assert result["tiered_lift"] >= 1.5, result
    hits = result["tier_hit_rates"]
    assert hits["A"] < hits["B"] < hits["C"] and hits["B"] < hits["D"], result
    assert 0.15 < result["base_rate"] < 0.35


def test_write_demo_round_trips_and_validates(tmp_path):
    from tiered.workspace import load_workspace

    summary = write_demo(tmp_path, n_entities=500, seed=1, end=END)
    frames = generate(500, seed=1, end=END)
    assert summary["rows"] == {k: len(v) for k, v in frames.items()}
    raw = (tmp_path / "inspections.csv").read_text(encoding="utf-8").splitlines()
    assert raw[0] == "uscc,date,found_problem,item,result,inspectors,task_id,type,category"
    assert raw[1].split(",")[2] in ("true", "false")
    back = pd.read_csv(tmp_path / "records.csv", parse_dates=["date", "ended_on"])
    pd.testing.assert_frame_equal(back, frames["records"].fillna(np.nan), check_dtype=False)
    ws = load_workspace(tmp_path, write_rejected=False, today=END_DAY.date())
    for name in ("entities", "records", "inspections", "inspectors", "conflicts"):
        assert len(ws.tables[name]) == len(frames[name]), name
        assert ws.rejected.get(name) is None or len(ws.rejected[name]) == 0, name


def test_demo_default_end_and_bad_end():
    import datetime as dt

    assert default_end(dt.date(2026, 1, 15)) == "2025-12"
    assert default_end(dt.date(2026, 3, 1)) == "2026-02"
    with pytest.raises(UsageError):
        generate(10, end="2025-13")
