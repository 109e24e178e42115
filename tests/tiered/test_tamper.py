"""Tampering through the file system with what a draw reads (issue #11).

Each case used to shield an entity from the next draw (or forge history) without `verify` or
`audit` failing; now the draw refuses naming the file, the cache cannot be steered, a forged
pending operation is refused, and a rewritten history is caught against a published head.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tiered.draws.draw import run_draw
from tiered.draws.verify import verify_draw
from tiered.errors import UsageError
from tiered.files import sha256_file, write_csv_bom
from tiered.ledger import chain as ledger
from tiered.ledger import staged
from tiered.ledger.audit import audit
from tiered.workspace import load_workspace


def _list(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "inspection_list.csv", dtype=str, encoding="utf-8-sig")


def test_hand_made_earlier_list_stops_the_draw(demo_ws: Path) -> None:
    """Before: a list with no manifest and no entry put its entities into cooldown."""
    ent = pd.read_csv(demo_ws / "entities.csv", dtype=str)
    fake = demo_ws / "out/draws/2026-10"
    fake.mkdir(parents=True)
    write_csv_bom(
        ent[["uscc"]].head(50).assign(inspectors="HD0001;HD0002"), fake / "inspection_list.csv"
    )
    with pytest.raises(UsageError, match="not recorded in the ledger") as exc:
        run_draw(demo_ws, "2026-11", "s")
    assert "2026-10/inspection_list.csv" in str(exc.value)


def test_edited_earlier_list_stops_the_draw(demo_ws: Path) -> None:
    """Before: the next draw used an edited earlier list without a warning."""
    first = run_draw(demo_ws, "2026-10", "s").out_dir
    lst = _list(first)
    lst.loc[0, "uscc"] = pd.read_csv(demo_ws / "entities.csv", dtype=str)["uscc"].iloc[-1]
    write_csv_bom(lst, first / "inspection_list.csv")
    with pytest.raises(UsageError, match="changed after ledger entry") as exc:
        run_draw(demo_ws, "2026-11", "s")
    assert "inspection_list.csv" in str(exc.value)


def test_unledgered_results_file_is_not_history(demo_ws: Path) -> None:
    """Before: an `out/results/zz.csv` with a fake clean inspection was read as history."""
    ent = pd.read_csv(demo_ws / "entities.csv", dtype=str)
    (demo_ws / "out/results").mkdir(parents=True)
    pd.DataFrame({"uscc": ent["uscc"].head(1), "date": "2026-10-03", "found_problem": "否"}).to_csv(
        demo_ws / "out/results/zz.csv", index=False
    )
    with pytest.raises(UsageError, match="not recorded in the ledger") as exc:
        load_workspace(demo_ws)
    assert "zz.csv" in str(exc.value)


def _cache_entities(ws: Path) -> Path:
    [path] = (ws / "out/cache").glob("*/entities.parquet")
    return path


def test_edited_cache_changes_nothing(demo_ws: Path) -> None:
    """Before: an entity marked deregistered in the cache left the frame; verify passed."""
    ws = load_workspace(demo_ws)
    victim = ws.tables["entities"]["uscc"].iloc[0]
    path = _cache_entities(demo_ws)
    df = pd.read_parquet(path)
    df.loc[df["uscc"] == victim, "status"] = "deregistered"
    df.to_parquet(path, index=False)
    again = load_workspace(demo_ws)
    assert (again.tables["entities"].set_index("uscc").at[victim, "status"]) == "active"


def test_forged_cache_with_matching_digests_is_caught_by_verify(demo_ws: Path) -> None:
    """Someone who also rewrites the cache's digests can steer a draw; verify, which reads
    the input tables afresh, then says the workspace differs (exit 1)."""
    load_workspace(demo_ws)
    path = _cache_entities(demo_ws)
    df = pd.read_parquet(path)
    df["status"] = ["deregistered" if i % 2 else s for i, s in enumerate(df["status"])]
    df.to_parquet(path, index=False)
    report = path.parent / "report.json"
    meta = json.loads(report.read_text(encoding="utf-8"))
    meta["sha256"][path.name] = sha256_file(path)
    report.write_text(json.dumps(meta), encoding="utf-8")
    folder = run_draw(demo_ws, "2026-11", "s").out_dir
    res = verify_draw(folder, demo_ws)
    assert not res.ok and res.workspace_changed


def test_forged_pending_operation_is_refused(demo_ws: Path) -> None:
    """Before: a hand-written out/.pending/*/op.json was finished and ledgered under another
    user's name by the next command."""
    op = "e" * 32
    opdir = demo_ws / "out/.pending" / op
    (opdir / "files/out/results").mkdir(parents=True)
    data = b"uscc,date,found_problem\n"
    (opdir / "files/out/results/2026-10.csv").write_bytes(data)
    desc = {
        "op": op,
        "kind": "results_import",
        "payload": {"month": "2026-10"},
        "actor": "director-zhang",
        "files": [{"path": "out/results/2026-10.csv", "sha256": hashlib.sha256(data).hexdigest()}],
    }
    (opdir / "op.json").write_bytes(ledger.canonical(desc))
    ledger.append(demo_ws, "config_change", {})  # the ledger exists
    assert staged.recover(demo_ws) == []
    assert not (demo_ws / "out/results/2026-10.csv").exists()
    assert all(e.actor != "director-zhang" for e in ledger.entries(demo_ws))
    rep = audit(demo_ws)
    assert not rep.ok and any(".refused-" in (p.path or "") for p in rep.problems)


def test_verify_refuses_a_manifest_the_ledger_never_recorded(demo_ws: Path, tmp_path: Path) -> None:
    folder = run_draw(demo_ws, "2026-11", "s").out_dir
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    m = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    m["seed"] = "another seed"  # a forged manifest (and it would recompute another list)
    (copy / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    res = verify_draw(copy, demo_ws)
    assert not res.ok and any("ledger" in d for d in res.differences)
    assert verify_draw(folder, demo_ws).ok


def _rewrite_history(ws: Path, seq: int) -> None:
    """Change entry `seq` and recompute every later hash and the head: audit alone passes."""
    con = sqlite3.connect(ws / "out/ledger.sqlite", isolation_level=None)
    rows = con.execute("SELECT * FROM entries ORDER BY seq").fetchall()
    prev = ledger.GENESIS
    for s, t, actor, kind, payload, files, _, _ in rows:
        if s == seq:
            actor = "someone-else"
        h = ledger.entry_hash(s, t, actor, kind, json.loads(payload), json.loads(files), prev)
        con.execute(
            "UPDATE entries SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (actor, prev, h, s),
        )
        prev = h
    con.close()
    head = ledger.canonical({"entries": rows[-1][0], "hash": prev}) + b"\n"
    (ws / "out/ledger.head").write_bytes(head)


def test_published_ledger_head_catches_a_rewritten_history(demo_ws: Path) -> None:
    """Before: with the chain and ledger.head recomputed consistently, audit passed."""
    run_draw(demo_ws, "2026-10", "a")
    nov = run_draw(demo_ws, "2026-11", "b")
    anchor = nov.manifest["ledger_head"]["hash"]
    assert anchor == ledger.entries(demo_ws)[-2].hash  # the head just before Nov's entry
    public = json.loads((nov.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert public["ledger_head"]["hash"] == anchor
    assert audit(demo_ws, heads=[anchor]).ok
    _rewrite_history(demo_ws, 1)
    assert audit(demo_ws).ok  # the rewrite is consistent in itself
    rep = audit(demo_ws, heads=[anchor])
    assert not rep.ok and "rewritten" in rep.problems[0].message
    assert not audit(demo_ws, heads=[anchor[:16]]).ok  # the short form `audit` prints
