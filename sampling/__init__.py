"""A scored frame in, a verifiable monthly draw out; knows nothing of how tiers were made.

Public API: `draw` (plan + tickets + selection + manifest), `assign_inspectors`,
`problem_rates` (Horvitz–Thompson estimates) and the config dataclasses.
"""

from sampling.assign import assign_inspectors
from sampling.config import AssignmentConfig, SamplingConfig
from sampling.draw import DrawOutcome, draw, frame_digest, normalise_seed
from sampling.errors import AssignmentError, PlanError, SamplingError, SeedError
from sampling.estimate import problem_rates

__all__ = [
    "AssignmentConfig",
    "AssignmentError",
    "DrawOutcome",
    "PlanError",
    "SamplingConfig",
    "SamplingError",
    "SeedError",
    "assign_inspectors",
    "draw",
    "frame_digest",
    "normalise_seed",
    "problem_rates",
]
