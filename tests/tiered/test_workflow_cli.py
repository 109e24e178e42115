"""The whole monthly workflow through the real `tiered` command, as staff would run it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import run_cli
from tiered.ledger import chain as ledger


def test_monthly_workflow_end_to_end(demo_ws: Path, tmp_path: Path) -> None:
    ws = str(demo_ws)
    assert run_cli("validate", ws)[0] == 0
    code, score, _, err = run_cli("score", ws, "--as-of", "2026-11-01", "--json")
    assert code == 0, err
    code, draw, _, err = run_cli("draw", ws, "--month", "2026-11", "--seed", "0427 5519", "--json")
    assert code == 0, err
    folder = Path(draw["out"])
    listed = pd.read_csv(folder / "inspection_list.csv", dtype=str, encoding="utf-8-sig")
    assert len(listed) == draw["drawn"] > 0
    assert (listed["inspectors"].str.split(";").str.len() >= 2).all()
    # the draw's tiers are the imported (SAMR) ones where the demo has them, else those of the
    # score run as of the month's first day
    scores = pd.read_csv(score["out"], dtype=str, encoding="utf-8-sig").set_index("uscc")
    given = pd.read_csv(demo_ws / "tiers.csv", dtype=str).set_index("uscc")["tier"]
    expected = scores["tier"].where(~scores.index.isin(given.index), given.reindex(scores.index))
    assert (expected.loc[listed["uscc"]].to_numpy() == listed["tier"].to_numpy()).all()
    assert listed["uscc"].isin(given.index).any()

    assert run_cli("verify", str(folder), "--workspace", ws)[0] == 0
    again = run_cli("draw", ws, "--month", "2026-11", "--seed", "x")
    assert again[0] == 2 and "--replace" in again[3]

    results = (
        listed[["uscc"]]
        .head(6)
        .assign(
            date="2026-11-05",
            found_problem=["是", "否"] * 3,
            item="营业执照检查",
            result="未发现问题",
        )
    )
    results.loc[0, "result"] = '=HYPERLINK("http://x")'
    f = tmp_path / "results.csv"
    results.to_csv(f, index=False, encoding="gbk")
    code, imp, _, err = run_cli("results", ws, "--month", "2026-11", str(f), "--json")
    assert code == 0 and imp["added"] == 6, err
    code, pub, _, err = run_cli("publish", ws, "--month", "2026-11", "--json")
    assert code in (0, 1), err  # 1 only when a result is past its publication deadline
    public = pd.read_csv(demo_ws / "out" / "publish" / "2026-11.csv", dtype=str)
    assert list(public.columns) == ["名称", "统一社会信用代码", "抽查事项", "检查日期", "检查结果"]
    assert not public["检查结果"].str.startswith("=").any()  # formula-safe

    # results recorded within the month change nothing the draw depended on
    assert run_cli("verify", str(folder), "--workspace", ws)[0] == 0
    code, audit, _, _ = run_cli("audit", ws, "--json")
    assert code == 0 and audit["ok"], audit
    kinds = [e.kind for e in ledger.entries(demo_ws)]
    assert kinds == [
        "validation",
        "config_change",
        "score_run",
        "draw",
        "results_import",
        "publication",
    ]

    # the imported results are part of the next month's history
    code, nxt, _, _ = run_cli("score", ws, "--as-of", "2026-12-01", "--json")
    assert code == 0
    # tampering with a drawn list is caught by audit and verify
    (folder / "inspection_list.csv").write_bytes(
        (folder / "inspection_list.csv").read_bytes().replace(b"HD", b"XX", 1)
    )
    assert run_cli("audit", ws)[0] == 1
    assert run_cli("verify", str(folder), "--workspace", ws)[0] == 1


def test_draw_tiers_follow_the_configured_basis(demo_ws: Path) -> None:
    config = "model:\n  tier_basis: blend\nimported_tiers: {enabled: false}\n"  # own tiers only
    (demo_ws / "config.yaml").write_text(config, encoding="utf-8")
    ws = str(demo_ws)
    code, score, _, err = run_cli("score", ws, "--as-of", "2026-11-01", "--json")
    assert code == 0, err
    code, draw, _, err = run_cli("draw", ws, "--month", "2026-11", "--seed", "7", "--json")
    assert code == 0, err
    listed = pd.read_csv(Path(draw["out"]) / "inspection_list.csv", dtype=str)
    scores = pd.read_csv(score["out"], dtype=str).set_index("uscc")
    assert (scores.loc[listed["uscc"], "tier"].to_numpy() == listed["tier"].to_numpy()).all()


def test_old_draws_verify_after_config_changes_and_backdated_draws(demo_ws: Path) -> None:
    ws = str(demo_ws)
    code, draw, _, err = run_cli(
        "draw", ws, "--month", "2026-11", "--seed", "3 1 4 1 5 9", "--json"
    )
    assert code == 0, err
    folder = draw["out"]
    # an analyst saves new thresholds: the November list was drawn under the old ones
    (demo_ws / "config.yaml").write_text("scoring:\n  thresholds: {a: 760}\n", encoding="utf-8")
    code, _, out, err = run_cli("verify", folder, "--workspace", ws)
    assert code == 0, out + err
    # a list drawn afterwards for an earlier month cannot have shaped November's
    assert run_cli("draw", ws, "--month", "2026-10", "--seed", "9")[0] == 0
    code, _, out, err = run_cli("verify", folder, "--workspace", ws)
    assert code == 0, out + err


def test_a_far_month_draws_with_a_warning(demo_ws: Path) -> None:
    code, out, _, err = run_cli("draw", str(demo_ws), "--month", "2010-01", "--seed", "1", "--json")
    assert code == 0, err
    assert "check the month" in out["warnings"][0]
