"""Issue 17 item 15: the draw preview gives exactly the draw's quotas, for a seed typed with a
trailing blank and for `auto` (resolved once, then used by both)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from app_support import drawprep
from tables import clock
from tiered.draws.draw import build_frame, run_draw
from tiered.workspace import load_workspace

from .conftest import page_test

MONTH = "2026-11"


def _drawn(strata) -> dict[tuple[str, str], int]:
    df = pd.DataFrame(strata)
    return {(s, t): int(n) for s, t, n in zip(df["sector"], df["tier"], df["drawn"], strict=True)}


def _preview(ws: Path, seed) -> dict[tuple[str, str], int]:
    w = load_workspace(ws)
    frame, _ = build_frame(w, MONTH, None)
    return _drawn(drawprep.preview(frame, MONTH, w.config.sampling, seed))


def test_preview_strips_the_seed_as_the_draw_does(demo_ws: Path) -> None:
    seed = "314159 "  # as typed, with a trailing blank
    shown = _preview(demo_ws, seed)
    drawn = _drawn(run_draw(demo_ws, MONTH, seed).manifest["strata"])
    assert shown == drawn
    assert shown != _preview(demo_ws, "preview")  # the seed does change the rounding


def test_auto_is_resolved_once_for_preview_and_draw(demo_ws: Path) -> None:
    memo: dict = {}
    seed = drawprep.resolve_seed(" auto ", memo)
    assert seed.text.isdigit() and len(seed.text) == 20
    assert drawprep.resolve_seed("auto", memo) == seed  # the page reruns: same digits
    shown = _preview(demo_ws, seed)
    result = run_draw(demo_ws, MONTH, seed.text)
    assert result.manifest["seed"] == seed.text
    assert _drawn(result.manifest["strata"]) == shown
    assert drawprep.resolve_seed("", memo) is None
    assert drawprep.resolve_seed("12 34", memo).text == "12 34"
    assert drawprep.resolve_seed("auto", memo) != seed  # typed again: new digits


@pytest.fixture
def own_ws(app_env, tmp_path, monkeypatch) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(app_env, ws, ignore=shutil.ignore_patterns("out", "*.sqlite*", "ledger*"))
    monkeypatch.setenv("TIERED_WORKSPACE", str(ws))
    return ws


@pytest.mark.parametrize("typed", ["314159 ", "auto"])
def test_draw_page_preview_equals_draw(own_ws: Path, typed: str) -> None:
    from app_support import i18n

    month = pd.Timestamp(clock.today()).strftime("%Y-%m")
    at = page_test("app_pages/draw.py", "staff").run()
    at.text_input(key="draw_month").input(month).run()
    at.text_input(key="draw_seed").input(typed).run()
    assert not at.exception, at.exception
    drawn_label = i18n.column_label("drawn", "zh")
    table = next(d.value for d in at.dataframe if drawn_label in d.value.columns)
    at.button(key="draw_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    manifest = json.loads((own_ws / "out" / "draws" / month / "manifest.json").read_text("utf-8"))
    label = {s: i18n.sector_label(s, "zh", {}) for s in {x["sector"] for x in manifest["strata"]}}
    expected = {(label[s], t): n for (s, t), n in _drawn(manifest["strata"]).items()}
    cols = list(table.columns)
    shown = {(r[0], r[1]): int(r[cols.index(drawn_label)]) for r in table.itertuples(index=False)}
    assert shown == expected
    if typed == "auto":
        assert manifest["seed"].isdigit() and len(manifest["seed"]) == 20


def test_app_redraw_needs_supersede_when_results_exist(own_ws: Path, tmp_path: Path) -> None:
    """Issue 17 item 3 in the app: the redraw button stays disabled until the staff member
    ticks "supersede"; then the old results are archived as superseded."""
    from tiered.layout import Layout
    from tiered.results import import_results

    month = pd.Timestamp(clock.today()).strftime("%Y-%m")
    r = run_draw(own_ws, month, "1 2 3")
    f = tmp_path / "r.csv"
    day = pd.Timestamp(clock.today()).strftime("%Y-%m-%d")
    pd.DataFrame(
        {"uscc": r.table["uscc"].head(2), "date": day, "found_problem": "false", "item": "x"}
    ).to_csv(f, index=False)
    import_results(own_ws, month, f)
    at = page_test("app_pages/draw.py", "staff").run()
    at.text_input(key="draw_month").input(month).run()
    at.text_input(key="draw_seed").input("4 5 6").run()
    at.text_input(key="redraw_reason").input("种子读错").run()
    assert "2 条检查结果" in " ".join(w.value for w in at.warning)
    assert at.button(key="redraw").disabled
    at.checkbox(key="redraw_supersede").check().run()
    assert not at.button(key="redraw").disabled
    at.button(key="redraw").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    lay = Layout.of(own_ws)
    assert not lay.results(month).exists()
    assert len(list(lay.results_dir.glob(f"{month}.superseded-*.csv"))) == 1
