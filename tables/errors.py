"""The table library's typed errors: what a caller can turn into one line for a clerk."""

from __future__ import annotations


class SchemaError(ValueError):
    """A table cannot be used at all (for example a required column is missing)."""

    def __init__(self, message: str, table: str, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.table = table
        self.column = column
