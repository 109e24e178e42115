"""`import_results`: validation, drawn-only, dates, idempotence, the ledger, and the loader."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import make_uscc
from tests.tiered.draw_fixture import MONTH, drawn_ws
from tiered.errors import UsageError
from tiered.ledger import chain as ledger
from tiered.results import import_results, read_results
from tiered.workspace import load_workspace

TODAY = dt.date(2026, 6, 20)


def _results(usccs: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "统一社会信用代码": usccs[:3],
            "检查日期": ["2026-05-12", "2026/5/20", "2026年6月3日"],
            "是否发现问题": ["是", "否", "1"],
            "检查结果": ["发现问题，已责令整改", "未发现问题", '=HYPERLINK("x")'],
            "抽查事项": ["食品经营许可", "营业执照", "广告发布"],
        }
    )


def test_results_import_appends_to_history(tmp_path: Path) -> None:
    ws, usccs = drawn_ws(tmp_path)
    original = (ws / "inspections.csv").read_bytes()
    src = tmp_path / "results.csv"
    _results(usccs).to_csv(src, index=False, encoding="gbk")
    s = import_results(ws, MONTH, src, actor="clerk1", today=TODAY)
    assert (s.rows, s.accepted, s.added, s.unchanged, s.rejected) == (3, 3, 3, 0, 0)
    assert s.exit_code == 0
    out = read_results(ws / "out/results/2026-05.csv")
    assert list(out["date"]) == ["2026-05-12", "2026-05-20", "2026-06-03"]
    assert list(out["found_problem"]) == ["true", "false", "true"]
    assert set(out["inspectors"]) == {"HD0001;HD0002"}  # from the draw
    assert out["result"][2].startswith("'=")  # formula-escaped on disk
    assert (ws / "inspections.csv").read_bytes() == original  # never rewritten
    last = ledger.entries(ws)[-1]
    assert (last.kind, last.actor, last.seq) == ("results_import", "clerk1", s.ledger_seq)
    assert {f["path"] for f in last.files} == {
        "out/results/2026-05.csv",
        "out/rejected/results-2026-05.csv",
    }
    assert last.payload["added"] == 3 and last.payload["source"] == "results.csv"
    rep = ledger.audit(ws)
    assert rep.ok and not rep.warnings, rep.lines()
    # the workspace loader reads the imported results as inspections
    insp = load_workspace(ws, today=TODAY).tables["inspections"]
    assert len(insp) == 2 + 3
    assert insp["date"].max() == pd.Timestamp("2026-06-03")


def test_results_import_is_idempotent(tmp_path: Path) -> None:
    ws, usccs = drawn_ws(tmp_path)
    src = tmp_path / "results.xlsx"
    # openpyxl would store '=HYPERLINK(...)' as a formula without a value, which is refused
    plain = _results(usccs)
    plain["检查结果"] = plain["检查结果"].str.lstrip("=")
    plain.to_excel(src, index=False)
    import_results(ws, MONTH, src, today=TODAY)
    before = (ws / "out/results/2026-05.csv").read_bytes()
    s = import_results(ws, MONTH, src, today=TODAY)
    assert (s.added, s.unchanged, s.rejected) == (0, 3, 0)
    assert (ws / "out/results/2026-05.csv").read_bytes() == before
    # a file with one old and one new row adds only the new one
    more = pd.DataFrame(
        {
            "uscc": [usccs[0], usccs[3]],
            "date": ["2026-05-12", "2026-05-25"],
            "found_problem": ["true", "false"],
            "result": ["发现问题，已责令整改", "未发现问题"],
            "item": ["食品经营许可", "营业执照"],
        }
    )
    more.to_csv(tmp_path / "more.csv", index=False)
    s = import_results(ws, MONTH, tmp_path / "more.csv", today=TODAY)
    assert (s.added, s.unchanged) == (1, 1)
    assert len(read_results(ws / "out/results/2026-05.csv")) == 4
    assert ledger.audit(ws).ok


def test_results_import_rejects_with_row_and_reason(tmp_path: Path) -> None:
    ws, usccs = drawn_ws(tmp_path, n=3)
    stranger = usccs[0][:-1] + "X"  # not drawn (and not even a valid code: still "not drawn")
    rows = pd.DataFrame(
        {
            "uscc": [usccs[0], make_uscc(5), usccs[1], usccs[2], usccs[2], usccs[0], stranger],
            "date": [
                "2026-05-03",
                "2026-05-03",
                "2026-04-30",
                "2026-07-01",
                "2026-05-04",
                "2026-05-03",
                "2026-05-05",
            ],
            "found_problem": ["false", "false", "false", "false", "maybe", "true", "false"],
            "item": ["营业执照"] * 7,
        }
    )
    rows.to_csv(tmp_path / "r.csv", index=False)
    s = import_results(ws, MONTH, tmp_path / "r.csv", today=TODAY)
    assert (s.rows, s.added, s.rejected) == (7, 1, 6)
    assert s.exit_code == 1
    rej = pd.read_csv(ws / "out/rejected/results-2026-05.csv", dtype=str, encoding="utf-8-sig")
    reasons = dict(zip(rej["row"].astype(int), rej["reason"], strict=True))
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]  # file rows: header is row 1
    assert "不在 2026-05 的抽查名单中" in reasons[3]
    assert "早于 2026-05" in reasons[4]
    assert "未来" in reasons[5]
    assert "是/否" in reasons[6]
    assert "不一致" in reasons[7]  # same entity, date, item as row 2 but another outcome
    assert "抽查名单" in reasons[8]


def test_results_import_needs_a_draw_and_a_month(tmp_path: Path) -> None:
    ws, usccs = drawn_ws(tmp_path)
    src = tmp_path / "r.csv"
    _results(usccs).to_csv(src, index=False)
    with pytest.raises(UsageError, match="tiered draw"):
        import_results(ws, "2026-04", src, today=TODAY)
    with pytest.raises(UsageError, match="YYYY-MM"):
        import_results(ws, "2026-13", src, today=TODAY)
    with pytest.raises(UsageError, match="not found"):
        import_results(ws, MONTH, tmp_path / "missing.csv", today=TODAY)
    pd.DataFrame({"uscc": usccs[:1]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(UsageError, match="date"):
        import_results(ws, MONTH, tmp_path / "bad.csv", today=TODAY)
    _results(usccs).head(0).to_csv(tmp_path / "empty.csv", index=False)  # header only
    with pytest.raises(UsageError, match="no rows"):
        import_results(ws, MONTH, tmp_path / "empty.csv", today=TODAY)
    assert not [e for e in ledger.entries(ws) if e.kind == "results_import"]
