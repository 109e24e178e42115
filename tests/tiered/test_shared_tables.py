"""One loaded workspace shared by threads (the app caches one for all its sessions, each session
runs in its own thread): a table being loaded by one thread is still there for the others.

Found by the browser test in CI: the task page said "the workspace has no tasks table" while
another session's script was reading the tasks table from the validated cache."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from tables.check import Accepted
from tables.lazy import LazyFrames
from tiered.workspace import Tables, load_workspace


def _slow_maker(calls: list[int], started: threading.Event, seconds: float = 0.3):
    def make() -> pd.DataFrame:
        calls.append(1)
        started.set()
        time.sleep(seconds)
        return pd.DataFrame({"task_id": ["T1"]})

    return make


@pytest.mark.parametrize("kind", ["lazy", "tables", "accepted"])
def test_a_table_being_made_stays_listed_and_is_made_once(kind: str) -> None:
    calls: list[int] = []
    started = threading.Event()
    maker = _slow_maker(calls, started)
    if kind == "lazy":
        frames: LazyFrames = LazyFrames(makers={"tasks": maker})
    elif kind == "tables":
        frames = Tables(lazy={"tasks": maker})
    else:
        frames = Accepted()
        frames.put("tasks", maker)

    seen: list[bool] = []
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(lambda: frames["tasks"])
        started.wait(5)
        while not first.done():  # while the first thread makes it, others look for it
            seen.append("tasks" in frames)
            seen.append(list(frames) == ["tasks"])
        others = [pool.submit(lambda: frames["tasks"]) for _ in range(3)]
        got = [first.result(), *(f.result() for f in others)]
    assert seen and all(seen)
    assert len(calls) == 1  # made once, whoever asked first
    assert all(g is got[0] for g in got)
    assert len(frames) == 1 and frames.is_made("tasks") and not frames.pending()


def test_a_maker_that_fails_leaves_the_table_to_try_again() -> None:
    tries: list[int] = []

    def flaky() -> pd.DataFrame:
        tries.append(1)
        if len(tries) == 1:
            raise OSError("disk hiccup")
        return pd.DataFrame({"a": [1]})

    frames = Tables(lazy={"t": flaky})
    with pytest.raises(OSError):
        frames["t"]
    assert "t" in frames  # not lost
    assert frames["t"]["a"].tolist() == [1]
    assert len(tries) == 2


def test_threads_share_one_cached_workspace(demo_ws: Path) -> None:
    """The app's case on a real workspace read from its validated cache: eight threads ask for
    every table of the one loaded workspace at once; each sees every table, equal to a fresh
    read."""
    load_workspace(demo_ws)  # writes the validated cache
    ws = load_workspace(demo_ws)  # a warm read: every table is made on first use
    names = list(ws.tables)
    assert isinstance(ws.tables, Tables) and ws.tables.pending()  # nothing made yet
    barrier = threading.Barrier(8)

    def read_all(i: int) -> dict[str, int]:
        barrier.wait()
        order = names if i % 2 else names[::-1]
        out = {}
        for n in order:
            assert n in ws.tables, n
            out[n] = len(ws.tables[n])
        return out

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(read_all, range(8)))
    fresh = load_workspace(demo_ws, use_cache=False)
    want = {n: len(fresh.tables[n]) for n in names}
    assert all(s == want for s in seen)


def test_a_loaded_workspace_reads_its_cache_after_a_newer_one_replaced_it(demo_ws: Path) -> None:
    """A later command's cache write removes older cache folders (and a file may be replaced
    by rename) while the app's sessions still read a workspace loaded before: that workspace
    reads the very bytes whose digests it checked."""
    import shutil

    from tiered.layout import Layout

    load_workspace(demo_ws)  # writes the validated cache
    ws = load_workspace(demo_ws)  # reads it: every table still to be made
    fresh = load_workspace(demo_ws, use_cache=False)
    cache = Layout(demo_ws).cache_dir
    (folder,) = list(cache.iterdir())
    other = folder / "inspectors.parquet"
    ws.tables["entities"].head(1).to_parquet(folder / "swap.parquet")
    os.replace(folder / "swap.parquet", other)  # a different table under the same name
    shutil.rmtree(cache)  # what `_cache_write` does to older folders
    for name in fresh.tables:
        assert ws.tables.in_cache(name) or name == "entities"
        pd.testing.assert_frame_equal(ws.tables[name], fresh.tables[name], check_dtype=False)
    assert ws.tables.arrow("records", ["uscc"]).num_rows == len(fresh.tables["records"])
