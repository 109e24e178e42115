"""#16: a new workspace gets a guided first upload on the data page (which table first, what it
needs, its template, the check with every rejected row named by file, row and column, then the
next step), and the rejection tables speak Chinese (headers, table and column names)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from app_support import bootstrap, i18n
from tiered.errors import UsageError
from tiered.ledger import chain as ledger

from .conftest import page_test, texts

HEADERS = ["表", "行号", "列", "原因", "文件"]
EN_HEADERS = ["table", "row", "column", "reason", "file"]


def grid(at, headers=HEADERS) -> pd.DataFrame:
    """The (only) rejection table on the page (an upload's own has no table column)."""
    found = [d.value for d in at.dataframe if list(d.value.columns) == headers]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


@pytest.fixture
def new_ws(app_env, tmp_path, monkeypatch) -> Path:
    """An admin's new, empty workspace chosen in the settings (the demo's files to upload)."""
    monkeypatch.delenv("TIERED_WORKSPACE", raising=False)
    ws = tmp_path / "new-ws"
    assert bootstrap.choose_workspace(str(ws), new=True) is True  # created, no data yet
    return ws


def _entities_with_two_bad_rows(app_env: Path) -> bytes:
    ent = pd.read_csv(app_env / "entities.csv", dtype=str).head(40)
    ent.loc[3, "registered_on"] = "2024-13-45"
    ent.loc[5, "sector"] = "不存在的行业"
    return ent.to_csv(index=False).encode("utf-8")


def test_choose_workspace_new_needs_the_tick(tmp_path):
    with pytest.raises(UsageError, match="新建工作区"):
        bootstrap.choose_workspace(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="还没有检查对象名录库"):
        bootstrap.choose_workspace(str(tmp_path / "empty"))
    assert bootstrap.choose_workspace(str(tmp_path / "empty"), new=True) is True
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="不是文件夹"):
        bootstrap.choose_workspace(str(tmp_path / "file"), new=True)


def test_guided_first_upload_step_by_step(app_env, new_ws):
    at = page_test("app_pages/data.py", "admin").run()
    assert not at.exception, at.exception
    said = texts(at)
    assert "这是一个新工作区" in said and "第 1 步：检查对象名录库 (entities) · 当前步骤" in said
    assert "**必填列**：统一社会信用代码、名称、行业、区域" in said
    assert "该目录没有" not in said and not at.error  # no "no entities table" error any more

    at.session_state["guide_entities_pending"] = {
        "name": "名录.csv",
        "data": _entities_with_two_bad_rows(app_env),
    }
    at.run()
    assert not at.exception, at.exception
    said = texts(at)
    assert "名录.csv：将新建“检查对象名录库 (entities)”，共 40 行" in said
    assert "拒收 2 行，原因如下" in said
    rejected = grid(at, HEADERS[1:])
    assert set(rejected["文件"]) == {"名录.csv"} and set(rejected["行号"]) == {5, 7}
    assert set(rejected["列"]) == {"成立日期", "行业"}  # the file's Chinese headers, not codes
    assert not rejected["原因"].str.contains(r"[A-Za-z_]{4,}").any()  # no English tail, no code
    assert at.button(key="guide_entities_go").disabled
    at.text_input(key="guide_entities_reason").input("首次上传名录").run()
    at.checkbox(key="guide_entities_sure").check().run()
    at.button(key="guide_entities_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    said = texts(at)
    assert "下一步：上传“信用记录 (records)”" in said
    assert ":material/check_circle: 第 1 步：检查对象名录库 (entities) · 已上传" in said
    e = ledger.entries(new_ws)[-1]
    assert e.kind == "table_replace" and e.payload["reason"] == "首次上传名录"

    # the guide goes on at the top of the full page; an optional step can be skipped
    assert "第 2 步：信用记录 (records) · 当前步骤" in said
    at.button(key="guide_skip_records").click().run()
    assert "第 3 步：抽查结果 (inspections) · 当前步骤" in texts(at)
    assert len(grid(at)) == 2  # the validation report's table, same headers


def test_other_pages_point_a_new_workspace_to_the_guide(app_env, new_ws):
    at = page_test("app_pages/leader.py", "leader").run()
    assert not at.exception, at.exception
    assert "按步骤上传" in texts(at) and not at.error


def test_data_page_rejection_table_in_chinese_and_english(app_env, tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    shutil.copytree(app_env, ws, ignore=shutil.ignore_patterns("out"))
    rec = pd.read_csv(ws / "records.csv", dtype=str)
    rec.loc[0, "date"] = "not a date"
    rec.to_csv(ws / "records.csv", index=False)
    monkeypatch.setenv("TIERED_WORKSPACE", str(ws))
    at = page_test("app_pages/data.py", "staff").run()
    assert not at.exception, at.exception
    rejected = grid(at)
    row = rejected[rejected["行号"] == 2].iloc[0]
    assert row["表"] == "信用记录 (records)" and row["文件"] == "records.csv"
    assert row["列"] == "日期" and "date" not in row["原因"]
    en = page_test("app_pages/data.py", "staff", lang="en").run()
    rejected = grid(en, EN_HEADERS)
    assert rejected[rejected["row"] == 2].iloc[0]["column"] == "date"


def test_indicator_names_not_codes(app_env):
    at = page_test("app_pages/analyst.py", "analyst").run()
    assert not at.exception, at.exception
    editor = next(d.value for d in at.dataframe if "分值" in d.value.columns)
    assert "指标" in editor.columns and "indicator" not in editor.columns
    names = set(editor["指标"])
    assert "行政处罚（严重）" in names and "penalty_serious" not in names
    assert set(editor["方向"]) == {"加分", "扣分"}
    assert not editor.astype(str).isin(["None", "nan", "True", "False"]).any().any()
    assert i18n.indicator_label("penalty_serious", "行政处罚（严重）", "en") == (
        "administrative penalty (serious)"
    )
    from scoring.config import DEFAULT_INDICATORS

    assert set(i18n.INDICATOR_LABELS_EN) == set(DEFAULT_INDICATORS)  # every one has a name
