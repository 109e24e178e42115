"""`run_draw` / `verify_draw` on a real (small, synthetic) workspace: files, bytes, replacement,
verification, and failures that write nothing."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import scoring
from sampling.errors import AssignmentError, SeedError
from tiered.demo.build import write_demo
from tiered.draws.draw import (
    CSV_NAME,
    HEADERS,
    LIST_COLUMNS,
    MANIFEST_NAME,
    XLSX_NAME,
    DrawExistsError,
    run_draw,
)
from tiered.draws.verify import verify_draw
from tiered.errors import UsageError
from tiered.workspace import load_workspace

MONTH = "2026-01"


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("drawws") / "ws"
    write_demo(ws, n_entities=700, seed=3, end="2025-12")
    return ws


@pytest.fixture(scope="module")
def base_scores(base_ws: Path) -> pd.DataFrame:
    w = load_workspace(base_ws, write_rejected=False)
    return (
        scoring.Scorer(w.config.scoring)
        .fit(w.prepared(), pd.Timestamp(MONTH + "-01"))
        .result_.frame
    )


@pytest.fixture
def ws(base_ws: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(base_ws, dst)
    return dst


def test_files_follow_the_contract_and_reproduce_byte_for_byte(ws: Path, tmp_path: Path) -> None:
    first = run_draw(ws, MONTH, "0123 4567 8901")  # tiers computed from the workspace
    d = ws / "out" / "draws" / MONTH
    assert first.out_dir == d and sorted(p.name for p in d.iterdir()) == sorted(
        [CSV_NAME, XLSX_NAME, MANIFEST_NAME, "public"]
    )
    raw = (d / CSV_NAME).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(raw), dtype=str, encoding="utf-8-sig")
    assert list(table.columns) == LIST_COLUMNS and len(table) == first.manifest["drawn"] > 0
    assert table["inspectors"].str.split(";").map(len).min() >= 2
    m = json.loads((d / MANIFEST_NAME).read_text(encoding="utf-8"))
    for key in (
        "month",
        "seed",
        "ticket_method",
        "frame_sha256",
        "config_sha256",
        "tool_version",
        "created_at",
        "strata",
        "sampling_config",
    ):
        assert key in m
    assert m["seed"] == "0123 4567 8901"
    wb = openpyxl.load_workbook(d / XLSX_NAME)
    sheet = wb.active
    assert [c.value for c in sheet[1]] == [HEADERS[c] for c in LIST_COLUMNS]
    assert sheet.freeze_panes == "A2"
    second = run_draw(ws, MONTH, "0123 4567 8901", out_dir=tmp_path / "again")
    assert second.manifest["created_at"] >= first.manifest["created_at"]
    for name in (CSV_NAME, XLSX_NAME):
        assert (d / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert verify_draw(d, ws).ok


def test_existing_draw_is_refused_and_a_replacement_keeps_the_reason(
    ws: Path, base_scores: pd.DataFrame
) -> None:
    run_draw(ws, MONTH, "1", scores=base_scores)
    d = ws / "out" / "draws" / MONTH
    old_manifest = (d / MANIFEST_NAME).read_bytes()
    with pytest.raises(DrawExistsError):
        run_draw(ws, MONTH, "2", scores=base_scores)
    with pytest.raises(UsageError):
        run_draw(ws, MONTH, "2", scores=base_scores, replace=True, reason="  ")
    assert (d / MANIFEST_NAME).read_bytes() == old_manifest
    res = run_draw(ws, MONTH, "2", scores=base_scores, replace=True, reason="抽签视频缺失，重抽")
    rep = res.manifest["replaced"]
    assert rep["reason"] == "抽签视频缺失，重抽"
    assert res.replaced_dir is not None and res.replaced_dir.name == rep["previous_dir"]
    assert (res.replaced_dir / MANIFEST_NAME).read_bytes() == old_manifest
    import hashlib

    assert rep["previous_manifest_sha256"] == hashlib.sha256(old_manifest).hexdigest()
    assert json.loads((d / MANIFEST_NAME).read_text(encoding="utf-8"))["seed"] == "2"


def test_verify_catches_a_changed_list(ws: Path, base_scores: pd.DataFrame) -> None:
    res = run_draw(ws, MONTH, "777", scores=base_scores)
    d = res.out_dir
    assert verify_draw(d, ws, scores=base_scores).ok
    table = pd.read_csv(d / CSV_NAME, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    dropped = table["uscc"].iloc[0]
    table = table.iloc[1:].copy()
    swapped = table["uscc"].iloc[0]
    table.iloc[0, table.columns.get_loc("inspectors")] = "HD9998;HD9999"
    (d / CSV_NAME).write_bytes(b"\xef\xbb\xbf" + table.to_csv(index=False).encode("utf-8"))
    v = verify_draw(d, ws, scores=base_scores)
    assert not v.ok and not v.workspace_changed
    assert v.added == [dropped] and v.inspectors_changed == [swapped]
    assert any(dropped in line for line in v.differences)


def test_verify_catches_a_changed_workspace(ws: Path) -> None:
    res = run_draw(ws, MONTH, "888")
    ent = pd.read_csv(ws / "entities.csv", dtype=str, keep_default_na=False)
    active = ent.index[ent["status"].isin(["active", ""])][0]
    ent.loc[active, "region"] = "平安区" if ent.loc[active, "region"] != "平安区" else "乐都区"
    ent.to_csv(ws / "entities.csv", index=False)
    v = verify_draw(res.out_dir, ws)
    assert not v.ok and v.workspace_changed
    assert any("workspace changed" in line for line in v.differences)


def test_no_valid_assignment_names_the_entity_and_writes_nothing(
    ws: Path, base_scores: pd.DataFrame
) -> None:
    insp = pd.read_csv(ws / "inspectors.csv", dtype=str)
    insp.head(1).to_csv(ws / "inspectors.csv", index=False)
    with pytest.raises(AssignmentError) as err:
        run_draw(ws, MONTH, "5", scores=base_scores)
    assert err.value.uscc and err.value.uscc in str(err.value)
    draws = ws / "out" / "draws"
    assert not draws.exists() or not any(draws.iterdir())


def test_seed_rules_and_auto_seed(ws: Path, base_scores: pd.DataFrame) -> None:
    with pytest.raises(SeedError):
        run_draw(ws, MONTH, "  ", scores=base_scores)
    res = run_draw(ws, MONTH, "auto", scores=base_scores)
    seed = res.manifest["seed"]
    assert seed.isdigit() and len(seed) == 20
    assert verify_draw(res.out_dir, ws, scores=base_scores).ok


def test_formula_like_names_are_escaped(ws: Path, base_scores: pd.DataFrame) -> None:
    ent = pd.read_csv(ws / "entities.csv", dtype=str, keep_default_na=False)
    ent["name"] = '=HYPERLINK("x")' + ent["name"]
    ent.to_csv(ws / "entities.csv", index=False)
    every_d = base_scores.assign(tier="D")  # never-inspected D entities are always drawn
    res = run_draw(ws, MONTH, "9", scores=every_d)
    text = (res.out_dir / CSV_NAME).read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    cell = openpyxl.load_workbook(res.out_dir / XLSX_NAME).active["B2"]
    assert cell.data_type == "s" and str(cell.value).startswith("'=")


def test_drawn_entities_count_as_inspected_and_results_keep_later_draws_verifiable(
    ws: Path, base_scores: pd.DataFrame
) -> None:
    from tiered.results import import_results

    jan = run_draw(ws, "2026-01", "11", scores=base_scores)
    feb = run_draw(ws, "2026-02", "11", scores=base_scores)
    assert not set(jan.table["uscc"]) & set(feb.table["uscc"])  # no result recorded yet
    results = jan.table[["uscc"]].assign(
        date="2026-01-20", found_problem="否", result="合格", item="日常检查"
    )
    path = ws / "jan_results.csv"
    results.to_csv(path, index=False)
    import_results(ws, "2026-01", path)
    assert verify_draw(feb.out_dir, ws, scores=base_scores).ok
