"""The scoring library's typed errors; each message names the key or column at fault."""

from __future__ import annotations


class ScoringConfigError(ValueError):
    """A scoring configuration that cannot be used; the message names the key."""


class ModelConfigError(ValueError):
    """A model configuration that cannot be used; the message names the key."""
