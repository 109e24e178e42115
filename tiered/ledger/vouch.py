"""Only what the ledger vouches for: the files under out/ that a draw, a score or a verify reads.

A draw reads earlier lists and manifests (the cooldown, the previous inspectors) and imported
results (history). Each of them was written by a command that ledgered its sha256, so a file
that no entry names (hand-made, copied in) or whose digest changed since its latest entry
(edited) is refused with a message naming it (exit 2) instead of silently shaping the draw.
The user's own input tables at the top level are not ledgered files: the draw's manifest holds
the digest of the frame built from them, and `tiered verify` recomputes it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from tiered.errors import UsageError
from tiered.files import sha256_file
from tiered.ledger import chain


class UnvouchedFile(UsageError):
    """A file a command relies on is not (or no longer) what the ledger recorded."""


def latest_digests(rows: Iterable[tuple]) -> dict[str, tuple[str, int, str]]:
    """path -> (sha256, seq, kind) of the latest entry naming each file; a later entry that
    rewrites a path supersedes an older digest, and a replacement's `removed` drops it."""
    latest: dict[str, tuple[str, int, str]] = {}
    for r in rows:
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
            for gone in json.loads(r[4]).get("removed", ()):
                latest.pop(gone, None)
            for f in json.loads(r[5]):
                latest[f["path"]] = (f["sha256"], r[0], r[3])
    return latest


class Vouched:
    """The ledger's view of a workspace's files, read once and asked per file."""

    def __init__(self, ws: str | os.PathLike) -> None:
        self.ws = Path(ws)
        self.latest = latest_digests(chain.raw_rows(self.ws))

    def require(self, path: str | os.PathLike) -> None:
        """Raise `UnvouchedFile` unless `path` is named by the ledger with its current digest."""
        rel = chain.rel_path(self.ws, path)
        full = self.ws / rel
        known = self.latest.get(rel)
        if known is None:
            raise UnvouchedFile(
                "此文件未记入账本（手工放入或复制而来），抽查与评分不能依据它；请移走该文件，"
                "或用相应的 tiered 命令重新生成 (this file is not recorded in the ledger: it was "
                "put there by hand or copied in, so a draw cannot rely on it; move it away, or "
                "redo the step with the tiered command that makes it)",
                file=str(full),
            )
        digest, seq, kind = known
        if sha256_file(full) != digest:
            raise UnvouchedFile(
                f"此文件在账本第 {seq} 条记录（{kind}）之后被改动，抽查与评分不能依据它；"
                "请从备份恢复原文件（tiered audit 会列出所有改动） (this file changed after "
                f"ledger entry #{seq} ({kind}) recorded it, so a draw cannot rely on it; restore "
                "the original from a backup: `tiered audit` lists every change)",
                file=str(full),
            )

    def require_all(self, paths: Iterable[str | os.PathLike]) -> None:
        for p in paths:
            self.require(p)

    def records(self, sha256: str) -> bool:
        """Whether any entry recorded a file with this digest (a copy held outside WS)."""
        return any(d == sha256 for d, _, _ in self.latest.values())


def require(ws: str | os.PathLike, paths: Iterable[str | os.PathLike]) -> None:
    """Check `paths` (inside `ws`) against the ledger; see `Vouched.require`."""
    paths = list(paths)
    if paths:
        Vouched(ws).require_all(paths)
