"""The sampling plan's parameters: frozen dataclasses whose defaults are the single source of truth.

`tiered.config` builds these from a workspace's `config.yaml`; the comment above each field is its
line in the README config reference.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

# Henan 2021 published annual sampling ratios by credit-risk tier (DOMAIN.md).
DEFAULT_TIER_RATES: dict[str, float] = {"A": 0.01, "B": 0.02, "C": 0.10, "D": 0.30}

# Key sectors are sampled more: safety-critical sectors first. Unlisted sectors use 1.0.
DEFAULT_SECTOR_MULTIPLIERS: dict[str, float] = {
    "food_drug": 1.5,
    "work_safety": 1.5,
    "construction": 1.3,
    "environment": 1.2,
    "health": 1.2,
}

DEFAULT_COOLDOWN: dict[str, int] = {"A": 12, "B": 12, "C": 12, "D": 12}


@dataclass(frozen=True)
class AssignmentConfig:
    # Inspectors per inspection (the law requires at least 2; a value below 2 is refused).
    inspectors_per_inspection: int = 2
    # Only inspectors of the entity's region (inspectors with no region serve every region):
    # on by default, as "whoever inspects is of the unit that inspects" (县抽县查).
    same_region: bool = True
    # Exclude the inspectors of the entity's most recent inspection (rotation).
    exclude_previous_inspectors: bool = True


@dataclass(frozen=True)
class SamplingConfig:
    # Annual sampling rate per tier (share of eligible entities inspected per year).
    tier_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TIER_RATES))
    # Multiplier on the tier rate per sector code; sectors not listed use `default_multiplier`.
    sector_multipliers: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_SECTOR_MULTIPLIERS)
    )
    # Multiplier for sectors not listed in `sector_multipliers`.
    default_multiplier: float = 1.0
    # Annual rate of single strata, keyed "sector/tier" (e.g. "food_drug/D": 0.45), replacing
    # tier rate x multiplier there; written by `tiered optimise --apply`.
    stratum_rates: dict[str, float] = field(default_factory=dict)
    # Minimum annual inclusion probability of every eligible entity (不免抽); must be above 0.
    floor_rate: float = 0.005
    # Cap on inspections per month (random draws plus must-inspect); none = no cap.
    monthly_budget: int | None = None
    # Tiers whose entities not inspected for `must_inspect_months` are always drawn; off by
    # default because [D] with 12 months covers every D entity yearly (overriding the D rate)
    # and the first month then catches up the whole backlog; set [D] for Hebei-style coverage.
    must_inspect_tiers: tuple[str, ...] = ()
    # Months without inspection after which a must-inspect-tier entity is always drawn; none = off.
    must_inspect_months: int | None = 12
    # Months after an inspection during which an entity is not drawn, per tier (0 = no cooldown).
    cooldown_months: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COOLDOWN))
    # Cooldown for tiers not listed in `cooldown_months`.
    default_cooldown_months: int = 12
    # How fractional monthly quotas are rounded: "systematic" (seeded; every stratum keeps a
    # chance each month) or "largest_remainder" (deterministic; tiny strata may never get one).
    rounding: Literal["systematic", "largest_remainder"] = "systematic"
    # Digits of the ticket shown in the list (a prefix of consistent_sampler's decimal ticket).
    ticket_digits: int = 20
    # Inspector assignment (the second random).
    assignment: AssignmentConfig = field(default_factory=AssignmentConfig)

    def rate(self, sector: str, tier: str) -> float:
        """Annual rate for a stratum before floors and caps."""
        own = self.stratum_rates.get(f"{sector}/{tier}")
        if own is not None:
            return own
        base = self.tier_rates.get(tier, 0.0)
        return base * self.sector_multipliers.get(sector, self.default_multiplier)

    def cooldown(self, tier: str) -> int:
        return self.cooldown_months.get(tier, self.default_cooldown_months)


# Fields added after draws were first made: left out of the plain form (and so of the digest)
# while they hold their empty default, so that older manifests keep verifying.
_OMIT_WHEN_EMPTY = ("stratum_rates",)


def config_as_dict(config: SamplingConfig) -> dict:
    """Plain JSON-able form (tuples as lists, mappings sorted), as written into manifests."""
    return _plain(config)


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.name in _OMIT_WHEN_EMPTY and not getattr(value, f.name))
        }
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    return value


def config_sha256(config: SamplingConfig) -> str:
    """SHA-256 of the canonical JSON of the effective sampling config."""
    text = json.dumps(_plain(config), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_from_dict(data: dict) -> SamplingConfig:
    """Rebuild a SamplingConfig from `config_as_dict` output (a manifest's `sampling_config`)."""
    values = dict(data)
    if "assignment" in values and isinstance(values["assignment"], dict):
        values["assignment"] = AssignmentConfig(**values["assignment"])
    if "must_inspect_tiers" in values:
        values["must_inspect_tiers"] = tuple(values["must_inspect_tiers"])
    return SamplingConfig(**values)
