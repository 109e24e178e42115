"""Errors a clerk can act on: the CLI and the app show them as one line, never a traceback."""

from __future__ import annotations


class SamplingError(ValueError):
    """Base for every user-facing error of the `sampling` library."""


class SeedError(SamplingError):
    """The seed is unusable (empty)."""


class PlanError(SamplingError):
    """The frame or the config cannot give a sampling plan (missing columns, bad rates)."""


class AssignmentError(SamplingError):
    """No valid inspector assignment exists for an entity; names the entity and the reason."""

    def __init__(self, message: str, uscc: str | None = None, name: str | None = None) -> None:
        super().__init__(message)
        self.uscc = uscc
        self.name = name
