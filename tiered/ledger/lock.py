"""One writer per workspace: an OS file lock held across read–decide–write.

Every command that writes (draw, results, publish, score, commit, replace, config saves, the
app's actions) runs inside `write_lock(ws)`: an exclusive `flock` on `out/ledger.lock`, taken
before the command reads anything it decides on and released when it has written and ledgered.
Readers that must see one consistent state (audit, verify) take the same lock shared. The lock
belongs to the open file, so a killed process releases it at once: there is never a stale lock
to clear by hand.

A second writer waits (default 30 s; `TIERED_LOCK_TIMEOUT` seconds to change it), saying who
holds the lock (pid, command, user, since), then stops with exit 2. The lock is re-entrant
within one thread, so a library function that takes it (run_draw, import_results, the ledger's
commits) is covered when called from the app and costs nothing under the CLI, which took it
first. Different threads (Streamlit sessions) open the file separately and exclude each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tiered.errors import UsageError

DEFAULT_TIMEOUT_S = 30.0
TIMEOUT_ENV = "TIERED_LOCK_TIMEOUT"
_POLL_S = 0.05

_local = threading.local()  # per thread: lock path -> (depth, exclusive)

F = TypeVar("F", bound=Callable[..., Any])


class WorkspaceBusy(UsageError):
    """Another process held the workspace's write lock for longer than the timeout."""


def lock_timeout() -> float:
    """Seconds a command waits for another's lock: `TIERED_LOCK_TIMEOUT`, else 30."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        raise UsageError(
            f"环境变量 {TIMEOUT_ENV} 应为秒数 ({TIMEOUT_ENV} must be a number of seconds): {text!r}"
        ) from None
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"{TIMEOUT_ENV} 应为非负秒数 (must be >= 0 seconds): {text!r}")
    return value


def lock_path(ws: str | os.PathLike) -> Path:
    from tiered.layout import Layout

    return Layout.of(ws).ledger_lock


def holder(ws: str | os.PathLike) -> dict[str, Any] | None:
    """Who holds (or last held) the lock, as the holder wrote it; None when unknown."""
    try:
        data = json.loads(lock_path(ws).read_bytes() or b"null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe(info: dict[str, Any] | None) -> str:
    if not info:
        return "另一个进程 (another process)"
    return (
        f"进程 {info.get('pid')}（{info.get('command')}，用户 {info.get('user')}，"
        f"主机 {info.get('host')}，自 {info.get('since')} 起） "
        f"(pid {info.get('pid')}, {info.get('command')}, user {info.get('user')}, "
        f"since {info.get('since')})"
    )


def _held() -> dict[str, list]:
    if not hasattr(_local, "held"):
        _local.held = {}
    return _local.held


def _open(path: Path, exclusive: bool) -> int | None:
    """The lock file's descriptor; None for a reader that cannot create it (a read-only copy)."""
    try:
        if exclusive:
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        if exclusive:
            raise
        return None
    except OSError as exc:
        if not exclusive:
            return None  # a reader on a read-only copy: nobody can write there anyway
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise UsageError(
                "out/ 文件夹只读或无写权限，无法写入；请检查权限或换用可写的工作区，未做任何改动 "
                "(out/ is read-only or not writable: fix its permissions or use a writable "
                "copy; nothing was changed)",
                file=str(path.parent),
            ) from None
        raise


def _try_lock(fd: int, exclusive: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: msvcrt has only exclusive byte-range locks
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(fd: int) -> None:
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
    except ImportError:
        import msvcrt

        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


@contextlib.contextmanager
def write_lock(
    ws: str | os.PathLike,
    command: str = "tiered",
    actor: str | None = None,
    *,
    exclusive: bool = True,
    timeout: float | None = None,
    notify: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the workspace lock (exclusive for writers, shared for consistent readers).

    Waits up to `timeout` seconds (default `lock_timeout()`), calling `notify` once with a line
    naming the holder; then raises `WorkspaceBusy` (exit 2) naming the holder again.
    """
    if not Path(ws).is_dir():  # no workspace (yet): the command itself says so, or creates it
        yield
        return
    path = lock_path(ws)
    key = str(Path(ws).resolve())
    held = _held()
    if key in held:
        depth, was_exclusive = held[key]
        if exclusive and not was_exclusive:
            raise RuntimeError("cannot upgrade a shared workspace lock to exclusive")
        held[key] = [depth + 1, was_exclusive]
        try:
            yield
        finally:
            held[key][0] -= 1
            if held[key][0] == 0:
                del held[key]
        return
    fd = _open(path, exclusive)
    if fd is None:
        yield
        return
    try:
        _acquire(ws, fd, exclusive, timeout, notify)
        if exclusive:
            _stamp(fd, command, actor)
        held[key] = [1, exclusive]
        try:
            yield
        finally:
            del held[key]
            if exclusive:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            _unlock(fd)
    finally:
        os.close(fd)


def _acquire(
    ws: str | os.PathLike,
    fd: int,
    exclusive: bool,
    timeout: float | None,
    notify: Callable[[str], None] | None,
) -> None:
    limit = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + limit
    told = False
    while not _try_lock(fd, exclusive):
        who = describe(holder(ws))
        if time.monotonic() >= deadline:
            raise WorkspaceBusy(
                f"工作区正被 {who} 写入，等待 {limit:g} 秒后仍未结束；请稍后重试 "
                f"(the workspace is busy: another command holds its write lock; try again when "
                f"it has finished, or raise {TIMEOUT_ENV})",
                file=str(lock_path(ws)),
            )
        if not told and notify is not None:
            notify(
                f"等待 {who} 完成，最多 {limit:g} 秒… "
                f"(waiting up to {limit:g} s for the workspace lock)"
            )
            told = True
        time.sleep(_POLL_S)


def _stamp(fd: int, command: str, actor: str | None) -> None:
    """Write who holds the lock into the lock file, for a waiter's message."""
    from tiered.ledger.chain import default_actor

    info = {
        "pid": os.getpid(),
        "command": command,
        "user": actor or default_actor(),
        "host": socket.gethostname(),
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    data = json.dumps(info, ensure_ascii=False).encode("utf-8")
    with contextlib.suppress(OSError):  # the message is a courtesy: never fail the command
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)


def writes(command: str) -> Callable[[F], F]:
    """Decorator for a workflow function whose first argument is the workspace: run it under
    the write lock (a no-op when the caller, e.g. the CLI, already holds it)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(ws: Any, *args: Any, **kwargs: Any) -> Any:
            with write_lock(ws, command, kwargs.get("actor")):
                return fn(ws, *args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


@contextlib.contextmanager
def command_lock(ws: str | os.PathLike | None, command: str, exclusive: bool) -> Iterator[None]:
    """The CLI's edge: hold the lock for the whole command (shared for a reader); a writer
    first finishes any operation a killed process left pending, so it reads a complete state."""
    if ws is None:
        yield
        return

    def tell(line: str) -> None:
        print(f"tiered: {line}", file=sys.stderr, flush=True)

    with write_lock(ws, command, exclusive=exclusive, notify=tell):
        if exclusive and Path(ws).is_dir():
            from tiered.ledger import staged

            staged.recover(ws)
        yield
