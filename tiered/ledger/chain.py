"""The ledger: an append-only, hash-chained record of everything the product did.

Every score run, config or threshold change, draw (and replacement), result import and
publication appends one entry to `WS/out/ledger.sqlite` (SQLite in WAL mode). An entry holds the
time (UTC), the actor, the kind of action, a JSON payload, the sha256 of each file it wrote, the
previous entry's hash and its own hash: sha256 over a canonical JSON of all those fields. Editing
any entry breaks its hash; deleting one breaks the sequence and the next entry's link.

Deleting the *last* entries leaves a shorter chain that is still valid in itself, so after every
append the head (entry count and last hash) is also written atomically to `WS/out/ledger.head`.
Audit compares the two. This guards against loss and careless edits, not against someone who
rewrites both files: for that, note the head hash `tiered audit` prints somewhere outside
(a signed minute, an e-mail) and compare later.

Appends run inside `BEGIN IMMEDIATE`, so reading the last hash and inserting the next entry is
atomic across processes; a busy timeout makes concurrent writers (the app and the CLI) wait
instead of failing.

Commands that write files ledger them through `tiered.ledger.staged` (`commit_files`,
`commit_dir`: staged, moved into place, then appended here, crash-safe). The checks live in
`tiered.ledger.audit`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tiered.files import atomic_write_bytes, sha256_file
from tiered.layout import LEDGER_DB, LEDGER_HEAD, PENDING, Layout
from tiered.ledger.db import connect, connect_readonly, db_errors

log = logging.getLogger(__name__)

GENESIS = "0" * 64
DB_NAME = LEDGER_DB
HEAD_NAME = LEDGER_HEAD
PENDING_NAME = PENDING
# Folders whose files are artefacts that should each be named by some ledger entry.
ARTEFACT_DIRS = ("out/draws", "out/results", "out/publish", "out/scores", "out/commitments")


@dataclass(frozen=True)
class Entry:
    seq: int
    time: str
    actor: str
    kind: str
    payload: dict[str, Any]
    files: tuple[dict[str, str], ...]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["files"] = list(self.files)
        return d


def canonical(obj: Any) -> bytes:
    """The one byte string an object hashes to: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def entry_hash(
    seq: int, time: str, actor: str, kind: str, payload: Any, files: Any, prev_hash: str
) -> str:
    body = {
        "seq": seq,
        "time": time,
        "actor": actor,
        "kind": kind,
        "payload": payload,
        "files": files,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def default_actor() -> str:
    """The OS user; the app passes its signed-in user instead."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (some services)
        return "unknown"


def rel_path(ws: Path, path: str | os.PathLike) -> str:
    """A path relative to the workspace, with forward slashes (stable across systems)."""
    return Layout.of(ws).rel(path)


# ------------------------------------------------------------------------------ connection


def _connect(ws: Path, create: bool = True) -> sqlite3.Connection:
    return connect(ws / DB_NAME, create=create)


def _row_to_entry(row: tuple) -> Entry:
    seq, t, actor, kind, payload, files, prev, h = row
    return Entry(seq, t, actor, kind, json.loads(payload), tuple(json.loads(files)), prev, h)


def digests(ws: str | os.PathLike, paths: Iterable[str | os.PathLike]) -> list[dict[str, str]]:
    """[{path (relative to WS), sha256}] for files that exist now."""
    ws = Path(ws)
    out = []
    for p in paths:
        rel = rel_path(ws, p)
        out.append({"path": rel, "sha256": sha256_file(ws / rel)})
    return sorted(out, key=lambda d: d["path"])


def append(
    ws: str | os.PathLike,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    files: Iterable[str | os.PathLike] = (),
    actor: str | None = None,
) -> Entry:
    """Append one entry naming `files` (paths in WS, hashed now) and return it."""
    ws = Path(ws)
    return _append(ws, kind, dict(payload or {}), digests(ws, files), actor or default_actor())


def _append(
    ws: Path,
    kind: str,
    payload: dict[str, Any],
    files: list[dict[str, str]],
    actor: str,
    op: str | None = None,
) -> Entry:
    with db_errors(ws / DB_NAME):
        return _append_db(ws, kind, payload, files, actor, op)


def _append_db(
    ws: Path,
    kind: str,
    payload: dict[str, Any],
    files: list[dict[str, str]],
    actor: str,
    op: str | None,
) -> Entry:
    payload_text = canonical(payload).decode("utf-8")
    files_text = canonical(files).decode("utf-8")
    con = _connect(ws)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            if op is not None:  # completing an interrupted operation: append it only once
                done = con.execute(
                    "SELECT seq, time, actor, kind, payload, files, prev_hash, hash FROM entries"
                    " WHERE json_extract(payload, '$.op') = ?",
                    (op,),
                ).fetchone()
                if done is not None:
                    con.execute("COMMIT")
                    return _row_to_entry(done)
            last = con.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
            h = entry_hash(seq, now, actor, kind, payload, files, prev)
            con.execute(
                "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, now, actor, kind, payload_text, files_text, prev, h),
            )
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                con.execute("ROLLBACK")
            raise
        _write_head(ws, con)
    finally:
        con.close()
    log.info("ledger: #%d %s by %s", seq, kind, actor)
    return Entry(seq, now, actor, kind, payload, tuple(files), prev, h)


def _write_head(ws: Path, con: sqlite3.Connection) -> None:
    """Record the current head; under the write lock so a slower writer never rolls it back."""
    con.execute("BEGIN IMMEDIATE")
    try:
        last = con.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        if last:
            data = canonical({"entries": last[0], "hash": last[1]}) + b"\n"
            atomic_write_bytes(ws / HEAD_NAME, data)
    finally:
        con.execute("COMMIT")


def raw_rows(ws: Path) -> list[tuple]:
    """The stored rows as they are (audit recomputes from these), oldest first.

    Opened read-only, so an auditor can check a copy of out/ they cannot write."""
    if not (ws / DB_NAME).exists():
        return []
    con = connect_readonly(ws / DB_NAME)
    try:
        return con.execute(
            "SELECT seq, time, actor, kind, payload, files, prev_hash, hash"
            " FROM entries ORDER BY seq"
        ).fetchall()
    except sqlite3.OperationalError:  # no entries table (never written, or dropped)
        return []
    finally:
        con.close()


def head(ws: str | os.PathLike) -> dict[str, Any]:
    """The chain's head now: {"entries": N, "hash": H} (H = GENESIS for an empty ledger).

    A draw writes it into its manifest: whoever keeps a published list can later check, with
    `tiered audit WS --head H`, that the ledger still holds that history."""
    rows = raw_rows(Path(ws))
    return (
        {"entries": rows[-1][0], "hash": rows[-1][7]} if rows else {"entries": 0, "hash": GENESIS}
    )


def entries(ws: str | os.PathLike) -> list[Entry]:
    """All entries in order (empty when there is no ledger yet)."""
    return [_row_to_entry(r) for r in raw_rows(Path(ws))]


def audit(ws: str | os.PathLike, heads: Iterable[str] = ()) -> Any:
    """See `tiered.ledger.audit.audit` (kept here so callers need one import)."""
    from tiered.ledger.audit import audit as _audit

    return _audit(ws, heads=tuple(heads))
