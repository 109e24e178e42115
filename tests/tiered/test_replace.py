"""The replacement protocol: `tiered replace` takes the next entity of the stratum's published
order, ledgers it, the bundle's verifier checks it, results and the publication report carry
it, and the estimates keep to the drawn sample."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.tiered.test_bundle import MONTH, SEED, observe, read
from tests.tiered.test_bundle import base_ws as base_ws  # noqa: F401 (fixture)
from tests.tiered.test_bundle import observer as observer  # noqa: F401 (fixture)
from tiered.draws.bundle import PUBLIC_DIR
from tiered.draws.draw import run_draw
from tiered.draws.replace import MADE_NAME, REASONS, current_list, run_replace
from tiered.draws.verify import verify_draw
from tiered.errors import UsageError
from tiered.ledger import chain as ledger
from tiered.ledger.audit import audit
from tiered.publish.publication import publish
from tiered.results import import_results


@pytest.fixture
def drawn(base_ws: Path, tmp_path: Path) -> Path:  # noqa: F811
    ws = tmp_path / "ws"
    shutil.copytree(base_ws, ws)
    (ws / "config.yaml").write_text(  # a busier month than the default rates give 900 entities
        "sampling:\n  tier_rates: {A: 0.2, B: 0.3, C: 0.5, D: 0.8}\n", encoding="utf-8"
    )
    run_draw(ws, MONTH, SEED)
    return ws


def order_of(draw_dir: Path, stratum: str) -> list[str]:
    rows = [r for r in read(draw_dir / PUBLIC_DIR / "replacements.csv") if r["stratum"] == stratum]
    return [r["uscc"] for r in sorted(rows, key=lambda r: int(r["rank"]))]


def test_five_replacements_follow_the_order_verify_and_are_on_record(
    drawn: Path,
    observer,  # noqa: F811
) -> None:
    d = drawn / "out" / "draws" / MONTH
    listed = read(d / "inspection_list.csv")
    first = listed[0]
    stratum = f"{first['sector']}/{first['tier']}"
    order = order_of(d, stratum)
    # twice in one stratum (the replacement itself is replaced next), then three others
    r1 = run_replace(drawn, first["uscc"], "unreachable", month=MONTH)
    r2 = run_replace(drawn, r1.replacement, "deregistered", month=MONTH)
    assert (r1.replacement, r1.rank, r2.replacement, r2.rank) == (order[0], 1, order[1], 2)
    others = [row for row in listed[1:] if f"{row['sector']}/{row['tier']}" != stratum][:3]
    reasons = ["recusal_leaves_too_few", "duplicate_task", "deregistered"]
    done = [r1, r2]
    for row, reason in zip(others, reasons, strict=True):
        s = f"{row['sector']}/{row['tier']}"
        taken = {r.replacement for r in done if r.stratum == s}
        r = run_replace(drawn, row["uscc"], reason, month=MONTH)
        assert r.replacement == next(u for u in order_of(d, s) if u not in taken)
        assert len(r.inspectors.split(";")) >= 2
        done.append(r)
    assert len(done) == 5
    # the bundle's own verifier and tiered verify both accept the draw with its replacements
    assert observe(d / PUBLIC_DIR, observer) == (0, {"ok": True, "differences": []})
    assert verify_draw(d, drawn).ok
    entries = [e for e in ledger.entries(drawn) if e.kind == "replacement"]
    assert [(e.payload["uscc"], e.payload["replacement"]) for e in entries] == [
        (r.uscc, r.replacement) for r in done
    ]
    assert audit(drawn).ok
    # the replaced stay on the list with their reason; the replacements are on it too
    now = current_list(d)
    assert set(now.loc[now["replaced_reason"] != "", "uscc"]) == {r.uscc for r in done}
    assert set(now.loc[now["replaces"] != "", "uscc"]) == {r.replacement for r in done}
    # results for a replacement are accepted; the unreachable one keeps its result
    results = drawn / "results.csv"
    with open(results, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["uscc", "date", "found_problem", "item", "result"])
        w.writerow(
            [first["uscc"], f"{MONTH}-12", "true", "年报", "通过登记的住所（经营场所）无法联系"]
        )
        w.writerow([r2.replacement, f"{MONTH}-13", "false", "年报", "正常"])
    assert import_results(drawn, MONTH, results, today=dt.date(2026, 2, 1)).rejected == 0
    s = publish(drawn, MONTH, on=dt.date(2026, 1, 20))
    assert [(r["uscc"], r["replacement"], r["reason"]) for r in s.replacements] == [
        (r.uscc, r.replacement, r.reason) for r in done
    ]
    assert s.replacements[0]["result_recorded"] and s.replacements[1]["replacement_result_recorded"]
    pub = [e for e in ledger.entries(drawn) if e.kind == "publication"][-1]
    assert pub.payload["replacements"] == 5


def test_unreachable_without_a_result_is_flagged_in_the_publication(drawn: Path) -> None:
    d = drawn / "out" / "draws" / MONTH
    listed = read(d / "inspection_list.csv")
    r = run_replace(drawn, listed[0]["uscc"], "unreachable", month=MONTH)
    results = drawn / "results.csv"
    results.write_text(f"uscc,date,found_problem\n{r.replacement},{MONTH}-12,false\n", "utf-8")
    import_results(drawn, MONTH, results, today=dt.date(2026, 2, 1))
    s = publish(drawn, MONTH, on=dt.date(2026, 1, 20))
    assert any(r.uscc in w and "unreachable" in w for w in s.warnings)


def test_a_replacement_off_the_published_order_fails_the_verifier(
    drawn: Path,
    observer,  # noqa: F811
) -> None:
    d = drawn / "out" / "draws" / MONTH
    first = read(d / "inspection_list.csv")[0]
    r = run_replace(drawn, first["uscc"], "deregistered", month=MONTH)
    skipped_to = order_of(d, r.stratum)[2]  # rank 3 instead of rank 1
    path = d / PUBLIC_DIR / MADE_NAME
    path.write_bytes(path.read_bytes().replace(r.replacement.encode(), skipped_to.encode()))
    code, out = observe(d / PUBLIC_DIR, observer)
    text = "\n".join(out["differences"])
    assert code == 1 and skipped_to in text and r.replacement in text


def test_replace_refuses_what_the_protocol_does_not_allow(drawn: Path) -> None:
    d = drawn / "out" / "draws" / MONTH
    first = read(d / "inspection_list.csv")[0]["uscc"]
    stranger = next(
        r["uscc"]
        for r in read(d / PUBLIC_DIR / "frame.csv")
        if r["uscc"] not in {x["uscc"] for x in read(d / "inspection_list.csv")}
    )
    with pytest.raises(UsageError, match="reason"):
        run_replace(drawn, first, "too_busy", month=MONTH)
    with pytest.raises(UsageError, match="not on the list"):
        run_replace(drawn, stranger, "deregistered", month=MONTH)
    run_replace(drawn, first, "deregistered", month=MONTH)
    with pytest.raises(UsageError, match="already replaced"):
        run_replace(drawn, first, "deregistered", month=MONTH)
    with pytest.raises(UsageError, match="replacement order"):
        run_replace(drawn, first, "deregistered", month="2030-01")
    assert set(REASONS) >= {"deregistered", "unreachable", "recusal_leaves_too_few"}


def test_estimates_keep_to_the_drawn_sample(drawn: Path) -> None:
    """A replacement's result is published but not weighted: it has no design probability.
    The replaced entity stays in the estimate (its result, or missing at random)."""
    from app_support.model import recorded_results

    d = drawn / "out" / "draws" / MONTH
    first = read(d / "inspection_list.csv")[0]["uscc"]
    r = run_replace(drawn, first, "deregistered", month=MONTH)
    results = drawn / "results.csv"
    results.write_text(f"uscc,date,found_problem\n{r.replacement},{MONTH}-12,true\n", "utf-8")
    import_results(drawn, MONTH, results, today=dt.date(2026, 2, 1))
    rec = recorded_results(drawn)
    assert r.replacement not in set(rec["uscc"])
    row = rec[rec["uscc"] == first]
    assert len(row) == 1 and row["found_problem"].iloc[0] is None


def test_the_cli_lists_the_same_reasons() -> None:
    from tiered.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    action = next(a for a in sub.choices["replace"]._actions if a.dest == "reason")
    assert tuple(action.choices) == tuple(REASONS)
