"""A task end to end: draw, categorised results, publication with the task's columns, the
deadline report, the annual plan report; and the demo's plan side."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from tests.conftest import run_cli
from tests.tiered.task_fixture import task_ws
from tiered.ledger import chain as ledger
from tiered.tasks.draw import run_task_draw
from tiered.tasks.status import task_status


def _results_file(tmp_path: Path, drawn: list[str]) -> Path:
    rows = pd.DataFrame(
        {
            "uscc": [drawn[0], drawn[1], drawn[2], "91630202MA0000000X"],
            "date": ["2026-11-20"] * 4,
            "item": ["SJ01;WJ01"] * 4,
            "category": ["通过登记的住所（经营场所）无法联系", "corrected", "normal", "normal"],
            "result": ["", "已责令改正", "", ""],
        }
    )
    path = tmp_path / "results.csv"
    rows.to_csv(path, index=False)
    return path


def test_joint_task_results_publication_and_deadlines(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    drawn = list(run_task_draw(ws, "T04", "2718").table["uscc"])
    file = _results_file(tmp_path, drawn)
    code, out, _, err = run_cli("results", str(ws), "--task", "T04", str(file), "--json")
    assert code == 1, err  # the entity not drawn is rejected
    assert (out["added"], out["rejected"]) == (3, 1)
    stored = pd.read_csv(ws / "out" / "results" / "task-T04.csv", dtype=str, encoding="utf-8-sig")
    assert set(stored["task_id"]) == {"T04"}
    assert stored["found_problem"].tolist() == ["true", "true", "false"]  # from the category
    code, out, _, err = run_cli("publish", str(ws), "--task", "T04", "--json")
    assert code in (0, 1), err
    assert [a["uscc"] for a in out["abnormal_operation"]] == [drawn[0]]
    public = pd.read_csv(ws / "out" / "publish" / "task-T04.csv", encoding="utf-8-sig")
    assert {"任务名称", "检查机关", "结果类别"} <= set(public.columns)
    assert set(public["任务名称"]) == {"食品与公共卫生联合检查"}
    assert public["检查机关"].str.contains("市场监督管理局").all()
    assert public["检查机关"].str.contains("卫生健康局").all()
    assert "通过登记的住所（经营场所）无法联系" in set(public["结果类别"])
    rows = {r["task_id"]: r for r in task_status(ws, on=dt.date(2027, 3, 1))}
    assert rows["T01"]["status"] == "planned"
    t04 = rows["T04"]
    assert t04["status"] == "inspecting"
    assert t04["without_result"]["entities"] == len(drawn) - 3
    assert t04["without_result"]["overdue"]  # 20 working days after 2026-12-31 have passed
    assert t04["unpublished"]["results"] == 0
    code, out, _, _ = run_cli("task", "status", str(ws), "--json")
    assert code in (0, 1) and {r["task_id"] for r in out["tasks"]} == {"T01", "T02", "T03", "T04"}


def test_task_publication_refuses_an_edited_list(tmp_path: Path) -> None:
    """A task's public list is built only from the list and results the ledger vouches for."""
    ws = task_ws(tmp_path)
    drawn = list(run_task_draw(ws, "T04", "2718").table["uscc"])
    code, _, _, err = run_cli(
        "results", str(ws), "--task", "T04", str(_results_file(tmp_path, drawn))
    )
    assert code == 1, err
    folder = ws / "out" / "tasks" / "T04"
    for name in ("inspection_list.csv", "departments.csv"):  # the list; who inspected for whom
        f = folder / name
        good = f.read_bytes()
        f.write_bytes(good.replace(b"\n", b"\r\n", 1))  # one byte changed
        code, _, _, err = run_cli("publish", str(ws), "--task", "T04")
        assert code == 2 and name in err, err
        assert not (ws / "out" / "publish" / "task-T04.csv").exists()
        f.write_bytes(good)


def test_results_for_a_task_not_drawn_are_refused(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    code, _, _, err = run_cli(
        "results", str(ws), "--task", "T01", str(_results_file(tmp_path, ["x"] * 3))
    )
    assert code == 2 and "T01" in err


def test_plan_report_writes_only_the_report_and_a_ledger_entry(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    code, out, _, err = run_cli("plan", str(ws), "--year", "2026", "--json")
    assert code == 0, err
    tasks = {t["task_id"]: t for t in out["tasks"]}
    assert set(tasks) == {"T01", "T02", "T03", "T04"}
    assert tasks["T01"]["expected"] == 10.0  # ratio 0.5 of 20 food entities
    assert tasks["T02"]["expected"] == 5.0  # the directed list, whole
    assert sum(tasks["T01"]["months"].values()) == 10.0
    assert out["months"]["2026-11"] > 0 and out["months"]["2026-01"] == 0
    staff = {(s["department"], s["region"]): s for s in out["inspectors"]}
    assert staff[("卫生健康局", "民和县")]["inspectors"] == 4
    rules = out["rules_broken"]
    assert rules["frequency_minimum"]["entities"] > 0  # SJ01 asks each food entity for a visit
    assert not (ws / "out" / "tasks").exists() and not (ws / "out" / "draws").exists()
    assert [p.name for p in (ws / "out" / "plans").iterdir()] == ["2026.json"]
    assert [e.kind for e in ledger.entries(ws)][-1] == "plan_report"
    assert json.loads((ws / "out" / "plans" / "2026.json").read_text("utf-8"))["year"] == 2026


def test_demo_plan_side(demo_ws_session: Path) -> None:
    items = pd.read_csv(demo_ws_session / "items.csv", dtype=str)
    tasks = pd.read_csv(demo_ws_session / "tasks.csv", dtype=str, keep_default_na=False)
    tiers = pd.read_csv(demo_ws_session / "tiers.csv", dtype=str)
    ins = pd.read_csv(demo_ws_session / "inspections.csv", dtype=str, keep_default_na=False)
    ent = pd.read_csv(demo_ws_session / "entities.csv", dtype=str)
    assert len(items) >= 30 and items["department"].nunique() >= 6
    assert set(items["kind"]) == {"general", "key"}
    assert len(tasks) >= 12
    assert (tasks["departments"] != "").sum() >= 3  # joint
    assert (tasks["jurisdiction"] != "").sum() >= 3  # county
    assert set(tasks["directed"]) == {"true", "false"}
    kinds = ent.set_index("uscc")["entity_type"]
    assert set(kinds[tiers["uscc"]]) == {"enterprise"}
    assert {"planned", "complaint"} <= set(ins["type"])
    assert (ins.loc[ins["type"] == "planned", "task_id"] != "").all()
    assert {"normal", "corrected", "unreachable"} <= set(ins["category"])
    code, out, _, err = run_cli("validate", str(demo_ws_session), "--json")
    assert code == 0, out["errors"][:3]


def test_task_publication_lists_its_replacements(tmp_path: Path) -> None:
    """A task's publication report names each replacement (as a month's does), warns about an
    entity replaced as unreachable without a result, and publishes the replacement's result."""
    from tiered.draws.replace import run_replace

    ws = task_ws(tmp_path)
    drawn = list(run_task_draw(ws, "T04", "2718").table["uscc"])
    rep = run_replace(ws, drawn[0], "unreachable", task="T04")
    rows = pd.DataFrame(
        {"uscc": [drawn[1], rep.replacement], "date": ["2026-11-20"] * 2, "item": ["SJ01"] * 2}
    )
    rows.assign(category="normal").to_csv(tmp_path / "r.csv", index=False)
    code, _, _, err = run_cli("results", str(ws), "--task", "T04", str(tmp_path / "r.csv"))
    assert code == 0, err
    code, out, _, err = run_cli("publish", str(ws), "--task", "T04", "--json")
    assert code in (0, 1), err
    assert [(r["uscc"], r["replacement"]) for r in out["replacements"]] == [
        (drawn[0], rep.replacement)
    ]
    assert out["replacements"][0]["replacement_result_recorded"] is True
    assert any(drawn[0] in w and "无法联系" in w for w in out["warnings"])
    public = pd.read_csv(ws / "out" / "publish" / "task-T04.csv", dtype=str, encoding="utf-8-sig")
    assert rep.replacement in set(public["统一社会信用代码"])
    entry = ledger.entries(ws)[-1]
    assert entry.kind == "publication" and entry.payload["replacements"] == 1
