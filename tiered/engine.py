"""Where the per-partition work of `tiered score` and `tiered draw` runs: here, or on Dask.

`--engine local` (the default) runs every function in this process. `--engine dask` sends the
per-partition functions to a `dask.distributed` cluster: the scheduler at `--scheduler ADDRESS`
(`tcp://host:8786`), or, with no address, a `LocalCluster` of two worker processes started for
the command and stopped after it. Only functions whose result depends on their partition alone
are sent (an entity's indicators need its own rows and its related parties', which the
partitioning keeps together; a ticket needs its identifier and the seed): the population-level
steps (fitting the risk calibration and the learned model on the rows the partitions give, the
reasons' typical entity, quotas, the selection) run once in the command, so the outputs are
byte-identical across engines.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tiered.errors import UsageError

log = logging.getLogger(__name__)

LOCAL, DASK = "local", "dask"
ENGINES = (LOCAL, DASK)
LOCAL_WORKERS = 2  # a LocalCluster when no scheduler is given


@dataclass
class Engine:
    """Maps a function over partitions; `client` is a dask.distributed Client, or None (here)."""

    name: str = LOCAL
    client: Any = None
    parts: str | None = None  # where workers read the partitions (`--parts URL`; None: WS/out)

    def map(self, fn: Callable[..., Any], parts: Sequence[Any], *args: Any) -> list[Any]:
        """[fn(part, *args) for part in parts], in order, on the cluster when there is one."""
        if self.client is None:
            return [fn(p, *args) for p in parts]
        shared = [self.client.scatter(a, broadcast=True) if _big(a) else a for a in args]
        futures = self.client.map(fn, list(parts), *[[a] * len(parts) for a in shared], pure=False)
        return self.client.gather(futures)

    @property
    def workers(self) -> int:
        if self.client is None:
            return 1
        return max(len(self.client.scheduler_info().get("workers", {})), 1)


def _big(value: Any) -> bool:
    return hasattr(value, "__len__") and not isinstance(value, str) and len(value) > 1000


@contextlib.contextmanager
def engine(
    name: str = LOCAL, scheduler: str | None = None, parts: str | None = None
) -> Iterator[Engine]:
    """The engine for one command (a LocalCluster is started here and stopped on exit);
    `parts`: the URL the workers read the partitions from (`tiered.parts`)."""
    if name not in ENGINES:
        raise UsageError(f"未知的计算引擎 {name}（local 或 dask） (unknown engine: local or dask)")
    if name == LOCAL:
        if scheduler or parts:
            raise UsageError(
                "--scheduler 和 --parts 只用于 --engine dask (--scheduler and --parts need "
                "--engine dask)"
            )
        yield Engine()
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "未安装 dask[distributed] (--engine dask needs the dask[distributed] package)"
        ) from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"无法连接 Dask 调度器 {scheduler} (cannot reach the Dask scheduler): {exc}"
            ) from None
        try:
            yield Engine(DASK, client, parts)
        finally:
            client.close()
        return
    with _plain_main():
        cluster = LocalCluster(
            n_workers=LOCAL_WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never "8787 is already in use"
            scheduler_kwargs={"dashboard": False},  # no web server (nor port 8787) to start
            silence_logs=logging.ERROR,
        )
    try:
        with Client(cluster) as client:
            yield Engine(DASK, client, parts)
    finally:
        cluster.close()


@contextlib.contextmanager
def _plain_main() -> Iterator[None]:
    """Worker processes are spawned, and a spawned process first re-imports the parent's main
    module: whatever script is `__main__` (a Streamlit page under test, say) would run in
    each worker. While the cluster starts, `__main__` is an empty module."""
    import sys
    import types

    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def chunks(n: int, parts: int) -> list[slice]:
    """`parts` contiguous slices covering range(n) (fewer when n is small)."""
    parts = max(1, min(parts, n))
    step = -(-n // parts) if n else 0
    return [slice(i, min(i + step, n)) for i in range(0, n, step)] if n else []
