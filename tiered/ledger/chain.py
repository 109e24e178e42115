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

Commands that write files use `commit_files`: the files are staged whole in
`out/.pending/<op>/` (an atomic directory) together with a description of the operation, then
moved into place, then the entry is appended, then the staging is removed. A process killed at
any point leaves either no visible change or a complete operation that the next command (any
`commit_files` call, or `recover`) finishes; audit reports such an interrupted operation as a
warning, never as tampering. The checks themselves live in `tiered.ledger.audit`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tiered.errors import UsageError
from tiered.files import _fsync_dir, atomic_dir, atomic_write_bytes, sha256_file
from tiered.layout import LEDGER_DB, LEDGER_HEAD, PENDING, Layout
from tiered.ledger.db import connect, connect_readonly, db_errors
from tiered.ledger.lock import write_lock

log = logging.getLogger(__name__)

GENESIS = "0" * 64
DB_NAME = LEDGER_DB
HEAD_NAME = LEDGER_HEAD
PENDING_NAME = PENDING
REFUSED_PREFIX = ".refused-"  # a pending operation not registered in the ledger, kept aside
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


def registered_ops(ws: Path) -> dict[str, str]:
    """op id -> op.json digest of the operations a command registered before staging them."""
    if not (ws / DB_NAME).exists():
        return {}
    con = connect_readonly(ws / DB_NAME)
    try:
        return dict(con.execute("SELECT op, digest FROM pending").fetchall())
    except sqlite3.OperationalError:  # an older ledger without the table: nothing registered
        return {}
    finally:
        con.close()


def _register(ws: Path, op: str, desc_bytes: bytes) -> None:
    """Note an operation (and its op.json digest) in the database before it is staged."""
    with db_errors(ws / DB_NAME):
        con = _connect(ws)
        try:
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            con.execute(
                "INSERT INTO pending VALUES (?, ?, ?)",
                (op, hashlib.sha256(desc_bytes).hexdigest(), now),
            )
        finally:
            con.close()


def entries(ws: str | os.PathLike) -> list[Entry]:
    """All entries in order (empty when there is no ledger yet)."""
    return [_row_to_entry(r) for r in raw_rows(Path(ws))]


# --------------------------------------------------------------------- staged file commits


def commit_files(
    ws: str | os.PathLike,
    kind: str,
    payload: Mapping[str, Any] | None,
    outputs: Mapping[str, bytes],
    actor: str | None = None,
) -> Entry:
    """Write `outputs` (path relative to WS -> bytes) and ledger them as one operation.

    Either every file lands and the entry is appended, or (after a crash) nothing visible
    changed, or the operation is complete on disk and the next call finishes the entry.
    """
    ws = Path(ws)
    actor = actor or default_actor()
    with write_lock(ws, f"ledger: {kind}", actor):
        _recover_locked(ws)
        op = uuid.uuid4().hex
        files = []
        with atomic_dir(ws / PENDING_NAME / op) as tmp:
            for rel, data in outputs.items():
                rel = rel_path(ws, rel)
                staged = tmp / "files" / rel
                staged.parent.mkdir(parents=True, exist_ok=True)
                staged.write_bytes(data)
                files.append({"path": rel, "sha256": hashlib.sha256(data).hexdigest()})
            desc = {
                "op": op,
                "kind": kind,
                "payload": dict(payload or {}),
                "actor": actor,
                "files": sorted(files, key=lambda d: d["path"]),
            }
            _register(ws, op, canonical(desc))
            (tmp / "op.json").write_bytes(canonical(desc))
        return _finish(ws, ws / PENDING_NAME / op)


def commit_dir(
    ws: str | os.PathLike,
    kind: str,
    payload: Mapping[str, Any] | None,
    target: str | os.PathLike,
    files: Mapping[str, bytes],
    archive: str | os.PathLike | None = None,
    actor: str | None = None,
) -> Entry:
    """Write a whole folder `target` (file name -> bytes) and ledger it as one operation.

    The folder appears in one rename. If `archive` is given, an existing `target` is first
    renamed to `archive` (a replaced draw), and the entry names the archived files too. A crash
    at any point leaves the old folder, or the new one with its operation pending for the next
    command to finish; audit treats both as intact.
    """
    ws = Path(ws)
    actor = actor or default_actor()
    target_rel = rel_path(ws, target)
    archive_rel = rel_path(ws, archive) if archive is not None else None
    with write_lock(ws, f"ledger: {kind}", actor):
        _recover_locked(ws)
        if (ws / target_rel).exists() and archive_rel is None:
            raise UsageError("目标文件夹已存在 (folder exists)", file=str(ws / target_rel))
        op = uuid.uuid4().hex
        entries_ = [
            {"path": f"{target_rel}/{name}", "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        ]
        payload = dict(payload or {})
        if archive_rel is not None and (ws / target_rel).exists():
            here = ws / target_rel
            old = sorted(p.relative_to(here).as_posix() for p in here.rglob("*") if p.is_file())
            payload["removed"] = [f"{target_rel}/{n}" for n in old if n not in files]
            entries_ += [
                {"path": f"{archive_rel}/{n}", "sha256": sha256_file(here / n)} for n in old
            ]
        with atomic_dir(ws / PENDING_NAME / op) as tmp:
            (tmp / "dir").mkdir()
            for name, data in files.items():  # a name may hold a subfolder: "public/frame.csv"
                (tmp / "dir" / name).parent.mkdir(parents=True, exist_ok=True)
                (tmp / "dir" / name).write_bytes(data)
            desc = {
                "op": op,
                "kind": kind,
                "payload": payload,
                "actor": actor,
                "files": sorted(entries_, key=lambda d: d["path"]),
                "dir": {"target": target_rel, "archive": archive_rel},
            }
            _register(ws, op, canonical(desc))
            (tmp / "op.json").write_bytes(canonical(desc))
        return _finish(ws, ws / PENDING_NAME / op)


def _finish(ws: Path, opdir: Path) -> Entry | None:
    raw = (opdir / "op.json").read_bytes()
    registered = registered_ops(ws)
    try:
        desc = json.loads(raw)
        known = registered.get(desc["op"]) == hashlib.sha256(raw).hexdigest()
    except (ValueError, KeyError, TypeError):
        known = False
    if not known:  # hand-written, copied in or edited: never finish it under anyone's name
        aside = opdir.with_name(REFUSED_PREFIX + opdir.name)
        os.replace(opdir, aside)
        log.warning(
            "ledger: refused pending operation %s: its op.json is not registered in the ledger "
            "(kept as %s for inspection)",
            opdir.name,
            aside,
        )
        return None
    moves = desc.get("dir")
    if moves is not None and (opdir / "dir").exists():
        target = ws / moves["target"]
        if moves["archive"] is not None and target.exists():
            os.rename(target, ws / moves["archive"])
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(opdir / "dir", target)
        _fsync_dir(target.parent)
    for f in desc["files"]:
        staged = opdir / "files" / f["path"]
        final = ws / f["path"]
        if staged.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(staged, final)
            except PermissionError:  # Windows: the old file is open, e.g. in Excel
                raise UsageError(
                    "文件被占用（可能正在 Excel 中打开），请关闭后重新运行命令"
                    " (file is in use, e.g. open in Excel: close it and run the command again)",
                    file=str(final),
                ) from None
            _fsync_dir(final.parent)
        elif not final.exists() or sha256_file(final) != f["sha256"]:
            log.warning("ledger: cannot complete operation %s: %s changed", desc["op"], f["path"])
            _discard(ws, opdir)
            return None
    payload = {**desc["payload"], "op": desc["op"]}
    entry = _append(ws, desc["kind"], payload, desc["files"], desc["actor"], op=desc["op"])
    _discard(ws, opdir)
    return entry


def _discard(ws: Path, opdir: Path) -> None:
    done = opdir.with_name(f".done-{opdir.name}")
    os.replace(opdir, done)  # one atomic step: the operation is no longer pending
    shutil.rmtree(done, ignore_errors=True)
    with db_errors(ws / DB_NAME):  # a row left by a crash here is harmless: no folder to match
        con = _connect(ws)
        try:
            con.execute("DELETE FROM pending WHERE op = ?", (opdir.name,))
        finally:
            con.close()


def recover(ws: str | os.PathLike) -> list[Entry]:
    """Finish operations a killed process left behind; returns the entries it appended."""
    ws = Path(ws)
    if not (ws / PENDING_NAME).exists():
        return []
    with write_lock(ws, "ledger: recover"):
        return _recover_locked(ws)


def _recover_locked(ws: Path) -> list[Entry]:
    root = ws / PENDING_NAME
    if not root.exists():
        return []
    done = []
    for d in sorted(root.iterdir()):
        if d.name.startswith(REFUSED_PREFIX):  # kept for whoever investigates it
            continue
        if d.name.startswith("."):  # a staging dir that never completed, or a finished one
            shutil.rmtree(d, ignore_errors=True)
        elif (d / "op.json").exists():
            e = _finish(ws, d)
            if e is not None:
                log.info("ledger: completed interrupted %s as #%d", e.kind, e.seq)
                done.append(e)
    return done


def pending_ops(ws: Path) -> list[dict[str, Any]]:
    """Interrupted operations the next command will finish: only registered ones count."""
    root = ws / PENDING_NAME
    if not root.exists():
        return []
    registered = registered_ops(ws)
    out = []
    for d in sorted(root.iterdir()):
        if not d.name.startswith(".") and (d / "op.json").exists():
            with contextlib.suppress(ValueError, OSError, KeyError, TypeError):
                raw = (d / "op.json").read_bytes()
                desc = json.loads(raw)
                if registered.get(desc["op"]) == hashlib.sha256(raw).hexdigest():
                    out.append(desc)
    return out


def unregistered_ops(ws: Path) -> list[str]:
    """Pending-operation folders no command registered (forged, or refused earlier)."""
    root = ws / PENDING_NAME
    if not root.exists():
        return []
    known = {op["op"] for op in pending_ops(ws)}
    out = []
    for d in sorted(root.iterdir()):
        if d.name.startswith(REFUSED_PREFIX) or (
            not d.name.startswith(".") and (d / "op.json").exists() and d.name not in known
        ):
            out.append(rel_path(ws, d))
    return out


def audit(ws: str | os.PathLike, heads: Iterable[str] = ()) -> Any:
    """See `tiered.ledger.audit.audit` (kept here so callers need one import)."""
    from tiered.ledger.audit import audit as _audit

    return _audit(ws, heads=tuple(heads))
