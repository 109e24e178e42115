"""Tickets must order and read exactly as the reference consistent_sampler does."""

from __future__ import annotations

import consistent_sampler as cs
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling.tickets import (
    full_fraction,
    smallest,
    ticket_keys,
    ticket_order,
    ticket_strings,
    tie_ranks,
)

ids_strategy = st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=60, unique=True)
seed_strategy = st.text(min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(ids=ids_strategy, seed=seed_strategy)
def test_order_matches_reference_sampler(ids: list[str], seed: str) -> None:
    ours = [ids[i] for i in ticket_order(ids, seed)]
    assert ours == list(cs.sampler(ids, seed=seed, output="id"))


@settings(max_examples=40, deadline=None)
@given(ids=ids_strategy, seed=seed_strategy)
def test_full_and_display_tickets_are_reference_prefixes(ids: list[str], seed: str) -> None:
    shown = ticket_strings(ids, seed, 20)
    for u, t in zip(ids, shown, strict=True):
        ref = cs.first_fraction(u, seed)
        assert full_fraction(u, seed) == ref
        assert len(t) == 22 and ref.startswith(t)


def test_docstring_example_and_large_set() -> None:
    assert full_fraction("AB-130", "01382438112797316654") == (
        "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"
    )
    ids = [f"91630200MA{i:08d}" for i in range(5000)]
    ours = [ids[i] for i in ticket_order(ids, "20 dice: 31415926535897932384")]
    assert ours == list(cs.sampler(ids, seed="20 dice: 31415926535897932384", output="id"))


def test_keys_are_first_19_digits() -> None:
    ids = ["a", "b", "c"]
    keys = ticket_keys(ids, "s")
    for u, k in zip(ids, keys, strict=True):
        assert f"{int(k):019d}" == cs.first_fraction(u, "s")[2:21]


def test_equal_keys_fall_back_to_full_ticket_then_id() -> None:
    ids = ["x", "y", "z", "w"]
    keys = np.array([5, 5, 5, 1], dtype=np.uint64)  # forced collisions
    ranks = tie_ranks(ids, keys, "seed")
    tied = sorted(["x", "y", "z"], key=lambda u: cs.first_fraction(u, "seed"))
    assert ranks[3] == 0
    assert [ids[i] for i in np.argsort(ranks[:3])] == tied


def test_subset_order_is_filtered_whole_order() -> None:
    ids = [f"E{i}" for i in range(500)]
    whole = [ids[i] for i in ticket_order(ids, "7")]
    subset = ids[::3]
    part = [subset[i] for i in ticket_order(subset, "7")]
    assert part == [u for u in whole if u in set(subset)]


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(st.integers(0, 6), min_size=1, max_size=40),
    take=st.integers(0, 45),
)
def test_smallest_equals_head_of_full_order_even_with_ties(keys: list[int], take: int) -> None:
    ids = [f"E{i}" for i in range(len(keys))]
    k = np.array(keys, dtype=np.uint64)  # tiny key range: many forced ties
    expected = ticket_order(ids, "t", k)[:take]
    assert smallest(ids, "t", take, k).tolist() == expected.tolist()


def test_smallest_matches_reference_take() -> None:
    ids = [f"91630200MA{i:08d}" for i in range(3000)]
    got = [ids[i] for i in smallest(ids, "seed 2", 25)]
    assert got == list(cs.sampler(ids, seed="seed 2", take=25, output="id"))
