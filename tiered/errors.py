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


def describe_os_error(exc: OSError) -> str:
    """One line for a failed file operation: what failed, on which file, and what to do.

    Writes are atomic and ledgered, so a failure leaves the earlier state (or an operation the
    next command completes): the advice is always to fix the cause and run the command again."""
    import errno

    where = f"：{exc.filename}" if getattr(exc, "filename", None) else ""
    advice = {
        errno.ENOSPC: "磁盘已满：请腾出空间后重新运行 (the disk is full: free some space and run "
        "the command again)",
        errno.EDQUOT: "磁盘配额已满：请腾出空间后重新运行 (disk quota exceeded: free some space "
        "and run the command again)",
        errno.EROFS: "文件系统只读：请换用可写的工作区 (read-only file system: use a writable "
        "copy of the workspace)",
        errno.EACCES: "没有权限：请检查该文件或文件夹的权限 (permission denied: check the "
        "permissions of this file or folder)",
        errno.EPERM: "不允许的操作：请检查该文件或文件夹的权限 (operation not permitted: check "
        "the permissions)",
    }.get(exc.errno or 0)
    if advice is None:
        return f"文件读写失败 (file error): {exc.strerror or exc}{where}"
    return f"{advice}；未留下写了一半的结果 (nothing half-written is left){where}"
