"""Issue 17 item 3: a redraw of a month with recorded results or a public list is refused
unless `--supersede`; then they are archived as superseded (ledgered), out of the month's
results, publication, menus and counts, while the visits stay in the inspection history."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli
from tiered.draws.draw import run_draw
from tiered.layout import Layout
from tiered.ledger import chain as ledger
from tiered.publish.publication import publish
from tiered.results import import_results

MONTH = "2026-11"


@pytest.fixture
def published(demo_ws: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    r = run_draw(demo_ws, MONTH, "1 2 3")
    drawn = list(r.table["uscc"].head(3))
    f = tmp_path / "results.csv"
    pd.DataFrame(
        {
            "uscc": drawn,
            "date": ["2026-11-05"] * 3,
            "found_problem": ["true", "false", "true"],
            "item": ["营业执照检查"] * 3,
            "result": ["发现问题已责令改正", "正常", "发现问题已责令改正"],
        }
    ).to_csv(f, index=False)
    import_results(demo_ws, MONTH, f)
    publish(demo_ws, MONTH)
    return demo_ws, drawn


def _redraw(ws: Path, *extra: str) -> tuple[int, dict]:
    code, out, _, _ = run_cli(
        "draw", str(ws), "--month", MONTH, "--seed", "9 9 9", "--replace", "--reason", "种子读错",
        "--json", *extra,
    )  # fmt: skip
    return code, out


def test_redraw_with_results_is_refused_saying_how_many(published) -> None:
    ws, _ = published
    lay = Layout.of(ws)
    before = {
        p: p.read_bytes() for p in lay.out.rglob("*") if p.is_file() and "cache" not in str(p)
    }
    code, out = _redraw(ws)
    assert code == 2
    assert "3 recorded results and a public list" in out["error"] and "--supersede" in out["error"]
    manifest = json.loads((lay.draw_dir(MONTH) / "manifest.json").read_text("utf-8"))
    assert manifest["seed"] == "1 2 3"  # nothing replaced
    for p, data in before.items():
        if p.name not in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
            assert p.read_bytes() == data, p


def test_supersede_archives_results_and_publication(published) -> None:
    from app_support.model import draw_manifests, recorded_results
    from tiered.workspace import load_workspace

    ws, drawn = published
    lay = Layout.of(ws)
    code, out = _redraw(ws, "--supersede")
    assert code == 0, out
    moved = out["superseded"]
    assert set(moved) == {f"out/results/{MONTH}.csv", f"out/publish/{MONTH}.csv",
                          f"out/publish/{MONTH}.xlsx"}  # fmt: skip
    assert all(".superseded-" in new and (ws / new).is_file() for new in moved.values())
    assert not lay.results(MONTH).exists() and not lay.publication(MONTH).exists()
    manifest = json.loads((lay.draw_dir(MONTH) / "manifest.json").read_text("utf-8"))
    assert manifest["replaced"]["superseded"] == moved
    entry = [e for e in ledger.entries(ws) if e.kind == "superseded"][-1]
    assert entry.payload["results_rows"] == 3 and entry.payload["moved"] == moved
    code, audit, _, _ = run_cli("audit", str(ws), "--json")
    assert code == 0 and audit["ok"], audit["problems"]
    # menus and counts: one current list; the old results are not counted under the new one
    assert [str(m) for m in lay.draw_months()] == [MONTH]
    assert [m["seed"] for m in draw_manifests(ws)] == ["9 9 9"]
    rec = recorded_results(ws)
    assert rec.empty or rec["found_problem"].isna().all()
    # the results page's "latest import" and "last publication" are the new list's (none yet)
    from tiered.draws.supersede import current_entries

    assert current_entries(ws, MONTH, "results_import") == []
    assert current_entries(ws, MONTH, "publication") == []
    # the visits happened: they stay in the inspection history (scores, cooldown)
    insp = load_workspace(ws).table("inspections")
    assert set(drawn) <= set(insp.loc[insp["date"] == "2026-11-05", "uscc"])
    # and a month whose draw has no results redraws as before, without the flag
    code, out = _redraw(ws)
    assert code == 0 and "superseded" not in out
