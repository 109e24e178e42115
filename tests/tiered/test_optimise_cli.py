"""`tiered optimise` through the real command: the proposal table, its totals against today's
rates, the floor, presets, refusals, and `--apply` writing a ledgered config version that the
next draw uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from tiered.config import load_config
from tiered.ledger import chain as ledger

COLUMNS = {"sector", "tier", "eligible", "current_rate", "proposed_rate", "expected_inspections",
           "expected_problems", "half_width", "source", "problem_rate"}  # fmt: skip


@pytest.fixture(scope="module")
def proposal(demo_ws_session: Path) -> dict:
    code, out, _, err = run_cli(
        "optimise", str(demo_ws_session), "--month", "2026-11", "--budget", "40", "--json"
    )
    assert code == 0, err
    return out


def test_proposal_table_and_totals(proposal: dict) -> None:
    assert proposal["budget"] == {"per_year": 480.0, "per_month": 40.0, "basis": "--budget"}
    rows = proposal["strata"]
    assert rows and COLUMNS <= set(rows[0])
    assert all(r["proposed_rate"] >= proposal["floor"] - 1e-9 for r in rows)
    assert sum(r["expected_inspections"] for r in rows) == pytest.approx(480, rel=1e-6)
    assert {r["source"] for r in rows} == {"model"}  # no random draws recorded yet
    tot = proposal["totals"]
    same = tot["current_at_budget"]
    assert same["inspections_per_year"] == pytest.approx(480, abs=0.5)
    assert tot["proposed"]["expected_problems_per_year"] >= same["expected_problems_per_year"]
    assert tot["gain"] == pytest.approx(
        tot["proposed"]["expected_problems_per_year"] / same["expected_problems_per_year"],
        rel=1e-3,
    )


def test_a_tighter_budget_finds_no_more(proposal: dict, demo_ws_session: Path) -> None:
    code, small, _, _ = run_cli(
        "optimise", str(demo_ws_session), "--month", "2026-11", "--budget", "20", "--json"
    )
    assert code == 0
    found = lambda p: p["totals"]["proposed"]["expected_problems_per_year"]  # noqa: E731
    assert found(small) <= found(proposal)


def test_preset_bands_hold(demo_ws_session: Path) -> None:
    code, out, _, err = run_cli(
        "optimise", str(demo_ws_session), "--month", "2026-11", "--preset", "henan", "--json"
    )
    assert code == 0, err
    low = {"A": 0.01, "B": 0.02, "C": 0.10, "D": 0.30}
    assert all(r["proposed_rate"] >= low[r["tier"]] - 1e-9 for r in out["strata"])


def test_refusals_are_one_line(demo_ws_session: Path) -> None:
    ws = str(demo_ws_session)
    code, out, _, _ = run_cli("optimise", ws, "--month", "2026-11", "--budget", "1", "--json")
    assert code == 2 and "floors" in out["error"]
    code, _, _, err = run_cli("optimise", ws, "--budget", "5", "--budget-share", "0.1")
    assert code == 2 and "not allowed with" in err
    code, out, _, _ = run_cli("optimise", ws, "--month", "2026-11", "--apply", "--json")
    assert code == 2 and "--reason" in out["error"]
    code, out, _, _ = run_cli(
        "optimise", ws, "--month", "2026-11", "--precision", "0.001", "--json"
    )
    assert code == 2 and "needs about" in out["error"]


def test_apply_writes_a_ledgered_config_version(demo_ws: Path) -> None:
    ws = str(demo_ws)
    code, out, _, err = run_cli(
        "optimise", ws, "--month", "2026-11", "--budget", "40", "--apply",
        "--reason", "按优化结果调整比例", "--json",
    )  # fmt: skip
    assert code == 0, err
    entry = [e for e in ledger.entries(demo_ws) if e.kind == "config_change"][-1]
    assert entry.seq == out["applied"]["ledger_seq"]
    assert entry.payload["reason"] == "按优化结果调整比例"
    written = yaml.safe_load((demo_ws / "config.yaml").read_text(encoding="utf-8"))
    rates = written["sampling"]["stratum_rates"]
    assert len(rates) == len(out["strata"])
    cfg = load_config(demo_ws).sampling
    r = out["strata"][0]
    assert cfg.rate(r["sector"], r["tier"]) == pytest.approx(r["proposed_rate"], abs=1e-6)
    assert list((demo_ws / "out" / "config").glob("v001-*.yaml"))
    assert run_cli("audit", ws)[0] == 0
    # the next draw plans with the applied rates
    code, draw, _, err = run_cli("draw", ws, "--month", "2026-11", "--seed", "7", "--json")
    assert code == 0, err
    manifest = json.loads((Path(draw["out"]) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sampling_config"]["stratum_rates"] == rates
