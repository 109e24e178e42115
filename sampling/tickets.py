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


def _reverse_table(width: int) -> np.ndarray:
    """rev[i] = the `width`-digit zero-padded decimal of i, reversed, as an integer."""
    i = np.arange(10**width, dtype=np.uint64)
    rev = np.zeros_like(i)
    for _ in range(width):
        rev = rev * np.uint64(10) + i % np.uint64(10)
        i //= np.uint64(10)
    return rev


_REV5 = _reverse_table(5)
_REV4 = _reverse_table(4)
_P5 = np.uint64(10**5)


def _reverse19(x: np.ndarray) -> np.ndarray:
    """Reverse the 19 zero-padded decimal digits of each value (5 + 5 + 5 + 4 by table)."""
    c0 = x % _P5
    x = x // _P5
    c1 = x % _P5
    x = x // _P5
    c2 = x % _P5
    c3 = x // _P5
    return (
        _REV5[c0] * np.uint64(10**14)
        + _REV5[c1] * np.uint64(10**9)
        + _REV5[c2] * np.uint64(10**4)
        + _REV4[c3]
    )


# N mod 10**19 from the 32-byte digests without Python integers: N mod 2**19 is the low bits;
# N mod 5**19 (< 2**45) is a sum of 16-bit limbs times 2**(16 j) mod 5**19 (each product
# < 2**61, reduced every 8 terms); the Chinese remainder theorem joins the two.
_M5 = 5**KEY_DIGITS
_LIMB_WEIGHTS = [np.uint64(pow(2, 16 * (15 - j), _M5)) for j in range(16)]
_INV5 = np.uint64(pow(_M5, -1, 2**KEY_DIGITS))
_MASK2 = np.uint64(2**KEY_DIGITS - 1)


def _mod_key(digests: bytes | np.ndarray, n: int) -> np.ndarray:
    limbs = np.frombuffer(digests, dtype=">u2").reshape(n, 16)
    m5 = np.uint64(_M5)
    acc = np.zeros(n, dtype=np.uint64)
    for j in range(16):
        acc += limbs[:, j].astype(np.uint64) * _LIMB_WEIGHTS[j]
        if j == 7:
            acc %= m5
    acc %= m5
    low = limbs[:, 15].astype(np.uint64) | (
        (limbs[:, 14].astype(np.uint64) & np.uint64(7)) << np.uint64(16)
    )
    t = (((low - (acc & _MASK2)) & _MASK2) * _INV5) & _MASK2
    return acc + m5 * t


def _encoded(usccs: Sequence[str]) -> list[bytes]:
    """UTF-8 bytes of each identifier, encoded in one go (split on NUL, which ids never hold)."""
    items = [u if isinstance(u, str) else str(u) for u in usccs]
    if not items:
        return []
    parts = "\x00".join(items).encode("utf-8").split(b"\x00")
    return parts if len(parts) == len(items) else [u.encode("utf-8") for u in items]


def ticket_keys(usccs: Sequence[str], seed: str) -> np.ndarray:
    """uint64 sort keys: the first 19 digits of each entity's ticket, as an integer."""
    encoded = _encoded(usccs)
    if not encoded:
        return np.zeros(0, dtype=np.uint64)
    copy = _hasher(seed).copy
    digests: list[bytes] = []
    append = digests.append
    for u in encoded:
        h = copy()
        h.update(u)
        append(h.digest())
    # 32-byte digests packed by NumPy (the raw buffer is the digests, trailing zeros included;
    # faster than bytes.join at a million)
    return _reverse19(_mod_key(np.array(digests, dtype="S32"), len(encoded)))


def ticket_order(usccs: Sequence[str], seed: str, keys: np.ndarray | None = None) -> np.ndarray:
    """Indices that put `usccs` in ticket order (the reference sampler's output order)."""
    keys = ticket_keys(usccs, seed) if keys is None else keys
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    if len(sk) > 1 and (sk[1:] == sk[:-1]).any():
        return np.lexsort((tie_ranks(usccs, keys, seed), keys))
    return order


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


def smallest(
    usccs: Sequence[str], seed: str, take: int, keys: np.ndarray | None = None
) -> np.ndarray:
    """Indices of the `take` smallest tickets, in ticket order (= the reference sampler's first
    `take` outputs), without sorting everything: a partition, then a sort of the few."""
    keys = ticket_keys(usccs, seed) if keys is None else keys
    n = len(keys)
    if take <= 0:
        return np.zeros(0, dtype=np.int64)
    if take >= n:
        return ticket_order(usccs, seed, keys)
    part = np.argpartition(keys, take - 1)[:take]
    edge = keys[part].max()
    if np.count_nonzero(keys == edge) != np.count_nonzero(keys[part] == edge):
        return ticket_order(usccs, seed, keys)[:take]  # a tie straddles the cut: exact path
    sub = keys[part]
    order = np.argsort(sub, kind="stable")
    ss = sub[order]
    if len(ss) > 1 and (ss[1:] == ss[:-1]).any():
        ids = [usccs[i] for i in part]
        return part[ticket_order(ids, seed, sub)]
    return part[order]
