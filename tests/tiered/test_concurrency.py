"""One writer per workspace: real `tiered` processes raced against each other (issue #11)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from tests.conftest import ROOT, run_cli
from tiered.ledger import chain as ledger
from tiered.ledger.lock import holder, write_lock


def _start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tiered", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def _finish(p: subprocess.Popen) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=300)
    return p.returncode, out, err


def _wait_until_holding(ws: Path, p: subprocess.Popen) -> None:
    """Block until process `p` holds the workspace lock (so a second one must wait for it)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = holder(ws)
        if info and info.get("pid") == p.pid:
            return
        assert p.poll() is None, p.communicate()
        time.sleep(0.01)
    raise AssertionError("the first process never took the lock")


def _list(ws: Path, month: str) -> pd.DataFrame:
    path = ws / "out" / "draws" / month / "inspection_list.csv"
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig")


def test_two_draws_of_the_same_month_one_wins(demo_ws: Path) -> None:
    """Before: both exited 0 and the first list was archived as `replaced` without a reason."""
    ws = str(demo_ws)
    a = _start("draw", ws, "--month", "2026-11", "--seed", "first")
    b = _start("draw", ws, "--month", "2026-11", "--seed", "second")
    results = sorted([_finish(a), _finish(b)])
    assert [r[0] for r in results] == [0, 2], results
    assert "--replace" in results[1][2]
    assert not list((demo_ws / "out" / "draws").glob("*replaced*"))
    assert [e.kind for e in ledger.entries(demo_ws)].count("draw") == 1
    assert run_cli("audit", ws)[0] == 0


def test_two_months_drawn_at_once_keep_the_cooldown(demo_ws: Path) -> None:
    """Before: an entity landed on both lists and the later month's verify failed."""
    ws = str(demo_ws)
    a = _start("draw", ws, "--month", "2026-11", "--seed", "a")
    _wait_until_holding(demo_ws, a)
    b = _start("draw", ws, "--month", "2026-12", "--seed", "b")
    (ca, _, ea), (cb, _, eb) = _finish(a), _finish(b)
    assert (ca, cb) == (0, 0), (ea, eb)
    nov, dec = _list(demo_ws, "2026-11"), _list(demo_ws, "2026-12")
    assert len(nov) and len(dec)
    assert not set(nov["uscc"]) & set(dec["uscc"])  # 12-month cooldown kept
    for month in ("2026-11", "2026-12"):
        folder = demo_ws / "out" / "draws" / month
        code, _, out, err = run_cli("verify", str(folder), "--workspace", ws)
        assert code == 0, out + err


def test_two_result_imports_at_once_lose_no_row(demo_ws: Path, tmp_path: Path) -> None:
    """Before: both reported their rows added and the file kept 2 of 3 rows (a lost update)."""
    ws = str(demo_ws)
    assert run_cli("draw", ws, "--month", "2026-11", "--seed", "s")[0] == 0
    drawn = list(_list(demo_ws, "2026-11")["uscc"][:6])
    files = []
    for i, part in enumerate((drawn[:3], drawn[3:])):
        f = tmp_path / f"results-{i}.csv"
        pd.DataFrame(
            {"uscc": part, "date": "2026-11-05", "found_problem": "否", "item": "营业执照检查"}
        ).to_csv(f, index=False)
        files.append(str(f))
    a = _start("results", ws, "--month", "2026-11", files[0])
    _wait_until_holding(demo_ws, a)
    b = _start("results", ws, "--month", "2026-11", files[1])
    (ca, _, ea), (cb, _, eb) = _finish(a), _finish(b)
    assert (ca, cb) == (0, 0), (ea, eb)
    stored = pd.read_csv(demo_ws / "out/results/2026-11.csv", dtype=str, encoding="utf-8-sig")
    assert sorted(stored["uscc"]) == sorted(drawn)
    assert run_cli("audit", ws)[0] == 0


def test_a_writer_waits_then_names_the_holder(demo_ws: Path) -> None:
    """A second writer says who holds the lock and gives up after the timeout with exit 2."""
    ws = str(demo_ws)
    with write_lock(demo_ws, "test-holder", "auditor-li"):
        started = time.monotonic()
        p = _start(
            "draw", ws, "--month", "2026-11", "--seed", "s", env={"TIERED_LOCK_TIMEOUT": "1"}
        )
        code, out, err = _finish(p)
        waited = time.monotonic() - started
    assert code == 2, out + err
    assert waited >= 1.0
    assert f"pid {os.getpid()}" in err and "test-holder" in err and "auditor-li" in err
    assert "waiting" in err  # said so while waiting, not only at the end
    assert not (demo_ws / "out" / "draws" / "2026-11").exists()
    # released: the same command now runs
    assert run_cli("draw", ws, "--month", "2026-11", "--seed", "s")[0] == 0


def test_lock_is_reentrant_within_a_thread_and_exclusive_across_threads(tmp_path: Path) -> None:
    """The app's sessions are threads of one process: they must exclude each other too."""
    import threading

    ws = tmp_path / "ws"
    ws.mkdir()
    order: list[str] = []
    with write_lock(ws, "outer"), write_lock(ws, "inner"):  # re-entrant: no self-deadlock
        t = threading.Thread(target=lambda: _locked_append(ws, order))
        t.start()
        time.sleep(0.3)
        order.append("main")
    t.join(10)
    assert order == ["main", "thread"]


def _locked_append(ws: Path, order: list[str]) -> None:
    with write_lock(ws, "thread"):
        order.append("thread")
