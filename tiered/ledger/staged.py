"""Staged file commits: a command's files and its ledger entry as one crash-safe operation.

`commit_files` (files anywhere in the workspace) and `commit_dir` (a whole folder, e.g. a draw,
optionally archiving the one it replaces) stage the files whole in `out/.pending/<op>/` (an
atomic directory) together with a description of the operation (`op.json`, whose digest is
registered in the ledger database first), then move them into place, then append the entry
(`tiered.ledger.chain`), then remove the staging. A process killed at any point leaves either no
visible change or a complete operation that the next command (any commit, or `recover`)
finishes; a pending operation nobody registered (hand-written, copied in, edited) is never
finished: it is set aside as `.refused-<op>`. Audit reports an interrupted operation as a
warning, never as tampering (`pending_ops`, `unregistered_ops`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tiered.errors import UsageError
from tiered.files import _fsync_dir, atomic_dir, sha256_file, write_parts
from tiered.ledger import chain
from tiered.ledger.chain import DB_NAME, PENDING_NAME, Entry
from tiered.ledger.db import connect_readonly, db_errors
from tiered.ledger.lock import write_lock

log = logging.getLogger(__name__)

REFUSED_PREFIX = ".refused-"  # a pending operation not registered in the ledger, kept aside


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
        con = chain._connect(ws)
        try:
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            con.execute(
                "INSERT INTO pending VALUES (?, ?, ?)",
                (op, hashlib.sha256(desc_bytes).hexdigest(), now),
            )
        finally:
            con.close()


def commit_files(
    ws: str | os.PathLike,
    kind: str,
    payload: Mapping[str, Any] | None,
    outputs: Mapping[str, bytes | Iterable[bytes]],
    actor: str | None = None,
) -> Entry:
    """Write `outputs` (path relative to WS -> bytes, or their pieces in order: a large file is
    never held whole) and ledger them as one operation.

    Either every file lands and the entry is appended, or (after a crash) nothing visible
    changed, or the operation is complete on disk and the next call finishes the entry.
    """
    ws = Path(ws)
    actor = actor or chain.default_actor()
    with write_lock(ws, f"ledger: {kind}", actor):
        _recover_locked(ws)
        op = uuid.uuid4().hex
        files = []
        with atomic_dir(ws / PENDING_NAME / op) as tmp:
            for rel, data in outputs.items():
                rel = chain.rel_path(ws, rel)
                staged = tmp / "files" / rel
                staged.parent.mkdir(parents=True, exist_ok=True)
                with open(staged, "wb") as f:
                    digest = write_parts(f, data)
                files.append({"path": rel, "sha256": digest})
            desc = {
                "op": op,
                "kind": kind,
                "payload": dict(payload or {}),
                "actor": actor,
                "files": sorted(files, key=lambda d: d["path"]),
            }
            _register(ws, op, chain.canonical(desc))
            (tmp / "op.json").write_bytes(chain.canonical(desc))
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
    actor = actor or chain.default_actor()
    target_rel = chain.rel_path(ws, target)
    archive_rel = chain.rel_path(ws, archive) if archive is not None else None
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
            _register(ws, op, chain.canonical(desc))
            (tmp / "op.json").write_bytes(chain.canonical(desc))
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
    entry = chain._append(ws, desc["kind"], payload, desc["files"], desc["actor"], op=desc["op"])
    _discard(ws, opdir)
    return entry


def _discard(ws: Path, opdir: Path) -> None:
    done = opdir.with_name(f".done-{opdir.name}")
    os.replace(opdir, done)  # one atomic step: the operation is no longer pending
    shutil.rmtree(done, ignore_errors=True)
    with db_errors(ws / DB_NAME):  # a row left by a crash here is harmless: no folder to match
        con = chain._connect(ws)
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
            out.append(chain.rel_path(ws, d))
    return out
