"""A task's draw holds to the same guarantees as a month's: a commitment before the seed
(`tiered commit --task`), ledger-vouched folders and commitments, the ledger head in its
manifest, replacements staffed per department, and inspector ids that compare alike wherever
they come from (conflicts, past inspections)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.tiered.task_fixture import entities, inspectors, task_ws, tasks
from tests.tiered.test_bundle import observe
from tests.tiered.test_bundle import observer as observer  # noqa: F401 (fixture)
from tiered.draws import commit
from tiered.draws.replace import DEPARTMENTS_MADE_NAME, run_replace
from tiered.draws.verify import verify_draw
from tiered.errors import UsageError
from tiered.ledger import chain as ledger
from tiered.ledger.vouch import UnvouchedFile
from tiered.results import import_results
from tiered.tasks.draw import run_task_draw

SEED = "0271828"


def test_commit_a_task_then_draw_it(tmp_path: Path, observer) -> None:  # noqa: F811
    ws = task_ws(tmp_path)
    code, out, _, err = run_cli("commit", str(ws), "--task", "T04", "--json")
    assert code == 0, err
    folder = ws / "out" / "commitments" / "tasks" / "T04"
    committed = (folder / "commitment.json").read_bytes()
    data = json.loads(committed)
    assert data["task"] == "T04" and data["task_definition"]["task_id"] == "T04"
    assert data["frame_rows"] == 40  # food_drug and health of both counties: the task's scope
    assert out["commitment_sha256"] == commit.sha256_bytes(committed)
    # the targets frozen are the task's (a ratio of 0.3 of the pool), not a month's share
    assert sum(s["target"] for s in data["strata"]) == pytest.approx(0.3 * data["eligible"])
    r = run_task_draw(ws, "T04", SEED)
    public = r.out_dir / "public"
    assert (public / "commitment.json").read_bytes() == committed
    assert r.manifest["commitment"]["sha256"] == out["commitment_sha256"]
    assert verify_draw(r.out_dir, ws).ok
    code, seen = observe(public, observer, SEED)
    assert (code, seen["differences"]) == (0, [])
    kinds = [e.kind for e in ledger.entries(ws)]
    assert kinds.index("commitment") < kinds.index("task_draw")


def test_a_committed_task_refuses_when_its_scope_changed(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    commit.run_commit(ws, task="T01")  # food_drug only
    e = entities()
    victim = e.loc[e["sector"] == "food_drug", "uscc"].iloc[0]
    e.loc[e["uscc"] == victim, "sector"] = "other"  # leaves the task's scope after the commit
    e.to_csv(ws / "entities.csv", index=False)
    with pytest.raises(commit.CommitmentChanged) as err:
        run_task_draw(ws, "T01", SEED)
    assert victim in str(err.value)
    assert not (ws / "out" / "tasks" / "T01").exists()
    code, _, _, err_text = run_cli("commit", str(ws), "--task", "T01")
    assert code == 2 and "--replace" in err_text
    commit.run_commit(ws, task="T01", replace=True, reason="主体行业更正")
    assert run_task_draw(ws, "T01", SEED).manifest["commitment"]


def test_an_edited_commitment_is_not_used(tmp_path: Path) -> None:
    """Before: commit.load read any commitment.json; now only the ledgered one."""
    ws = task_ws(tmp_path)
    commit.run_commit(ws, task="T04")
    path = ws / "out" / "commitments" / "tasks" / "T04" / "commitment.json"
    path.write_bytes(path.read_bytes().replace(b'"eligible"', b'"eligible" ', 1))
    with pytest.raises(UnvouchedFile) as err:
        run_task_draw(ws, "T04", SEED)
    assert "commitment.json" in str(err.value.file)


def test_task_manifest_carries_the_ledger_head(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    run_task_draw(ws, "T01", SEED)
    before = ledger.head(ws)
    r = run_task_draw(ws, "T04", SEED)
    assert r.manifest["ledger_head"] == before
    public = json.loads((r.out_dir / "public" / "manifest.json").read_text("utf-8"))
    assert public["ledger_head"] == before
    code, _, _, err = run_cli("audit", str(ws), "--head", before["hash"])
    assert code == 0, err


def test_a_tampered_task_list_is_refused_everywhere(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    r = run_task_draw(ws, "T04", SEED)
    lst = r.out_dir / "inspection_list.csv"
    first = r.table["uscc"].iloc[0]
    lst.write_bytes(lst.read_bytes().replace(first.encode(), b"91630202MA0000000X", 1))
    res = verify_draw(r.out_dir, ws)
    assert not res.ok and first in res.added
    with pytest.raises(UnvouchedFile):  # another draw of the window reads it for the cooldown
        run_task_draw(ws, "T01", SEED)
    results = tmp_path / "res.csv"
    pd.DataFrame({"uscc": [first], "date": ["2026-11-20"], "category": ["normal"]}).to_csv(
        results, index=False
    )
    with pytest.raises(UnvouchedFile):
        import_results(ws, None, results, task="T04")
    with pytest.raises(UnvouchedFile):
        run_replace(ws, first, "unreachable", task="T04")
    code, _, _, err = run_cli("task", "status", str(ws))
    assert code == 2 and "inspection_list.csv" in err


def test_a_joint_tasks_replacement_is_staffed_by_each_department(tmp_path: Path) -> None:
    """Before: the replacement got two inspectors from the whole directory."""
    ws = task_ws(tmp_path)
    r = run_task_draw(ws, "T04", SEED)
    gone = r.table["uscc"].iloc[0]
    rep = run_replace(ws, gone, "unreachable", task="T04")
    detail = pd.read_csv(r.out_dir / DEPARTMENTS_MADE_NAME, dtype=str, encoding="utf-8-sig")
    assert list(detail["uscc"]) == [rep.replacement] * 2
    assert list(detail["department"]) == ["市场监督管理局", "卫生健康局"]
    assert list(detail["items"]) == ["SJ01", "WJ01"]
    insp = inspectors().set_index("inspector_id")
    region = entities().set_index("uscc")["region"][rep.replacement]
    for row in detail.itertuples():
        ids = row.inspectors.split(";")
        assert len(ids) == 2
        assert all(insp.loc[i, "department"] == f"{region}{row.department}" for i in ids)
    assert rep.inspectors == ";".join(detail["inspectors"])
    entry = [e for e in ledger.entries(ws) if e.kind == "replacement"][-1]
    assert entry.payload["departments"] == [
        list(x) for x in detail[["department", "inspectors"]].values
    ]
    assert verify_draw(r.out_dir, ws).ok  # the list stays as drawn
    code, out, _, _ = run_cli("task", "status", str(ws), "--json")
    assert code in (0, 1) and {t["task_id"]: t for t in out["tasks"]}["T04"]["replaced"] == 1
    made = r.out_dir / "replacements_made.csv"
    saved = made.read_bytes()
    made.write_bytes(saved.replace(b"unreachable", b"deregistered"))  # edited by hand
    code, _, _, err = run_cli("task", "status", str(ws))
    assert code == 2 and "replacements_made.csv" in err
    made.write_bytes(saved)
    # the publication names both offices for the replacement's visit too
    results = tmp_path / "res.csv"
    pd.DataFrame(
        {"uscc": [rep.replacement], "date": ["2026-11-20"], "category": ["normal"]}
    ).to_csv(results, index=False)
    import_results(ws, None, results, task="T04")
    code, _, _, err = run_cli("publish", str(ws), "--task", "T04")
    assert code in (0, 1), err
    public = pd.read_csv(ws / "out" / "publish" / "task-T04.csv", encoding="utf-8-sig")
    office = public.set_index("统一社会信用代码")["检查机关"][rep.replacement]
    assert "市场监督管理局" in office and "卫生健康局" in office


def test_a_joint_task_redraw_keeps_per_department_teams(tmp_path: Path) -> None:
    ws = task_ws(tmp_path)
    run_task_draw(ws, "T04", SEED)
    with pytest.raises(UsageError):
        run_task_draw(ws, "T04", "99", replace=True, reason="  ")
    r = run_task_draw(ws, "T04", "99", replace=True, reason="抽签现场断电")
    detail = pd.read_csv(r.out_dir / "departments.csv", dtype=str, encoding="utf-8-sig")
    dept = inspectors().set_index("inspector_id")["department"]
    for row in detail.itertuples():
        assert all(dept[i].endswith(row.department) for i in row.inspectors.split(";"))
    assert r.manifest["replaced"]["reason"] == "抽签现场断电"


def test_past_and_conflicting_inspector_ids_fold_case_and_width(tmp_path: Path) -> None:
    """Before: a past inspection's `m020` did not keep `M020` away (conflicts already folded)."""
    e = entities()
    targets = tasks().loc[1, "targets"].split(";")  # the directed task draws its whole list
    ledu = [u for u in targets if e.set_index("uscc")["region"][u] == "乐都区"]
    minhe = [u for u in targets if u not in ledu]
    history = pd.DataFrame(
        {
            "uscc": ledu,
            "date": ["2024-06-01"] * len(ledu),  # long past the cooldown: rotation only
            "found_problem": ["false"] * len(ledu),
            "inspectors": ["m020;ｍ０２１"] * len(ledu),  # lower case and full width
        }
    )
    conflicts = pd.DataFrame(
        {
            "inspector_id": ["ｍ２２０", "m221"] * len(minhe),
            "uscc": [u for u in minhe for _ in "ab"],
        }
    )
    ws = task_ws(tmp_path, inspections=history, conflicts=conflicts)
    r = run_task_draw(ws, "T02", SEED)
    got = r.table.set_index("uscc")["inspectors"]
    for u in ledu:
        assert set(got[u].split(";")) == {"M022", "M023"}
    for u in minhe:
        assert set(got[u].split(";")) == {"M222", "M223"}
    assert verify_draw(r.out_dir, ws).ok


def test_a_task_with_results_is_not_redrawn(tmp_path: Path) -> None:
    """Its results would otherwise belong to a list that no longer exists."""
    ws = task_ws(tmp_path)
    r = run_task_draw(ws, "T04", SEED)
    results = tmp_path / "res.csv"
    pd.DataFrame(
        {"uscc": [r.table["uscc"].iloc[0]], "date": ["2026-11-20"], "category": ["normal"]}
    ).to_csv(results, index=False)
    import_results(ws, None, results, task="T04")
    code, _, _, err = run_cli(
        "task", "draw", str(ws), "--task", "T04", "--seed", "9", "--replace", "--reason", "x"
    )
    assert code == 2 and "1 条检查结果" in err, err
    assert json.loads((r.out_dir / "manifest.json").read_text("utf-8"))["seed"] == SEED
