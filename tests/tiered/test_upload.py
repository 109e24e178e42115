"""Issue 17 item 2 and issue 10: an upload is checked before it replaces anything, says what
it would change, refuses (without --force) a change that orphans most of the other tables,
keeps the previous version (ledgered) and can be restored; `update` mode is keyed by uscc."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import make_uscc, run_cli
from tiered import upload
from tiered.layout import Layout
from tiered.ledger import chain as ledger


def _snapshot(ws: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in ws.iterdir() if p.is_file()}


@pytest.fixture
def ws(demo_ws: Path) -> Path:
    return demo_ws


def test_garbage_upload_changes_nothing(ws: Path, tmp_path: Path) -> None:
    before = _snapshot(ws)
    junk = tmp_path / "entities.xlsx"
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_excel(junk, index=False)
    code, out, _, _ = run_cli(
        "upload", str(ws), str(junk), "--table", "entities", "--reason", "x", "--json"
    )
    assert code == 2 and "uscc" in out["error"] and "nothing changed" in out["error"]
    unreadable = tmp_path / "entities.csv"
    unreadable.write_bytes(b"\x00\xff\xfe garbage")
    code, out, _, _ = run_cli(
        "upload", str(ws), str(unreadable), "--table", "entities", "--reason", "x", "--json"
    )
    assert code == 2 and "nothing changed" in out["error"]
    assert _snapshot(ws) == before
    assert not Layout.of(ws).table_versions("entities").exists()
    assert not [e for e in ledger.entries(ws) if e.kind.startswith("table_")]


def test_six_rows_for_the_register_are_refused_then_forced_then_restored(
    ws: Path, tmp_path: Path
) -> None:
    original = (ws / "entities.csv").read_bytes()
    n = len(pd.read_csv(ws / "entities.csv", dtype=str))
    six = tmp_path / "fixed.xlsx"
    pd.read_csv(ws / "entities.csv", dtype=str).head(6).to_excel(six, index=False)
    args = ("upload", str(ws), str(six), "--table", "entities", "--reason", "改正拒收行")

    code, out, _, _ = run_cli(*args, "--dry-run", "--json")
    assert code == 0 and out["applied"] is False
    plan = out["plan"]
    assert (plan["rows_before"], plan["rows_after"]) == (n, 6)
    assert plan["orphans"]["records"]["rows"] > 0.9 * plan["orphans"]["records"]["of"]
    assert (ws / "entities.csv").read_bytes() == original

    code, out, _, _ = run_cli(*args, "--json")
    assert code == 2
    assert f"将以 6 行替换现有 {n:,} 行" in out["error"] and "--force" in out["error"]
    assert "records rows would be orphaned" in out["error"]
    assert (ws / "entities.csv").read_bytes() == original

    code, out, _, _ = run_cli(*args, "--force", "--json")
    assert code == 0, out
    assert not (ws / "entities.csv").exists() and (ws / "entities.xlsx").is_file()
    kept = ws / out["previous_copy"]
    assert kept.read_bytes() == original
    entry = ledger.entries(ws)[-1]
    assert entry.kind == "table_replace" and entry.payload["forced"] is True
    assert entry.files[0]["path"] == out["previous_copy"]  # the kept copy is ledgered
    assert run_cli("audit", str(ws), "--json")[0] == 0

    code, out, _, _ = run_cli("restore", str(ws), "--table", "entities", "--list", "--json")
    assert [v["file"] for v in out["versions"]] == ["entities.csv"]
    code, out, _, _ = run_cli(
        "restore", str(ws), "--table", "entities", "--reason", "误传", "--json"
    )
    assert code == 0, out
    assert (ws / "entities.csv").read_bytes() == original and not (ws / "entities.xlsx").exists()
    assert ledger.entries(ws)[-1].kind == "table_restore"
    assert len(upload.versions(ws, "entities")) == 2  # the six-row version is kept too
    assert run_cli("audit", str(ws), "--json")[0] == 0


def test_update_mode_is_keyed_by_uscc(ws: Path, tmp_path: Path) -> None:
    ent = pd.read_csv(ws / "entities.csv", dtype=str)
    changed = ent.head(1).assign(name="改名后的商店")
    new = ent.head(1).assign(uscc=make_uscc(999_999, "630202", "92"), name="新开的商店")
    f = tmp_path / "two.csv"
    pd.concat([changed, new, ent.iloc[[1]]]).to_csv(f, index=False)
    plan, entry = upload.upload(ws, "entities", f, "update", "年度更新")
    assert (plan.added, plan.updated, plan.unchanged) == (1, 1, 1)
    assert plan.rows_after == len(ent) + 1 and not plan.orphans and not plan.needs_force
    after = pd.read_csv(ws / "entities.csv", dtype=str).set_index("uscc")
    assert len(after) == len(ent) + 1
    assert after.loc[ent["uscc"].iloc[0], "name"] == "改名后的商店"
    assert after.loc[new["uscc"].iloc[0], "name"] == "新开的商店"
    assert entry.payload["mode"] == "update"
