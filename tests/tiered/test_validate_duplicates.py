"""Issue 17 item 4: a duplicated uscc names every row to fix, and the rows of other tables
rejected because of it are summarised, in validate's text and JSON."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import run_cli, small_tables, write_tables


def _ws_with_duplicate(tmp_path: Path, reverse: bool = False) -> tuple[Path, str]:
    tables = small_tables()
    ent = tables["entities"]
    code = ent["uscc"].iloc[1]
    ent = pd.concat([ent, ent.iloc[[1]].assign(name="另一个名字")], ignore_index=True)
    tables["entities"] = ent.iloc[::-1] if reverse else ent
    rec = tables["records"]
    tables["records"] = pd.concat([rec, rec.iloc[[1]], rec.iloc[[1]]], ignore_index=True)
    return write_tables(tmp_path / ("b" if reverse else "a"), tables), code


def test_duplicate_names_all_rows_and_summarises_cascade(tmp_path: Path) -> None:
    ws, code = _ws_with_duplicate(tmp_path)
    rc, out, _, _ = run_cli("validate", str(ws), "--json")
    assert rc == 1
    dup = [e for e in out["errors"] if e["table"] == "entities"]
    assert {e["row"] for e in dup} == {3, 8}
    for e in dup:  # each message names both rows, so the clerk knows which to fix
        assert "第 3、8 行" in e["message"] and "rows 3, 8" in e["message"]
    assert out["duplicates"] == [
        {"table": "entities", "column": "uscc", "value": code, "rows": [3, 8]}
    ]
    cascade = {c["table"]: c for c in out["cascade"]}
    assert cascade["records"]["rows"] == 3 and cascade["records"]["cause"] == "duplicate"
    assert cascade["conflicts"]["rows"] == 1
    rec = [e for e in out["errors"] if e["table"] == "records"]
    assert all("第 3、8 行" in e["message"] and "duplicated" in e["message"] for e in rec)

    rc, _, text, _ = run_cli("validate", str(ws))
    assert "1 个重复的 uscc" in text and f"{code}：第 3、8 行" in text
    assert "1 duplicate uscc in entities; rejected because of it: 3 records" in text


def test_duplicate_rule_stays_order_independent(tmp_path: Path) -> None:
    from tiered.workspace import load_workspace

    a = load_workspace(_ws_with_duplicate(tmp_path)[0]).report
    b = load_workspace(_ws_with_duplicate(tmp_path, reverse=True)[0]).report
    assert a.counts == b.counts
    assert a.counts["entities"] == {"rows": 7, "accepted": 5, "rejected": 2}
    assert [d["value"] for d in a.summary["duplicates"]] == [
        d["value"] for d in b.summary["duplicates"]
    ]


def test_unknown_entity_is_not_called_rejected(tmp_path: Path) -> None:
    tables = small_tables()
    rec = tables["records"].copy()
    rec.loc[0, "uscc"] = "91630202MA00000000"  # not in the register at all
    tables["records"] = rec
    rc, out, _, _ = run_cli("validate", str(write_tables(tmp_path / "ws", tables)), "--json")
    err = [e for e in out["errors"] if e["table"] == "records"]
    assert len(err) == 1 and "unknown in entities" in err[0]["message"]
    assert "problem" not in err[0] and out["cascade"] == []
