"""Tickets: Rivest's consistent sampler, computed fast and identical to the reference.

How the method works, in plain words
------------------------------------
Every entity gets a *ticket*: a number between 0 and 1 that looks random but is fully
determined by two things, the entity's identifier (`uscc`) and the *seed*, the text read out at
the draw meeting (dice digits, a lottery number). The seed is the only source of randomness.
To draw k entities from a group, take the k with the smallest tickets.

The ticket is `first_fraction(uscc, seed)` of R. L. Rivest's public `consistent_sampler`:

1. hash the seed: `seed_hash = sha256_hex(seed)` (64 lowercase hex characters);
2. hash `seed_hash + uscc` with SHA-256 and read the 256-bit result as a whole number N;
3. write N in decimal (at least 64 digits, zero-padded), *reverse the digits*, and put "0." in
   front. The reversal puts N's unbiased low-order digits first.

Because an entity's ticket depends only on its own identifier and the seed, drawing from a
subset is the same as drawing from the whole and keeping the members of the subset ("sampling
a subset equals filtering the sample of the whole"), and anyone can re-derive a draw with the
reference package.

How it is made fast
-------------------
The reference builds a 78-digit string per entity and compares strings. Here each ticket is one
SHA-256 (the seed's 64-byte hash is exactly one SHA-256 block, so its state is computed once and
copied) and the sort key is the ticket's first 19 decimal digits as an unsigned 64-bit integer:
those digits are N mod 10**19, reversed. Comparing these integers orders tickets exactly as the
reference compares strings; where two keys are equal (about one pair in 10**13 at a million
entities) the full strings and then the identifiers break the tie, as the reference's heap does.

The `ticket` shown in a list is the reference's decimal string cut to `digits` digits after
"0." (default 20), e.g. `0.26299714122838008416`: a prefix of `first_fraction`'s output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

KEY_DIGITS = 19
_KEY_MOD = 10**KEY_DIGITS

TICKET_METHOD = (
    "consistent_sampler.first_fraction(uscc, seed) (R. L. Rivest, SHA-256); "
    "per sector x tier stratum the eligible entities with the smallest tickets"
)


def seed_hash(seed: str) -> str:
    """`consistent_sampler.sha256_hex(seed)`: the hex SHA-256 of the seed's UTF-8 text."""
    return hashlib.sha256(str(seed).encode("utf-8")).hexdigest()


def _hasher(seed: str) -> hashlib._Hash:
    return hashlib.sha256(seed_hash(seed).encode("utf-8"))


def full_fraction(uscc: str, seed: str) -> str:
    """The reference's `first_fraction(uscc, seed)`, exactly (a '0.ddd…' string)."""
    h = _hasher(seed)
    h.update(str(uscc).encode("utf-8"))
    digits = f"{int.from_bytes(h.digest(), 'big'):064d}"
    return "0." + digits[::-1]


def ticket_strings(usccs: Iterable[str], seed: str, digits: int = 20) -> list[str]:
    """Display tickets: `first_fraction(uscc, seed)[: 2 + digits]` for each identifier."""
    base = _hasher(seed)
    out = []
    for u in usccs:
        h = base.copy()
        h.update(str(u).encode("utf-8"))
        n = int.from_bytes(h.digest(), "big")
        low = f"{n % 10**digits:0{digits}d}"  # N has at least 64 digits when zero-padded
        out.append("0." + low[::-1])
    return out


def _reverse_digits(x: np.ndarray, width: int) -> np.ndarray:
    x = x.copy()
    rev = np.zeros_like(x)
    ten = np.uint64(10)
    for _ in range(width):
        rev = rev * ten + x % ten
        x //= ten
    return rev


def ticket_keys(usccs: Sequence[str], seed: str) -> np.ndarray:
    """uint64 sort keys: the first 19 digits of each entity's ticket, as an integer."""
    base = _hasher(seed)
    copy = base.copy
    from_bytes = int.from_bytes
    low: list[int] = []
    append = low.append
    for u in usccs:
        h = copy()
        h.update(u.encode("utf-8") if isinstance(u, str) else str(u).encode("utf-8"))
        append(from_bytes(h.digest(), "big") % _KEY_MOD)
    return _reverse_digits(np.array(low, dtype=np.uint64), KEY_DIGITS)


def tie_ranks(usccs: Sequence[str], keys: np.ndarray, seed: str) -> np.ndarray:
    """Secondary sort key: 0 normally; for rows sharing a key, their rank by (full ticket, uscc).

    Sorting by (key, tie_rank) then gives exactly the reference's order.
    """
    ranks = np.zeros(len(keys), dtype=np.int64)
    if len(keys) < 2:
        return ranks
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    dup = np.zeros(len(keys), dtype=bool)
    same = sk[1:] == sk[:-1]
    dup[1:] |= same
    dup[:-1] |= same
    if not dup.any():
        return ranks
    idx = order[dup]
    usccs_arr = [str(usccs[i]) for i in idx]
    tied = sorted(zip([full_fraction(u, seed) for u in usccs_arr], usccs_arr, idx, strict=True))
    for r, (_, _, i) in enumerate(tied, start=1):
        ranks[i] = r
    return ranks


def ticket_order(usccs: Sequence[str], seed: str) -> np.ndarray:
    """Indices that put `usccs` in ticket order (the reference sampler's output order)."""
    keys = ticket_keys(usccs, seed)
    return np.lexsort((tie_ranks(usccs, keys, seed), keys))
