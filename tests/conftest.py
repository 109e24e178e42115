"""Shared fixtures: small hand-made workspaces, and running the real `tiered` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tables.uscc import check_char

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"


def make_uscc(i: int, division: str = "630202", prefix: str = "91") -> str:
    """A valid USCC with the given division code; `i` makes it unique."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    tail = ""
    n = i
    for _ in range(9):
        tail = alphabet[n % 31] + tail
        n //= 31
    body = prefix + division + tail
    return body + check_char(body)


def small_tables(n: int = 6) -> dict[str, pd.DataFrame]:
    codes = [make_uscc(i) for i in range(n)]
    entities = pd.DataFrame(
        {
            "uscc": codes,
            "name": [f"乐都区测试商店{i}" for i in range(n)],
            "sector": ["food_drug", "construction", "other", "transport", "food_drug", "tax"][:n],
            "region": ["乐都区"] * n,
            "entity_type": ["individual", "enterprise"] * (n // 2) + ["cooperative"] * (n % 2),
            "registered_on": ["2015-03-01"] * n,
            "registered_capital": ["50"] * n,
            "status": ["active"] * n,
            "legal_representative": ["张三丰"] * n,
        }
    )
    records = pd.DataFrame(
        {
            "uscc": [codes[0], codes[1]],
            "kind": ["penalty", "tax_grade"],
            "date": ["2024-01-05", "2024-04-01"],
            "severity": ["general", None],
            "amount": ["5000", None],
            "value": [None, "A"],
            "ended_on": [None, None],
            "source": ["乐都区市场监督管理局", "税务局"],
        }
    )
    inspections = pd.DataFrame(
        {
            "uscc": [codes[0], codes[2]],
            "date": ["2024-03-01", "2024-05-01"],
            "found_problem": ["true", "false"],
            "item": ["食品经营许可情况检查", "营业执照检查"],
            "result": ["发现问题已责令整改", "未发现问题"],
            "inspectors": ["HD0001;HD0002", "HD0002;HD0003"],
        }
    )
    inspectors = pd.DataFrame(
        {
            "inspector_id": ["HD0001", "HD0002", "HD0003"],
            "name": ["李四", "王五", "赵六"],
            "sectors": ["food_drug;other", "construction;tax", "transport;food_drug"],
            "department": ["乐都区市场监督管理局"] * 3,
            "region": ["乐都区"] * 3,
            "active": ["true", "true", "false"],
        }
    )
    conflicts = pd.DataFrame(
        {"inspector_id": ["HD0001"], "uscc": [codes[1]], "reason": ["亲属关系"]}
    )
    return {
        "entities": entities,
        "records": records,
        "inspections": inspections,
        "inspectors": inspectors,
        "conflicts": conflicts,
    }


def write_tables(ws: Path, tables: dict[str, pd.DataFrame], encoding: str = "utf-8") -> Path:
    ws.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(ws / f"{name}.csv", index=False, encoding=encoding)
    return ws


@pytest.fixture
def small_ws(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "ws", small_tables())


def run_cli(
    *args: str, check_json: bool = True, cwd: Path | None = None
) -> tuple[int, dict | None, str, str]:
    """Run the real `tiered` command in a subprocess: (exit code, JSON or None, stdout, stderr).

    `cwd` (default: the repository) is where the command runs, for relative-path calls."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tiered", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=600,
    )
    payload = None
    if "--json" in args and check_json:
        payload = json.loads(proc.stdout)
    return proc.returncode, payload, proc.stdout, proc.stderr


@pytest.fixture(scope="session")
def demo_ws_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo workspace made once per test session. Do not modify it: copy it first."""
    from tiered.demo.build import write_demo

    ws = tmp_path_factory.mktemp("demo") / "ws"
    write_demo(ws, n_entities=3000, seed=7, end="2026-10")
    return ws


@pytest.fixture
def demo_ws(demo_ws_session: Path, tmp_path: Path) -> Path:
    """A private copy of the small demo workspace, free to modify."""
    import shutil

    target = tmp_path / "ws"
    shutil.copytree(demo_ws_session, target, ignore=shutil.ignore_patterns("out"))
    return target


def execute_notebook(name: str, cwd: Path) -> tuple[object, float, str]:
    """Run notebooks/NAME top to bottom in `cwd`: (executed notebook, seconds, all text output)."""
    import time

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    seconds = time.perf_counter() - start
    text = "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    return nb, seconds, text
