"""The task tables (items, tasks, tiers) and the new inspection columns, validated row by row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import run_cli, small_tables, write_tables
from tests.tiered.task_fixture import entities, items, task_ws, tasks
from tiered.workspace import load_workspace


def _errors(ws: Path, table: str) -> list[dict]:
    return [e for e in load_workspace(ws).report.errors if e["table"] == table]


def test_clean_task_tables_pass(tmp_path: Path) -> None:
    w = load_workspace(task_ws(tmp_path))
    assert w.report.errors == []
    assert w.report.counts["tasks"] == {"rows": 4, "accepted": 4, "rejected": 0}
    assert w.tables["items"]["kind"].tolist() == ["key", "general", "general"]
    assert w.tables["tasks"]["end"].iloc[0] == pd.Timestamp("2026-12-31")  # future dates ok


def test_bad_task_rows_are_rejected_with_their_row_and_reason(tmp_path: Path) -> None:
    t = tasks()
    t.loc[0, "items"] = "SJ01;XX99"  # unknown item
    t.loc[1, "end"] = "2026-10-01"  # before start
    t.loc[2, "lead_department"] = "住房和城乡建设局"  # no inspectors; and SJ02 is not its item
    t.loc[3, "ratio"] = "1.5"
    ws = task_ws(tmp_path, tasks=t)
    errs = {(e["row"], e["column"]): e["message"] for e in _errors(ws, "tasks")}
    assert "XX99" in errs[(2, "items")]
    assert "结束日期早于开始日期" in errs[(3, "end")]
    assert "住房和城乡建设局" in errs[(4, "lead_department")]
    assert "fewer than 2" in errs[(4, "lead_department")]
    assert "not a department of the task" in errs[(4, "lead_department")]
    assert "ratio" in errs[(5, "ratio")]
    code, out, _, _ = run_cli("validate", str(ws), "--json")
    assert code == 1
    assert out["tables"]["tasks"] == {"rows": 4, "accepted": 0, "rejected": 4}
    rejected = pd.read_csv(ws / "out" / "rejected" / "tasks.csv", encoding="utf-8-sig")
    assert rejected["row"].tolist() == [2, 3, 4, 5]


def test_a_county_task_needs_inspectors_in_that_county(tmp_path: Path) -> None:
    t = tasks()
    t.loc[2, "jurisdiction"] = "互助县"  # no entity there
    ws = task_ws(tmp_path, tasks=t)
    errs = {(e["row"], e["column"]) for e in _errors(ws, "tasks")}
    assert (4, "jurisdiction") in errs
    assert (4, "lead_department") in errs  # nobody of the department in 互助县


def test_directed_tasks_need_known_targets(tmp_path: Path) -> None:
    t = tasks()
    t.loc[1, "targets"] = "91630202MA0000000X"
    t.loc[0, "targets"] = entities()["uscc"].iloc[0]  # targets on an undirected task
    t.loc[3, "directed"] = "true"  # directed without targets
    ws = task_ws(tmp_path, tasks=t)
    cols = {e["row"]: e["message"] for e in _errors(ws, "tasks") if e["column"] == "targets"}
    assert set(cols) == {2, 3, 5}


def test_bad_item_rows_and_tier_rates(tmp_path: Path) -> None:
    i = items()
    i.loc[1, "kind"] = "urgent"
    t = tasks()
    t.loc[0, "tier_rates"] = "A:0.01;E:0.2"
    ws = task_ws(tmp_path, items=i, tasks=t)
    assert [(e["row"], e["column"]) for e in _errors(ws, "items")] == [(3, "kind")]
    task_errs = {(e["row"], e["column"]) for e in _errors(ws, "tasks")}
    assert (2, "tier_rates") in task_errs
    assert (3, "items") in task_errs  # SJ02's row was rejected: the item is unknown


def test_tiers_table_checks_entities_and_tiers(tmp_path: Path) -> None:
    e = entities()
    tiers = pd.DataFrame(
        {
            "uscc": [e["uscc"].iloc[0], e["uscc"].iloc[1], "91630202MA0000000X"],
            "tier": ["A", "E", "B"],
            "source": ["市场监管总局企业信用风险分类"] * 3,
            "date": ["2026-10-05"] * 3,
        }
    )
    ws = task_ws(tmp_path, tiers=tiers)
    errs = sorted((e["row"], e["column"]) for e in _errors(ws, "tiers"))
    assert errs == [(3, "tier"), (4, "uscc")]


def test_category_gives_found_problem_and_old_files_still_load(tmp_path: Path) -> None:
    tables = small_tables()
    ins = tables["inspections"]
    ins["found_problem"] = ["", "false"]
    ins["category"] = ["通过登记的住所（经营场所）无法联系", "normal"]
    ins["type"] = ["complaint", ""]
    ins["task_id"] = ["T01", ""]
    w = load_workspace(write_tables(tmp_path / "ws", tables))
    assert w.report.errors == []
    got = w.tables["inspections"]
    assert got["found_problem"].tolist() == [True, False]
    assert got["category"].tolist() == ["unreachable", "normal"]
    assert got["type"].tolist() == ["complaint", None]
    old = load_workspace(write_tables(tmp_path / "old", small_tables()))
    assert old.report.errors == [] and old.tables["inspections"]["category"].isna().all()


def test_found_problem_contradicting_the_category_is_rejected(tmp_path: Path) -> None:
    tables = small_tables()
    tables["inspections"]["category"] = ["normal", "corrected"]
    ws = write_tables(tmp_path / "ws", tables)
    errs = [(e["row"], e["column"]) for e in _errors(ws, "inspections")]
    assert errs == [(2, "found_problem"), (3, "found_problem")]


def test_a_bureaus_own_category_labels_are_accepted(tmp_path: Path) -> None:
    tables = small_tables()
    tables["inspections"]["found_problem"] = ["", ""]
    tables["inspections"]["category"] = ["责令整改到位", "正常"]
    ws = write_tables(tmp_path / "ws", tables)
    (ws / "config.yaml").write_text("result_categories: {corrected: 责令整改到位}\n", "utf-8")
    w = load_workspace(ws)
    assert w.report.errors == []
    assert w.tables["inspections"]["category"].tolist() == ["corrected", "normal"]
