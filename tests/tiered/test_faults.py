"""Faults: a full disk, a read-only out/, a locked ledger database (issue #11).

Each gives one line naming the file and what to do, exit 2, and leaves the workspace intact
(audit passes, the same command works once the fault is gone). The disk faults are real: a
small tmpfs, filled up or remounted read-only (skipped where mounting is not allowed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, small_tables, write_tables
from tests.tiered.draw_fixture import MONTH, make_draw


def _cli(*args: str, timeout_s: str = "30") -> tuple[int, str]:
    p = subprocess.run(
        [sys.executable, "-m", "tiered", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TIERED_LOCK_TIMEOUT": timeout_s},
        timeout=300,
    )
    return p.returncode, p.stdout + p.stderr


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("needs root on Linux to mount a small tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)])
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _drawn_ws(root: Path) -> tuple[Path, Path]:
    """A small workspace with a ledgered draw, and a results file for it outside WS."""
    ws = write_tables(root / "ws", small_tables())
    drawn = make_draw(ws, n=3)
    results = root.parent / "results.csv"
    pd.DataFrame(
        {"uscc": drawn, "date": "2026-05-06", "found_problem": "否", "item": "营业执照检查"}
    ).to_csv(results, index=False)
    return ws, results


def test_full_disk_names_the_file_and_leaves_state_intact(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "disk", "3m") as disk:
        ws, results = _drawn_ws(disk)
        filler = disk / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        code, text = _cli("results", str(ws), "--month", MONTH, str(results))
        assert code == 2, text
        assert "full" in text and str(ws) in text and "Traceback" not in text, text
        assert not (ws / "out/results" / f"{MONTH}.csv").exists()
        filler.unlink()
        assert _cli("audit", str(ws))[0] == 0
        code, text = _cli("results", str(ws), "--month", MONTH, str(results))
        assert code == 0, text
        assert _cli("audit", str(ws))[0] == 0


def test_read_only_out_refuses_writers_and_audit_still_runs(tmp_path: Path) -> None:
    """Before: "internal error: OperationalError"; audit could not open the database."""
    with _tmpfs(tmp_path / "disk", "8m") as disk:
        ws, results = _drawn_ws(disk)
        assert _cli("audit", str(ws))[0] == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        code, text = _cli("results", str(ws), "--month", MONTH, str(results))
        assert code == 2, text
        assert "read-only" in text and "out" in text and "Traceback" not in text, text
        code, text = _cli("audit", str(ws))  # an auditor's read-only copy
        assert code == 0, text
        assert "ledger intact" in text


def test_locked_ledger_database_names_it_and_what_to_do(tmp_path: Path) -> None:
    ws, results = _drawn_ws(tmp_path / "root")
    before = (ws / "out/ledger.sqlite").read_bytes()
    con = sqlite3.connect(ws / "out/ledger.sqlite", isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")  # another program (a database browser) holds it
    try:
        code, text = _cli("results", str(ws), "--month", MONTH, str(results), timeout_s="1")
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert code == 2, text
    assert "ledger.sqlite" in text and "locked" in text and "close it" in text, text
    assert not (ws / "out/results" / f"{MONTH}.csv").exists()
    assert (ws / "out/ledger.sqlite").read_bytes() == before
    assert _cli("results", str(ws), "--month", MONTH, str(results))[0] == 0
    assert _cli("audit", str(ws))[0] == 0


def test_audit_never_writes_the_ledger(tmp_path: Path) -> None:
    """Audit opens the database read-only: the copy it checks is left byte for byte."""
    ws, _ = _drawn_ws(tmp_path / "root")
    copy = tmp_path / "copy"
    shutil.copytree(ws, copy)
    before = {p.name: p.read_bytes() for p in (copy / "out").iterdir() if p.is_file()}
    code, text = _cli("audit", str(copy))
    assert code == 0, text
    after = {p.name: p.read_bytes() for p in (copy / "out").iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k in before} == before
