"""The ledger: hash chain, concurrent appends from real processes, and each kind of tampering."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tiered.errors import UsageError
from tiered.ledger import chain as ledger
from tiered.ledger import staged

APPENDER = """
import sys
from tiered.ledger.chain import append
ws, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    append(ws, "score_run", {"proc": tag, "i": i}, actor="proc-" + tag)
"""


def _ws_with_file(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "out" / "publish").mkdir(parents=True)
    (ws / "out" / "publish" / "2026-05.csv").write_bytes(b"a,b\r\n1,2\r\n")
    return ws


def _three_entries(ws: Path) -> None:
    ledger.append(ws, "config_change", {"key": "tiers"})
    ledger.append(ws, "publication", {"month": "2026-05"}, files=["out/publish/2026-05.csv"])
    ledger.append(ws, "score_run", {"as_of": "2026-06-01"})


def test_ledger_append_builds_chain(tmp_path: Path) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    es = ledger.entries(ws)
    assert [e.seq for e in es] == [1, 2, 3]
    assert es[0].prev_hash == ledger.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(es, es[1:], strict=False))
    assert es[1].files[0]["path"] == "out/publish/2026-05.csv"
    assert es[0].actor  # the OS user
    rep = ledger.audit(ws)
    assert rep.ok and rep.exit_code == 0 and rep.entries == 3
    assert rep.head_hash == es[-1].hash
    assert json.loads((ws / ledger.HEAD_NAME).read_text()) == {"entries": 3, "hash": es[-1].hash}
    assert (ws / ledger.DB_NAME).exists()
    con = sqlite3.connect(ws / ledger.DB_NAME)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_ledger_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    procs = [
        subprocess.Popen([sys.executable, "-c", APPENDER, str(ws), str(k), "25"]) for k in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    es = ledger.entries(ws)
    assert [e.seq for e in es] == list(range(1, 101))
    assert sorted((e.payload["proc"], e.payload["i"]) for e in es) == sorted(
        (str(k), i) for k in range(4) for i in range(25)
    )
    rep = ledger.audit(ws)
    assert rep.ok, rep.lines()
    assert not rep.warnings


def test_ledger_audit_catches_edited_file(tmp_path: Path) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    (ws / "out" / "publish" / "2026-05.csv").write_bytes(b"a,b\r\n1,3\r\n")
    rep = ledger.audit(ws)
    assert rep.exit_code == 1
    [p] = rep.problems
    assert p.seq == 2 and p.kind == "publication" and p.path == "out/publish/2026-05.csv"
    assert "被改动" in p.message


def test_ledger_audit_catches_missing_file(tmp_path: Path) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    (ws / "out" / "publish" / "2026-05.csv").unlink()
    rep = ledger.audit(ws)
    assert not rep.ok and "不存在" in rep.problems[0].message


def _sql(ws: Path, stmt: str, *args: object) -> None:
    con = sqlite3.connect(ws / ledger.DB_NAME)
    con.execute(stmt, args)
    con.commit()
    con.close()


def test_ledger_audit_catches_edited_row(tmp_path: Path) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    _sql(ws, "UPDATE entries SET payload = ? WHERE seq = 2", '{"month":"2026-04"}')
    rep = ledger.audit(ws)
    assert rep.exit_code == 1
    assert [(p.seq, p.kind) for p in rep.problems] == [(2, "publication")]
    assert "被修改" in rep.problems[0].message


def test_ledger_audit_catches_edited_row_with_recomputed_hash(tmp_path: Path) -> None:
    """A forger who also fixes the row's own hash still breaks the next entry's link."""
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    e = ledger.entries(ws)[0]
    forged = ledger.entry_hash(
        1, e.time, "someone-else", e.kind, e.payload, list(e.files), e.prev_hash
    )
    _sql(ws, "UPDATE entries SET actor = 'someone-else', hash = ? WHERE seq = 1", forged)
    rep = ledger.audit(ws)
    assert not rep.ok
    assert any(p.seq == 2 and "上一条" in p.message for p in rep.problems)


@pytest.mark.parametrize("seq", [1, 2, 3])  # first, middle, last
def test_ledger_audit_catches_deleted_entry(tmp_path: Path, seq: int) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    _sql(ws, "DELETE FROM entries WHERE seq = ?", seq)
    rep = ledger.audit(ws)
    assert rep.exit_code == 1
    assert rep.problems[0].seq == seq and "删除" in rep.problems[0].message


def test_ledger_audit_catches_dropped_table(tmp_path: Path) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    _sql(ws, "DROP TABLE entries")
    assert not ledger.audit(ws).ok


def test_ledger_audit_catches_deleted_database(tmp_path: Path) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    for suffix in ("", "-wal", "-shm"):
        Path(str(ws / ledger.DB_NAME) + suffix).unlink(missing_ok=True)
    rep = ledger.audit(ws)
    assert not rep.ok


def test_ledger_audit_warns_about_unledgered_artefact(tmp_path: Path) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    (ws / "out" / "publish" / "2026-06.csv").write_bytes(b"x")
    rep = ledger.audit(ws)
    assert rep.ok
    assert [w.path for w in rep.warnings] == ["out/publish/2026-06.csv"]


def test_ledger_superseded_file_uses_latest_digest(tmp_path: Path) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    (ws / "out" / "publish" / "2026-05.csv").write_bytes(b"a,b\r\n9,9\r\n")
    ledger.append(ws, "publication", {"month": "2026-05"}, files=["out/publish/2026-05.csv"])
    assert ledger.audit(ws).ok


def test_ledger_commit_files_writes_and_records(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    e = staged.commit_files(
        ws,
        "publication",
        {"month": "2026-05"},
        {"out/publish/x.csv": b"1", "out/publish/x.xlsx": b"2"},
    )
    assert (ws / "out/publish/x.csv").read_bytes() == b"1"
    assert e.payload["month"] == "2026-05" and "op" in e.payload
    assert [f["path"] for f in e.files] == ["out/publish/x.csv", "out/publish/x.xlsx"]
    assert not list((ws / ledger.PENDING_NAME).iterdir())
    rep = ledger.audit(ws)
    assert rep.ok and not rep.warnings


def test_ledger_interrupted_operation_is_completed_once(tmp_path: Path) -> None:
    """Simulate a kill after the files moved but before the entry: recover completes it once."""
    ws = tmp_path / "ws"
    ws.mkdir()
    ledger.append(ws, "config_change", {})
    op = "f" * 32
    opdir = ws / ledger.PENDING_NAME / op
    (opdir / "files" / "out" / "results").mkdir(parents=True)
    (ws / "out" / "results").mkdir(parents=True)
    (ws / "out/results/2026-05.csv").write_bytes(b"new")  # already moved into place
    desc = {
        "op": op,
        "kind": "results_import",
        "payload": {"month": "2026-05"},
        "actor": "t",
        "files": [
            {"path": "out/results/2026-05.csv", "sha256": ledger.hashlib.sha256(b"new").hexdigest()}
        ],
    }
    staged._register(ws, op, ledger.canonical(desc))  # as commit_files does before staging
    (opdir / "op.json").write_bytes(ledger.canonical(desc))
    rep = ledger.audit(ws)
    assert rep.ok and any("中断" in w.message for w in rep.warnings)
    done = staged.recover(ws)
    assert [e.kind for e in done] == ["results_import"]
    assert staged.recover(ws) == []
    assert len(ledger.entries(ws)) == 2
    rep = ledger.audit(ws)
    assert rep.ok and not rep.warnings


@pytest.mark.parametrize("bad", ["not json", '{"entries": 1}'])
def test_ledger_audit_rejects_garbled_head(tmp_path: Path, bad: str) -> None:
    ws = _ws_with_file(tmp_path)
    _three_entries(ws)
    (ws / ledger.HEAD_NAME).write_text(bad)
    assert not ledger.audit(ws).ok


def test_ledger_commit_dir_replaces_a_folder_with_archive(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    e1 = staged.commit_dir(
        ws, "draw", {"month": "2026-05"}, "out/draws/2026-05", {"a.csv": b"1", "notes.txt": b"n"}
    )
    assert (ws / "out/draws/2026-05/a.csv").read_bytes() == b"1"
    assert [f["path"] for f in e1.files] == [
        "out/draws/2026-05/a.csv",
        "out/draws/2026-05/notes.txt",
    ]
    with pytest.raises(UsageError):
        staged.commit_dir(ws, "draw", {}, "out/draws/2026-05", {"a.csv": b"2"})
    e2 = staged.commit_dir(
        ws,
        "draw_replaced",
        {"reason": "名录更新"},
        "out/draws/2026-05",
        {"a.csv": b"2"},
        archive="out/draws/2026-05.replaced-1",
    )
    assert (ws / "out/draws/2026-05/a.csv").read_bytes() == b"2"
    assert (ws / "out/draws/2026-05.replaced-1/a.csv").read_bytes() == b"1"
    assert e2.payload["removed"] == ["out/draws/2026-05/notes.txt"]
    assert {f["path"] for f in e2.files} == {
        "out/draws/2026-05/a.csv",
        "out/draws/2026-05.replaced-1/a.csv",
        "out/draws/2026-05.replaced-1/notes.txt",
    }
    rep = ledger.audit(ws)
    assert rep.ok and not rep.warnings, rep.lines()
    (ws / "out/draws/2026-05.replaced-1/a.csv").write_bytes(b"forged")
    assert not ledger.audit(ws).ok


def test_audit_catches_a_wiped_ledger_and_refuses_a_missing_workspace(tmp_path) -> None:
    from tiered.errors import UsageError
    from tiered.ledger.audit import audit

    ws = tmp_path / "ws"
    staged.commit_files(ws, "publication", {"month": "2026-11"}, {"out/publish/x.csv": b"a,b\n"})
    assert audit(ws).ok
    for name in (
        "out/ledger.sqlite",
        "out/ledger.sqlite-wal",
        "out/ledger.sqlite-shm",
        "out/ledger.head",
    ):
        (ws / name).unlink(missing_ok=True)
    rep = audit(ws)
    assert not rep.ok and "deleted" in rep.problems[0].message
    with pytest.raises(UsageError):
        audit(tmp_path / "nowhere")
