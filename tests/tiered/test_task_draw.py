"""`tiered task draw`: scope, jurisdiction, directed lists, joint departments, imported tiers
and the frequency rules, on the small two-county task workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.tiered.task_fixture import entities, inspectors, task_ws, tasks
from tiered.draws.verify import verify_draw
from tiered.errors import UsageError
from tiered.tasks.draw import run_task_draw


def _detail(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "departments.csv", dtype=str, encoding="utf-8-sig")


def test_joint_task_each_department_inspects_its_own_items(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    r = run_task_draw(ws, "T04", "3 1 4 1 5")
    assert set(r.table["sector"]) <= {"food_drug", "health"} and len(r.table) == 12
    detail = _detail(r.out_dir)
    insp = inspectors().set_index("inspector_id")
    region = entities().set_index("uscc")["region"]
    for row in detail.itertuples():
        ids = row.inspectors.split(";")
        assert len(ids) == 2
        assert all(insp.loc[i, "department"].endswith(row.department) for i in ids)
        assert all(insp.loc[i, "region"] == region[row.uscc] for i in ids)  # same_region
    assert dict(zip(detail["department"], detail["items"], strict=True)) == {
        "市场监督管理局": "SJ01",
        "卫生健康局": "WJ01",
    }
    assert (detail.groupby("uscc").size() == 2).all()  # one visit, both departments
    assert verify_draw(r.out_dir, ws).ok


def test_directed_task_draws_only_from_its_list(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    r = run_task_draw(ws, "T02", "9")
    targets = set(tasks().loc[1, "targets"].split(";"))
    assert set(r.table["uscc"]) == targets  # no size given: the whole list
    assert r.manifest["frame_rows"] == len(targets)


def test_county_task_draws_that_county_with_its_inspectors(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    r = run_task_draw(ws, "T03", "9")
    assert set(r.table["region"]) == {"民和县"}
    assert r.manifest["frame_rows"] == 30 and len(r.table) == 6  # ratio 0.2
    ids = {i for v in r.table["inspectors"] for i in v.split(";")}
    assert ids <= set(inspectors().query("region == '民和县'")["inspector_id"])


def test_imported_tiers_are_used_and_the_manifest_names_their_source(tmp_path: Path) -> None:
    e = entities()
    food = e[e["sector"] == "food_drug"]["uscc"]
    tiers = pd.DataFrame(
        {
            "uscc": food.iloc[:6],
            "tier": ["D", "D", "D", "C", "C", "B"],
            "source": ["市场监管总局企业信用风险分类"] * 5 + ["省局分类"],
            "date": ["2026-10-15"] * 5 + ["2026-01-15"],  # the last is too old (62 days)
        }
    )
    ws = task_ws(tmp_path, tiers=tiers)
    r = run_task_draw(ws, "T01", "7")
    strata = {s["tier"]: s for s in r.manifest["strata"]}
    assert strata["D"]["tier_sources"] == {"市场监管总局企业信用风险分类": 3}
    assert strata["C"]["tier_sources"] == {"市场监管总局企业信用风险分类": 2}
    assert strata["A"]["tier_sources"] == {"score": 15}
    listed = r.table.set_index("uscc")["tier"]
    assert all(listed.get(u, "D") == "D" for u in food.iloc[:3])
    assert verify_draw(r.out_dir, ws).ok


def test_no_entity_in_two_tasks_of_the_same_window_unless_allowed(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    first = set(run_task_draw(ws, "T01", "1").table["uscc"])
    second = run_task_draw(ws, "T04", "1")
    assert not first & set(second.table["uscc"])
    t = tasks()
    t["allow_repeat"] = ["false", "false", "false", "true"]
    ws2 = task_ws(tmp_path / "b", tasks=t)
    run_task_draw(ws2, "T01", "1")
    again = run_task_draw(ws2, "T04", "1")
    assert again.manifest["frame_rows"] == 40  # nobody left out


def _inspected(uscc: list[str], date: str, kind: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uscc": uscc,
            "date": date,
            "found_problem": "false",
            "inspectors": "M020;M021",
            "type": kind,
        }
    )


def test_complaint_checks_neither_block_nor_count(tmp_path: Path) -> None:
    e = entities()
    food = list(e[e["sector"] == "food_drug"]["uscc"])
    ins = pd.concat(
        [
            _inspected(food[:5], "2026-09-10", "complaint"),
            _inspected(food[5:8], "2026-09-10", "planned"),
        ]
    )
    ws = task_ws(tmp_path, inspections=ins)
    r = run_task_draw(ws, "T01", "5")
    assert r.manifest["strata"][0]["eligible"] == 17  # 20 food entities, 3 planned-inspected


def test_an_items_frequency_rule_shortens_the_cooldown(tmp_path: Path) -> None:
    e = entities()
    food = list(e[e["sector"] == "food_drug"]["uscc"])
    tiers = pd.DataFrame(
        {
            "uscc": food[:4],
            "tier": "D",
            "source": "市场监管总局企业信用风险分类",
            "date": "2026-10-20",
        }
    )
    ins = _inspected(food[:4], "2026-06-10", "planned")  # 5 months before the task
    ws = task_ws(tmp_path, tiers=tiers, inspections=ins)
    r = run_task_draw(ws, "T01", "5")  # SJ01: D at least 4 visits a year -> 3-month cooldown
    d = next(s for s in r.manifest["strata"] if s["tier"] == "D")
    assert d["eligible"] == 4
    assert r.manifest["sampling_config"]["cooldown_months"]["D"] == 3
    r3 = run_task_draw(ws, "T03", "5")  # SJ02 has no frequency rule: the 12-month cooldown
    assert all(u not in set(r3.table["uscc"]) for u in food[:4])


def test_conflicts_are_recused_per_department(tmp_path: Path) -> None:
    e = entities()
    ledu_food = list(e[(e["sector"] == "food_drug") & (e["region"] == "乐都区")]["uscc"])
    conflicts = pd.DataFrame(
        {
            "inspector_id": ["M020", "M021", "H020"] * len(ledu_food),
            "uscc": [u for u in ledu_food for _ in range(3)],
        }
    )
    ws = task_ws(tmp_path, conflicts=conflicts)
    r = run_task_draw(ws, "T04", "8")
    for row in _detail(r.out_dir).itertuples():
        if row.uscc in ledu_food:
            ids = set(row.inspectors.split(";"))
            assert not ids & {"M020", "M021", "H020"}
            if row.department == "市场监督管理局":
                assert ids == {"M022", "M023"}


def test_redraw_needs_a_reason_and_cli_verify(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    code, out, _, err = run_cli("task", "draw", str(ws), "--task", "T04", "--seed", "11", "--json")
    assert code == 0, err
    assert out["departments"] == ["市场监督管理局", "卫生健康局"]
    with pytest.raises(UsageError):
        run_task_draw(ws, "T04", "12")
    code, _, _, _ = run_cli("task", "draw", str(ws), "--task", "T04", "--seed", "12", "--replace")
    assert code == 2
    r = run_task_draw(ws, "T04", "12", replace=True, reason="抽签视频缺失")
    assert r.replaced_dir is not None and r.replaced_dir.is_dir()
    code, out, _, _ = run_cli("verify", str(r.out_dir), "--workspace", str(ws), "--json")
    assert code == 0 and out["ok"]
    manifest = json.loads((r.out_dir / "manifest.json").read_text("utf-8"))
    assert manifest["task"]["teams"][0][0] == "市场监督管理局"
    code, _, _, _ = run_cli("audit", str(ws))
    assert code == 0


def test_verify_catches_an_edited_department_list(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    r = run_task_draw(ws, "T04", "2")
    path = r.out_dir / "departments.csv"
    path.write_bytes(path.read_bytes().replace(b"H02", b"H03", 1))
    res = verify_draw(r.out_dir, ws)
    assert not res.ok and any("departments.csv" in d for d in res.differences)
