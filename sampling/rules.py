"""The draw's rules in words, exactly as published in every commitment and manifest.

An observer must be able to write a second implementation of the draw from these texts alone
(the bundle's `verify_draw.py` is one, written from them and tested to agree with
`sampling.plan` and `sampling.draw`). Change a rule's code and its text here together.
"""

from __future__ import annotations

# Frame rows whose stratum label ends with this are must-inspect (always drawn).
MUST_SUFFIX = "/must_inspect"
# Each stratum that drew anyone publishes at least this many replacements (if its pool has them).
REPLACEMENT_MIN = 10

SEED_RULE = (
    "The seed is text: its UTF-8 bytes, with surrounding white space removed, are used as they "
    "are; it is never read as a number, so leading zeros and long seeds stay intact."
)

TICKET_RULE = (
    "An entity's ticket is consistent_sampler.first_fraction(uscc, seed) (R. L. Rivest): the "
    "SHA-256 of the text (lowercase hex SHA-256 of the seed's UTF-8 bytes) followed by the uscc, "
    "read as a big-endian 256-bit number, written in decimal zero-padded to 64 digits, digits "
    "reversed, with '0.' in front. Tickets are compared at full length as text (which orders "
    "them as numbers), ties by uscc as text."
)

STRATUM_RULE = (
    "A stratum is one (sector, tier) pair; strata are ordered by sector, then tier, compared as "
    "text by Unicode code points. frame.csv lists every eligible entity with stratum "
    "'SECTOR/TIER', or 'SECTOR/TIER" + MUST_SUFFIX + "' for a must-inspect entity, which is "
    "always drawn. The other entities of the stratum are its pool, and the stratum's quota "
    "entities of the pool with the smallest tickets are drawn. inclusion_probability = quota / "
    "pool (1 for a stratum whose pool is empty but that has must-inspect entities, else 0)."
)

TARGET_RULE = (
    "Each stratum's target (its quota before rounding, published as 'target' with full double "
    "precision) is min(annual_rate * base / 12, pool), computed in IEEE-754 double precision in "
    "that order, where annual_rate = min(1, max(rate, floor_rate)), rate = "
    "stratum_rates['SECTOR/TIER'] when listed, else tier_rates[tier] (0 when missing) * "
    "sector_multipliers.get(sector, default_multiplier), and base (published per stratum) is "
    "the stratum's active entities, those cooling down after an inspection included, less its "
    "must-inspect ones: the annual rate is a share of the whole stratum, drawn from its pool. "
    "With a monthly_budget, the targets are scaled down by one common factor (never below "
    "min(floor_rate * base / 12, pool)) so that they fit the budget less the must-inspect "
    "entities, and a task draw of another size (its manifest's 'size': share of the annual "
    "rates, ratio of the pool or count) scales them to that size with the same proportions; "
    "such targets are taken as committed and published, the rounding applies as below."
)

ROUNDING_RULES = {
    "systematic": (
        "Systematic rounding, in IEEE-754 double precision. For each stratum, in stratum order: "
        "whole = floor(target + 1e-9) and frac = max(target - whole, 0). Let u = the first 8 "
        "bytes of SHA-256 of the UTF-8 text 'quota|' followed by the seed, read as an unsigned "
        "big-endian integer, converted to a double and divided by 2**64. Walking the strata in "
        "order, hi = the running sum of frac (adding one stratum at a time, starting from 0) and "
        "lo = hi - frac; the stratum's quota is whole + 1 when floor(hi - u) - floor(lo - u) is "
        "at least 1, else whole; finally quota = min(quota, pool)."
    ),
    "largest_remainder": (
        "Largest-remainder rounding, in IEEE-754 double precision. For each stratum whole = "
        "floor(target + 1e-9) and frac = max(target - whole, 0). k = floor(S + 0.5 + 1e-9), "
        "where S is the correctly rounded sum of all frac (Python's math.fsum). The k strata "
        "with the largest frac (ties: earlier in stratum order first) get whole + 1, the others "
        "whole; finally quota = min(quota, pool)."
    ),
}

REPLACEMENT_RULE = (
    "For each stratum that drew at least one entity, the replacement order is the next "
    f"min(pool - quota, max({REPLACEMENT_MIN}, drawn)) entities of its pool in ticket order after "
    "the drawn ones, ranked 1, 2, ... (drawn counts must-inspect entities too). A drawn entity "
    "that cannot be inspected is replaced by the lowest-ranked entity of its stratum's order "
    "that is not yet drawn or used, with a reason from a fixed list; the replaced entity stays "
    "on record with its reason (an unreachable one keeps its result category)."
)


def rules_for(rounding: str) -> dict[str, str]:
    """The texts a commitment or manifest publishes for a draw using `rounding`."""
    return {
        "seed_rule": SEED_RULE,
        "ticket_rule": TICKET_RULE,
        "stratum_rule": STRATUM_RULE,
        "target_rule": TARGET_RULE,
        "rounding_method": rounding,
        "rounding_rule": ROUNDING_RULES[rounding],
        "replacement_rule": REPLACEMENT_RULE,
    }
