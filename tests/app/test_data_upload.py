"""Issue 17 item 2 in the app: the data page shows what an upload would change
("将以 6 行替换现有 N 行") and writes only after confirmation (and a force when most of the
other tables would be orphaned); the old version is kept and can be restored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tiered import upload

from .conftest import page_test, texts


@pytest.fixture
def own_ws(app_env, tmp_path, monkeypatch) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(app_env, ws, ignore=shutil.ignore_patterns("out"))
    monkeypatch.setenv("TIERED_WORKSPACE", str(ws))
    return ws


def test_data_page_asks_before_replacing_and_restores(own_ws: Path) -> None:
    ent = pd.read_csv(own_ws / "entities.csv", dtype=str)
    at = page_test("app_pages/data.py", "staff")
    at.session_state["upload_pending"] = {
        "name": "fixed.csv",
        "data": ent.head(6).to_csv(index=False).encode("utf-8"),
    }
    at.run()
    assert not at.exception, at.exception
    assert f"将以 6 行替换现有 {len(ent):,} 行" in texts(at)
    assert at.button(key="upload_go").disabled
    at.text_input(key="upload_reason").input("改正拒收行").run()
    at.checkbox(key="upload_sure").check().run()
    assert at.button(key="upload_go").disabled  # most records would be orphaned
    at.checkbox(key="upload_force").check().run()
    assert not at.button(key="upload_go").disabled
    at.button(key="upload_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(pd.read_csv(own_ws / "entities.csv", dtype=str)) == 6
    assert len(upload.versions(own_ws, "entities")) == 1

    at.text_input(key="restore_reason").input("误传").run()
    at.button(key="restore_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(pd.read_csv(own_ws / "entities.csv", dtype=str)) == len(ent)


def test_data_page_refuses_garbage_without_touching_the_table(own_ws: Path) -> None:
    before = (own_ws / "entities.csv").read_bytes()
    at = page_test("app_pages/data.py", "staff")
    at.session_state["upload_pending"] = {"name": "entities.csv", "data": b"a,b\n1,2\n"}
    at.run()
    assert not at.exception, at.exception
    assert any("uscc" in e.value for e in at.error)
    assert (own_ws / "entities.csv").read_bytes() == before
