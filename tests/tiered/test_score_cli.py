"""`tiered score` end to end on a small demo workspace."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import run_cli
from tiered.ledger import chain as ledger


def test_score_writes_contract_columns_and_ledgers(demo_ws: Path) -> None:
    code, out, _, err = run_cli("score", str(demo_ws), "--as-of", "2026-11-01", "--json")
    assert code == 0, err
    path = Path(out["out"])
    assert path == demo_ws / "out" / "scores" / "2026-11-01.csv"
    df = pd.read_csv(path, dtype={"uscc": str})
    assert list(df.columns[:5]) == ["uscc", "score", "tier", "risk", "reasons"]
    assert {"basic", "dynamic", "supervision", "related", "social"} <= set(df.columns)
    ents = pd.read_csv(demo_ws / "entities.csv", dtype=str)
    assert len(df) == (ents["status"] == "active").sum() == out["entities"]
    assert df["score"].between(0, 1000).all() and df["risk"].between(0, 1).all()
    assert set(df["tier"]) <= {"A", "B", "C", "D"}
    assert abs(sum(out["tier_mix"].values()) - 1) < 1e-3  # shares are rounded to 4 places
    kinds = [e.kind for e in ledger.entries(demo_ws)]
    assert kinds == ["config_change", "score_run"]  # the config in use is recorded first
    assert ledger.audit(demo_ws).ok


def test_score_is_deterministic_and_ignores_later_rows(demo_ws: Path, tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    assert run_cli("score", str(demo_ws), "--as-of", "2025-06-01", "--out", str(a))[0] == 0
    recs = pd.read_csv(demo_ws / "records.csv", dtype=str)
    recs[recs["date"] < "2025-06-01"].to_csv(demo_ws / "records.csv", index=False)
    assert run_cli("score", str(demo_ws), "--as-of", "2025-06-01", "--out", str(b))[0] == 0
    assert a.read_bytes() == b.read_bytes()


def test_score_bad_date_is_usage_error(demo_ws: Path) -> None:
    code, _, out, err = run_cli("score", str(demo_ws), "--as-of", "next tuesday")
    assert code == 2 and "next tuesday" in err and "Traceback" not in err
