"""Staff: the task page. The year's tasks with state and deadlines; a joint task committed,
drawn with a public seed (the CLI's call: same files, verifies), its list with each
department's inspectors and the downloads; categorised results entered and published; the
annual plan report; in English too; and no traceback for a user's error."""

from __future__ import annotations

import json

import pandas as pd

from tiered.draws.verify import verify_draw
from tiered.ledger import chain as ledger

from .conftest import page_test, texts


def _joint(app_env) -> str:
    tasks = pd.read_csv(app_env / "tasks.csv", dtype=str, keep_default_na=False)
    first = tasks.sort_values("start").iloc[0]
    assert first["departments"], "the demo's first task is joint"
    return str(first["task_id"])


def test_task_page_lists_draws_and_publishes(app_env, tmp_path):
    task_id = _joint(app_env)
    at = page_test("app_pages/tasks.py", "staff").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    listing = at.dataframe[0].value
    assert {"任务编号", "检查期间", "联合", "范围", "状态", "下一期限"} <= set(listing.columns)
    assert task_id in set(listing["任务编号"])
    at.selectbox(key="task_pick").select(task_id).run()
    assert at.button(key="task_draw_go").disabled  # no seed yet
    at.button(key="task_commit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.text_input(key="task_seed").input("2718 2818").run()
    at.button(key="task_draw_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    folder = app_env / "out" / "tasks" / task_id
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["seed"] == "2718 2818" and manifest["commitment"]
    kinds = [e.kind for e in ledger.entries(app_env)]
    assert kinds[-1] == "task_draw" and "commitment" in kinds
    assert ledger.entries(app_env)[-1].actor == "staff"
    assert verify_draw(folder, app_env).ok
    said = texts(at)
    assert "检查名单" in said and "北京时间" in said
    labels = [b.label for b in at.get("download_button")]
    assert any("Excel" in x for x in labels) and any("公开核验包" in x for x in labels)
    depts = [df.value for df in at.dataframe if "部门" in df.value.columns]
    assert depts and depts[0]["部门"].nunique() >= 2  # each department's own team
    at.button(key="task_verify").click().run()
    assert any("复核通过" in s.value for s in at.success)
    # a redraw needs a reason
    assert at.button(key="task_redraw").disabled
    # results: one row typed with a category, one with nothing but a date (rejected, not lost)
    ed = at.data_editor(key="task_res_editor")
    assert ed.proto.HasField("placeholder") and ed.proto.placeholder == ""  # empty, not "None"
    first = ed.value.copy()
    assert len(first) == manifest["drawn"]
    at.session_state  # noqa: B018 - the editor's value is set through its state below
    edited = first.head(2).copy()
    edited["date"] = [pd.Timestamp("today").normalize()] * 2
    edited["category"] = ["通过登记的住所（经营场所）无法联系", None]
    from app_support import taskview

    rows = taskview.entered_results(edited, "zh")
    assert rows["category"].tolist() == ["unreachable", ""]
    f = tmp_path / "r.csv"
    rows.to_csv(f, index=False)
    from tiered.results import import_results

    s = import_results(app_env, None, f, actor="staff", task=task_id)
    assert (s.added, s.rejected) == (1, 1)  # the row without a category or outcome is refused
    at.run()
    assert not at.exception
    at.checkbox(key="task_publish_partial").check().run()
    at.button(key="task_publish").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("已公示 1 条" in s.value for s in at.success)
    assert any("无法联系" in w.value for w in at.warning)
    assert (app_env / "out" / "publish" / f"task-{task_id}.csv").is_file()
    # the annual plan report
    at.button(key="plan_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "预计抽取" in texts(at)


def test_task_page_in_english_and_for_admin_only_staff_roles(app_env):
    at = page_test("app_pages/tasks.py", "staff", lang="en").run()
    assert not at.exception and not at.error
    assert {"task", "window", "joint", "scope", "status"} <= set(at.dataframe[0].value.columns)
    assert page_test("app_pages/tasks.py", "admin").run().title[0].value == "抽查任务"
    refused = page_test("app_pages/tasks.py", "leader").run()
    assert refused.error and "无权访问" in refused.error[0].value


def test_people_lists_give_each_inspector_their_own_departments_items(tmp_path):
    from app_support import taskview
    from tests.tiered.task_fixture import inspectors, items, task_ws
    from tiered.tasks.draw import run_task_draw
    from tiered.tasks.lists import department_table, people_lists, read_task_draw
    from tiered.tasks.model import load_tasks
    from tiered.workspace import load_workspace

    ws = task_ws(tmp_path)
    run_task_draw(ws, "T04", "5")
    draw = read_task_draw(ws, "T04")
    people, per = people_lists(draw, inspectors(), items())
    assert people["item_names"].str.contains("公共场所卫生检查").all()
    first = people["inspector_names"].iloc[0]
    assert first.startswith("市场监督管理局：") and "；卫生健康局：" in first
    health = per[per["department"].str.endswith("卫生健康局")]
    assert len(health) and (health["item_names"] == "公共场所卫生检查").all()
    market = per[per["department"].str.endswith("市场监督管理局")]
    assert not market["item_names"].str.contains("公共场所").any()
    assert len(department_table(draw, inspectors(), items())) == 2 * len(draw.listed)
    task = load_tasks(load_workspace(ws))["T03"]
    assert taskview.scope_text(task, "zh") == "全部行业 · 民和县 · 比例 20.0%"
    assert taskview.scope_text(task, "en") == "all sectors · 民和县 · ratio 20.0%"
