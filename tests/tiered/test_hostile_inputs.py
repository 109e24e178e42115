"""Hostile and odd input files: bounded, refused (exit 2, naming file, row, column) or read right.

Every hostile file is generated here (issue #11); none is stored in the repository.
"""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import psutil
import pytest
from openpyxl import Workbook

from tables.check import parse_dates, parse_numbers, validate_tables
from tests.conftest import ROOT, run_cli, small_tables, write_tables
from tiered.config import Config
from tiered.files import xlsx_bytes
from tiered.workspace import load_workspace, read_table, rules_for


def _peak_rss(args: list[str], timeout: float = 120) -> tuple[int, float, str]:
    """Run `tiered ARGS`; (exit code, peak RSS in MB, stderr), sampling memory as it runs."""
    p = subprocess.Popen(
        [sys.executable, "-m", "tiered", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc, peak, start = psutil.Process(p.pid), 0, time.monotonic()
    while p.poll() is None and time.monotonic() - start < timeout:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    _, err = p.communicate(timeout=timeout)
    return p.returncode, peak / 2**20, err


def test_wide_header_is_refused_quickly_in_bounded_memory(small_ws: Path) -> None:
    """Before: a 1.4 MB CSV with a 200,000-column header died of signal 11 (23 GB RSS)."""
    header = ",".join(f"c{i}" for i in range(200_000))
    (small_ws / "records.csv").write_text(header + "\n" + "," * 199_999 + "\n", encoding="utf-8")
    code, peak, err = _peak_rss(["validate", str(small_ws)])
    assert code == 2, err
    assert "records.csv" in err and "row 1" in err and "1 MB" in err
    assert peak < 400, f"peak RSS {peak:.0f} MB"
    # a shorter header that is still far too wide names its width
    (small_ws / "records.csv").write_text(",".join(f"c{i}" for i in range(1000)) + "\n")
    code, _, _, err = run_cli("validate", str(small_ws))
    assert code == 2 and "1,000 columns" in err, err


def _bomb(path: Path, inflated_mb: int) -> None:
    """An XLSX whose one sheet inflates to `inflated_mb` MB of repeated rows."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 2000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for _ in range(inflated_mb * 2**20 // len(row)):
                f.write(row)


def test_xlsx_zip_bomb_is_refused_from_its_directory(small_ws: Path) -> None:
    """Before: a 5.2 MB XLSX inflating to 1.3 GB ran past 25 s."""
    (small_ws / "records.csv").unlink()
    _bomb(small_ws / "records.xlsx", 150)
    assert (small_ws / "records.xlsx").stat().st_size < 2 * 2**20
    started = time.monotonic()
    code, peak, err = _peak_rss(["validate", str(small_ws)])
    assert code == 2, err
    assert "records.xlsx" in err and "zip bomb" in err
    assert time.monotonic() - started < 30 and peak < 400


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)


def _entities(n: int) -> pd.DataFrame:
    """`n` valid entity rows (the shared small table, repeated with fresh codes)."""
    from tests.conftest import make_uscc

    base = small_tables()["entities"]
    ent = pd.concat([base] * (n // len(base) + 1), ignore_index=True).head(n).copy()
    ent["uscc"] = [make_uscc(i) for i in range(n)]
    return ent


def _entity_rows(n: int, start: int = 0) -> list[list[object]]:
    ent = _entities(start + n).iloc[start:]
    return [list(ent.columns)] + ent.astype(object).values.tolist()


def test_xlsx_with_data_on_two_sheets_is_refused_naming_them(small_ws: Path) -> None:
    """Before: the second sheet was ignored silently (its entities' records then rejected)."""
    (small_ws / "entities.csv").unlink()
    _xlsx(small_ws / "entities.xlsx", {"乐都区": _entity_rows(3), "平安区": _entity_rows(3, 3)})
    code, _, _, err = run_cli("validate", str(small_ws))
    assert code == 2 and "entities.xlsx" in err and "乐都区" in err and "平安区" in err, err


def test_xlsx_empty_extra_sheet_is_fine(tmp_path: Path) -> None:
    _xlsx(tmp_path / "entities.xlsx", {"名录": _entity_rows(3), "说明": []})
    assert len(read_table(tmp_path / "entities.xlsx", "entities")) == 3


def test_xlsx_formula_without_cached_value_is_refused_naming_the_cell(tmp_path: Path) -> None:
    """Before: the formula cell became a blank silently. openpyxl writes no cached values."""
    rows = _entity_rows(2)
    rows[2][6] = "=G2*2"  # registered_capital of the second entity
    _xlsx(tmp_path / "entities.xlsx", {"名录": rows})
    with pytest.raises(Exception, match="G3") as exc:
        read_table(tmp_path / "entities.xlsx", "entities")
    assert "entities.xlsx" in str(exc.value)


def test_excel_serial_dates_with_a_time_part_and_bare_years() -> None:
    """45292.75 is 2024-01-01 18:00 (was rejected as "in the future"); 2024 is no date (was
    read as the serial 1905-07-16 and accepted)."""
    parsed, bad = parse_dates(pd.Series(["45292.75", "45292", "2024", "2024-01-05"]))
    assert list(bad) == [False, False, True, False]
    assert parsed[0] == pd.Timestamp("2024-01-01") == parsed[1]


def test_infinite_and_nan_numbers_are_rejected() -> None:
    """Before: `inf` registered capital was accepted."""
    parsed, bad = parse_numbers(pd.Series(["inf", "-inf", "nan", "1,200.5", None]))
    assert list(bad) == [True, True, True, False, False]
    assert parsed[3] == 1200.5


def test_control_character_is_rejected_at_validation_not_an_internal_error(
    small_ws: Path,
) -> None:
    """Before: a \\x0b in a name passed validation and the draw died (IllegalCharacterError)."""
    ent = pd.read_csv(small_ws / "entities.csv", dtype=str)
    ent.loc[2, "name"] = "乐都区\x0b测试商店"
    ent.to_csv(small_ws / "entities.csv", index=False)
    code, out, _, err = run_cli("validate", str(small_ws), "--json")
    assert code == 1, err
    [e] = [e for e in out["errors"] if e["table"] == "entities"]
    assert (e["row"], e["column"]) == (4, "name") and "控制字符" in e["message"]
    # and an export never fails on one (defence in depth)
    xlsx_bytes(pd.DataFrame({"name": ["a\x0bb"]}))


def test_duplicate_header_is_refused(small_ws: Path) -> None:
    """Before: `name,name` was accepted (pandas renamed the second to name.1)."""
    text = (small_ws / "inspectors.csv").read_text(encoding="utf-8").splitlines()
    text[0] = text[0].replace("department", "name")
    (small_ws / "inspectors.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    code, _, _, err = run_cli("validate", str(small_ws))
    assert code == 2 and "inspectors.csv" in err and "'name'" in err, err


def test_mixed_encoding_csv_names_the_line(tmp_path: Path) -> None:
    """Before: "unknown text encoding" without the line."""
    rows = _entities(120)
    path = tmp_path / "entities.csv"
    lines = rows.to_csv(index=False).splitlines()
    data = b"\n".join(
        line.encode("gbk") if i == 100 else line.encode("utf-8") for i, line in enumerate(lines)
    )
    path.write_bytes(data + b"\n")
    with pytest.raises(Exception, match="101") as exc:
        read_table(path, "entities")
    assert "UTF-8" in str(exc.value)
    # a whole GBK file is still read as GBK
    path.write_bytes(rows.to_csv(index=False).encode("gbk"))
    assert len(read_table(path, "entities")) == 120


def test_header_only_entities_table_is_refused_by_the_draw(small_ws: Path) -> None:
    """Before: it "drew" 0 entities and ledgered the month as drawn."""
    header = (small_ws / "entities.csv").read_text(encoding="utf-8").splitlines()[0]
    (small_ws / "entities.csv").write_text(header + "\n", encoding="utf-8")
    for name in ("records", "inspections", "conflicts"):
        (small_ws / f"{name}.csv").unlink()
    code, _, _, err = run_cli("draw", str(small_ws), "--month", "2026-11", "--seed", "1")
    assert code == 2 and "entities.csv" in err and "nothing to draw" in err, err
    assert not (small_ws / "out" / "draws" / "2026-11").exists()


def test_full_width_month_is_the_same_month(demo_ws: Path) -> None:
    """Before: `２０２６-１２` made a second folder and bypassed the redraw rule."""
    ws = str(demo_ws)
    assert run_cli("draw", ws, "--month", "2026-12", "--seed", "1")[0] == 0
    code, _, _, err = run_cli("draw", ws, "--month", "２０２６－１２", "--seed", "2")
    assert code == 2 and "--replace" in err, err
    assert [p.name for p in (demo_ws / "out" / "draws").iterdir()] == ["2026-12"]


def test_inspector_ids_compare_case_insensitively(tmp_path: Path) -> None:
    """Before: a conflict for `hd0001` was rejected as unknown and the inspector assigned."""
    tables = small_tables()
    tables["conflicts"].loc[0, "inspector_id"] = "hd0001"
    ws = write_tables(tmp_path / "ws", tables)
    w = load_workspace(ws)
    assert w.report.counts["conflicts"]["rejected"] == 0
    assert list(w.tables["conflicts"]["inspector_id"]) == ["HD0001"]  # the directory's spelling
    # two spellings of one id in the directory are one id given twice
    tables["inspectors"].loc[2, "inspector_id"] = "hd0002"
    raw = {n: read_table(write_tables(tmp_path / "w2", tables) / f"{n}.csv", n) for n in tables}
    rep = validate_tables(raw, rules_for(Config()))
    assert rep.counts["inspectors"]["rejected"] == 2


def test_draw_with_rejected_input_rows_says_so_and_exits_1(demo_ws: Path) -> None:
    """Before: the draw exited 0 without saying that some input rows had been left out."""
    with open(demo_ws / "conflicts.csv", "a", encoding="utf-8") as f:
        f.write("XX9999,91630202MA0000000X,test\n")
    code, out, _, err = run_cli("draw", str(demo_ws), "--month", "2026-11", "--seed", "1", "--json")
    assert code == 1, err
    assert out["rejected"] >= 1 and out["drawn"] > 0
