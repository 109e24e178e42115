"""Every command called with relative paths from another folder, as a clerk types them.

A relative workspace once made `tiered draw ws` write to `ws/ws/out/...` while printing
`ws/out/...`; `verify` and `results` then found no draw and the next month ignored the cooldown.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import run_cli
from tiered.layout import Layout, Month


def test_relative_workspace_paths_through_every_command(demo_ws: Path) -> None:
    parent, name = demo_ws.parent, demo_ws.name
    assert run_cli("validate", name, cwd=parent)[0] == 0
    code, score, _, err = run_cli("score", name, "--as-of", "2026-11-01", "--json", cwd=parent)
    assert code == 0, err
    assert Path(score["out"]) == demo_ws.resolve() / "out" / "scores" / "2026-11-01.csv"

    code, draw, _, err = run_cli(
        "draw", name, "--month", "2026-11", "--seed", "17", "--json", cwd=parent
    )
    assert code == 0, err
    folder = demo_ws.resolve() / "out" / "draws" / "2026-11"
    assert Path(draw["out"]) == folder and (folder / "inspection_list.csv").is_file()
    assert not (demo_ws / name).exists()  # never ws/ws/out
    rel_draw = f"{name}/out/draws/2026-11"
    assert run_cli("verify", rel_draw, "--workspace", name, cwd=parent)[0] == 0
    assert run_cli("verify", "out/draws/2026-11", "--workspace", ".", cwd=demo_ws)[0] == 0

    listed = pd.read_csv(folder / "inspection_list.csv", dtype=str, encoding="utf-8-sig")
    res = (
        listed[["uscc"]].head(3).assign(date="2026-11-05", found_problem="否", item="x", result="")
    )
    res.to_csv(parent / "results-in.csv", index=False)
    code, imp, _, err = run_cli(
        "results", name, "--month", "2026-11", "results-in.csv", "--json", cwd=parent
    )
    assert code == 0 and imp["added"] == 3, err
    assert run_cli("publish", name, "--month", "2026-11", cwd=parent)[0] in (0, 1)
    assert (demo_ws / "out" / "publish" / "2026-11.csv").is_file()

    # the next month, drawn from inside the workspace, keeps the cooldown
    code, nxt, _, err = run_cli(
        "draw", ".", "--month", "2026-12", "--seed", "17", "--json", cwd=demo_ws
    )
    assert code == 0, err
    dec = pd.read_csv(Path(nxt["out"]) / "inspection_list.csv", dtype=str, encoding="utf-8-sig")
    assert not set(dec["uscc"]) & set(listed["uscc"])
    code, audit, _, _ = run_cli("audit", name, "--json", cwd=parent)
    assert code == 0 and audit["ok"], audit


def test_layout_resolves_once_and_months_normalise(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    lay = Layout.of("ws")
    assert lay.root == (tmp_path / "ws").resolve()
    assert lay.rel(lay.draw_dir(Month.parse("2026-12"))) == "out/draws/2026-12"
    assert Month.parse("２０２６－１２") == Month.parse(" 2026-12 ") == Month(2026, 12)
    assert str(Month.parse("2026-3")) == "2026-03"
    assert Month(2026, 12).shift(1) == Month(2027, 1) and Month(2027, 1).shift(-1) == Month(
        2026, 12
    )
