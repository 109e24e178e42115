"""Opening the ledger database, for writing or read-only, and SQLite failures as one line.

A writer opens `out/ledger.sqlite` in WAL mode with a busy timeout (the workspace lock already
keeps tiered's own writers apart; the timeout covers other programs, e.g. a database browser).
An auditor may hold a read-only copy of `out/` (a CD, a read-only share): `connect_readonly`
tries SQLite's read-only mode and falls back to `immutable=1`, which reads a file nobody writes
without creating `-wal`/`-shm` files next to it.

Every SQLite failure becomes a `LedgerError` naming the database and what to do, never an
internal error: a locked database, a read-only or full disk, a damaged file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from tiered.errors import UsageError
from tiered.ledger.lock import lock_timeout

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    files TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
)
""",
    # Operations staged under out/.pending/ but not yet ledgered: an op.json is finished only
    # when its digest is registered here, so a hand-written one is refused (not part of the
    # chain: a row lives only while its operation is in flight).
    """
CREATE TABLE IF NOT EXISTS pending (
    op TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    time TEXT NOT NULL
)
""",
)


class LedgerError(UsageError):
    """The ledger database cannot be used right now (exit 2); nothing half-done is left."""


def _advice(exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (
            f"账本数据库被其他程序锁定，等待 {lock_timeout():g} 秒后仍未释放；"
            "请关闭正在使用它的程序（如数据库查看工具）后重新运行，未做任何改动 "
            "(the ledger database is locked by another program, e.g. a database browser: "
            "close it and run the command again; "
            "nothing was changed)"
        )
    if "full" in text:
        return (
            "磁盘已满，账本无法写入；请腾出空间后重新运行，未完成的操作会在下次运行时补完 "
            "(the disk is full: free some space and run the command again; an unfinished "
            "operation is completed by the next command)"
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return (
            "账本数据库无法写入（只读、无权限或文件夹不存在）；请检查 out/ 的权限后重新运行，"
            "未做任何改动 (the ledger database cannot be written: out/ is read-only or not "
            "permitted; fix the permissions and run the command again; nothing was changed)"
        )
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return (
            f"账本数据库已损坏 ({exc})；请从备份恢复 out/ledger.sqlite (the ledger database is "
            "damaged: restore it from a backup)"
        )
    return (
        f"账本数据库读写失败 (ledger database error: {exc})；请检查磁盘与权限后重新运行 "
        "(check the disk and permissions, then run the command again)"
    )


@contextlib.contextmanager
def db_errors(path: Path) -> Iterator[None]:
    """Turn SQLite errors inside the block into one `LedgerError` line naming `path`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise LedgerError(_advice(exc), file=str(path)) from None


def connect(path: Path, create: bool = True) -> sqlite3.Connection:
    """A read-write connection (WAL, full sync); creates the tables when `create`."""
    timeout = lock_timeout()
    with db_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        if create:
            deadline = time.monotonic() + timeout
            while True:  # switching to WAL needs a moment alone; retry while others hold locks
                try:
                    con.execute("PRAGMA journal_mode=WAL")
                    for statement in SCHEMA:
                        con.execute(statement)
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        con.close()
                        raise
                    time.sleep(0.05)
        con.execute("PRAGMA synchronous=FULL")
    return con


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that never writes: read-only mode, or `immutable` on a read-only copy."""
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    with db_errors(path):
        for mode in ("mode=ro", "immutable=1"):
            con = sqlite3.connect(f"{uri}?{mode}", uri=True, isolation_level=None)
            try:
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return con
            except sqlite3.OperationalError:
                con.close()
                if mode == "immutable=1":
                    raise
    raise AssertionError("unreachable")
