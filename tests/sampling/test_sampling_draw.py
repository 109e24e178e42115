"""Draw invariants: row order, subsets, seeds, digests, manifest."""

from __future__ import annotations

import consistent_sampler as cs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling.config import SamplingConfig
from sampling.draw import draw, frame_digest, normalise_seed
from sampling.errors import SeedError
from sampling.plan import mark_eligibility
from sampling.tickets import ticket_order

from .conftest import build_frame

CFG = SamplingConfig(tier_rates={"A": 0.2, "B": 0.3, "C": 0.6, "D": 1.0})


def _ids(frame: pd.DataFrame, seed: str, config: SamplingConfig = CFG) -> list[str]:
    return draw(frame, "2026-03", seed, config).selected["uscc"].tolist()


@settings(max_examples=20, deadline=None)
@given(n=st.integers(30, 300), data_seed=st.integers(0, 30), perm_seed=st.integers(0, 10**6))
def test_row_and_column_order_never_change_the_draw(n: int, data_seed: int, perm_seed: int) -> None:
    frame = build_frame(n, seed=data_seed)
    shuffled = frame.sample(frac=1, random_state=perm_seed).iloc[:, ::-1]
    a = draw(frame, "2026-03", "seed", CFG, created_at="x")
    b = draw(shuffled, "2026-03", "seed", CFG, created_at="x")
    cols = list(a.selected.columns)
    pd.testing.assert_frame_equal(a.selected, b.selected[cols])
    assert a.manifest == b.manifest


@settings(max_examples=15, deadline=None)
@given(data_seed=st.integers(0, 30), keep=st.floats(0.2, 0.9))
def test_subset_sampling_equals_filtering_the_whole(data_seed: int, keep: float) -> None:
    """Within each stratum, the subset's draw is the head of the whole's ticket order filtered
    to the subset's random pool."""
    frame = build_frame(300, seed=data_seed)
    rng = np.random.default_rng(data_seed)
    subset = frame[rng.random(len(frame)) < keep]
    whole_order = [frame["uscc"].iloc[i] for i in ticket_order(frame["uscc"].tolist(), "s")]
    out = draw(subset, "2026-03", "s", CFG)
    marked = mark_eligibility(subset, "2026-03", CFG)
    for s in out.strata.itertuples():
        m = marked[(marked["sector"] == s.sector) & (marked["tier"] == s.tier)]
        pool = set(m.loc[m["eligible"] & ~m["must_inspect"], "uscc"])
        expected = [u for u in whole_order if u in pool][: s.quota]
        sel = out.selected
        got = sel[(sel["sector"] == s.sector) & (sel["tier"] == s.tier) & ~sel["must_inspect"]]
        assert got["uscc"].tolist() == expected


def test_drawn_are_smallest_tickets_of_each_stratum() -> None:
    frame = build_frame(600, seed=5)
    out = draw(frame, "2026-03", "42", CFG)
    marked = mark_eligibility(frame, "2026-03", CFG)
    for s in out.strata.itertuples():
        got = out.selected[
            (out.selected["sector"] == s.sector)
            & (out.selected["tier"] == s.tier)
            & ~out.selected["must_inspect"]
        ]["uscc"].tolist()
        m = marked[(marked["sector"] == s.sector) & (marked["tier"] == s.tier)]
        pool = m[m["eligible"] & ~m["must_inspect"]]["uscc"].tolist()
        assert len(got) == s.quota
        assert got == list(cs.sampler(pool, seed="42", output="id", take=s.quota))


def test_same_seed_same_draw_different_seed_different() -> None:
    frame = build_frame(500, seed=2)
    assert _ids(frame, "12345") == _ids(frame, " 12345 ")  # surrounding spaces are stripped
    assert _ids(frame, "12345") != _ids(frame, "12346")


def test_seed_rules() -> None:
    with pytest.raises(SeedError):
        normalise_seed("   ")
    with pytest.raises(SeedError):
        draw(build_frame(10), "2026-03", "", CFG)
    auto = normalise_seed("auto")
    assert len(auto) == 20 and auto.isdigit() and auto != normalise_seed("AUTO")
    out = draw(build_frame(50), "2026-03", "auto", CFG)
    assert out.manifest["seed"].isdigit()
    again = draw(build_frame(50), "2026-03", out.manifest["seed"], CFG)
    assert again.selected["uscc"].tolist() == out.selected["uscc"].tolist()


def test_frame_digest_is_order_free_and_content_sensitive() -> None:
    frame = build_frame(100)
    d = frame_digest(frame)
    assert d == frame_digest(frame.sample(frac=1, random_state=1)[frame.columns[::-1]])
    changed = frame.copy()
    changed.loc[3, "tier"] = "A" if changed.loc[3, "tier"] != "A" else "B"
    assert frame_digest(changed) != d
    assert frame_digest(frame.iloc[1:]) != d


def test_manifest_fields_and_must_inspect_first() -> None:
    frame = build_frame(400, seed=9, inspected_share=0.0)
    out = draw(frame, "2026-03", "9", SamplingConfig(must_inspect_tiers=("D",)))
    m = out.manifest
    for key in (
        "month",
        "seed",
        "ticket_method",
        "frame_sha256",
        "config_sha256",
        "tool_version",
        "created_at",
        "strata",
        "sampling_config",
    ):
        assert key in m
    assert {"sector", "tier", "eligible", "drawn", "inclusion_probability"} <= set(m["strata"][0])
    assert sum(s["drawn"] for s in m["strata"]) == len(out.selected)
    sel = out.selected
    must = sel[sel["must_inspect"]]
    assert (must["tier"] == "D").all() and (must["inclusion_probability"] == 1.0).all()
    active_d = frame[(frame["tier"] == "D") & (frame["status"] == "active")]
    assert set(must["uscc"]) == set(active_d["uscc"])  # none inspected: all D are due
    assert (sel["inclusion_probability"] > 0).all()
    assert sel["ticket"].str.len().eq(22).all()
