"""Errors meant for users: each carries a message a clerk can act on and the CLI exit code.

The libraries raise their own typed errors (`tables.check.SchemaError`,
`sampling.errors.SamplingError`); the CLI and the app turn all of them into one line.
"""

from __future__ import annotations


class TieredError(Exception):
    """Base for errors shown to users as one line."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"第{self.row}行 (row {self.row})")
        if self.column:
            where.append(f"列 {self.column} (column {self.column})")
        return ("：".join([", ".join(where), self.message])) if where else self.message


class UsageError(TieredError):
    """The input or the call is unusable (exit code 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """config.yaml is broken, or names an unknown key or a wrong type."""


class ProblemError(TieredError):
    """The command ran but found a problem (exit code 1)."""

    exit_code = 1
