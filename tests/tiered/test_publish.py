"""`publish`: columns, masking, formula safety, the deadline check, working days, the ledger."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.tiered.draw_fixture import MONTH, drawn_ws
from tiered.errors import UsageError
from tiered.ledger import chain as ledger
from tiered.publish.masking import mask_name, mask_text
from tiered.publish.publication import PUBLIC_COLUMNS, PublishConfig, publish
from tiered.publish.workdays import Calendar
from tiered.results import import_results

CAL = Calendar()  # chinese-calendar's days


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张*丰"),
        ("张三", "张*"),
        ("欧阳小明", "欧**明"),
        ("王", "*"),
        (" 李四 ", "李*"),
    ],
)
def test_publish_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("身份证630102199001011234", "身份证630102********1234"),
        ("证号63010219900101123X。", "证号630102********123X。"),
        ("旧证630102900101123", "旧证630102******123"),
        ("电话13812345678", "电话138****5678"),
        ("电话+86 13812345678", "电话138****5678"),
        ("座机0972-8612345", "座机0972-****45"),
        ("座机（0972）86123456", "座机（0972）****56"),
        ("罚款5000元，文号2026001", "罚款5000元，文号2026001"),  # not personal data
        ("代码91630202MA7ABCDE1X", "代码91630202MA7ABCDE1X"),  # a USCC with letters stays
    ],
)
def test_publish_mask_numbers(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_publish_mask_text_masks_names_inside_text() -> None:
    assert mask_text("乐都区张三丰小吃店", ("张三丰",)) == "乐都区张*丰小吃店"
    assert mask_text("负责人张三丰签字", ("张三丰", "王")) == "负责人张*丰签字"  # 1 char: skipped
    assert mask_text(None, ("张三丰",)) is None


def test_publish_calendar_counts_chinese_working_days() -> None:
    assert CAL.is_workday(dt.date(2026, 2, 14))  # Saturday, make-up working day
    assert not CAL.is_workday(dt.date(2026, 2, 16))  # Spring Festival
    assert not CAL.is_workday(dt.date(2026, 5, 16))  # ordinary Saturday
    # Fri 13 Feb 2026 -> Mon 2 Mar: 14 Feb, 24–27 Feb, 28 Feb (make-up), 2 Mar
    start = [dt.date(2026, 2, 13)]
    assert CAL.count_after(start, dt.date(2026, 3, 2)).tolist() == [7]
    assert CAL.count_after(start, dt.date(2026, 2, 13)).tolist() == [0]
    assert CAL.add(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)  # National Day week
    for n in (1, 5, 20):
        d = dt.date(2026, 4, 30)
        assert CAL.count_after([d], CAL.add(d, n)).tolist() == [n]


def _ws_with_results(tmp_path: Path) -> tuple[Path, list[str]]:
    ws, usccs = drawn_ws(tmp_path)
    rows = pd.DataFrame(
        {
            "uscc": usccs[:3],
            "date": ["2026-05-06", "2026-05-28", "2026-06-10"],
            "found_problem": ["true", "false", "true"],
            "item": ["食品经营许可", "营业执照", "=cmd|' /C calc'!A0"],
            "result": ["发现问题，经营者张三丰（电话13812345678）已整改", None, "+责令改正"],
        }
    )
    rows.to_csv(tmp_path / "r.csv", index=False)
    import_results(ws, MONTH, tmp_path / "r.csv", today=dt.date(2026, 6, 12))
    return ws, usccs


def test_publish_writes_masked_safe_lists(tmp_path: Path) -> None:
    ws, usccs = _ws_with_results(tmp_path)
    s = publish(ws, MONTH, actor="clerk2", on=dt.date(2026, 6, 2))
    assert s.files == ["out/publish/2026-05.csv", "out/publish/2026-05.xlsx"]
    raw = (ws / "out/publish/2026-05.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(ws / "out/publish/2026-05.csv", dtype=str, encoding="utf-8-sig")
    assert tuple(df.columns) == PUBLIC_COLUMNS
    assert list(df["统一社会信用代码"]) == usccs[:3]
    assert df["名称"][0] == "乐都区张*丰小吃店"
    assert df["检查结果"][0] == "发现问题，经营者张*丰（电话138****5678）已整改"
    assert df["检查结果"][1] == "未发现问题"  # derived from found_problem
    assert "张三丰" not in raw.decode("utf-8-sig") and "13812345678" not in raw.decode("utf-8-sig")
    assert df["抽查事项"][2].startswith("'=") and df["检查结果"][2].startswith("'+")
    wb = load_workbook(ws / "out/publish/2026-05.xlsx")
    sheet = wb.active
    assert [c.value for c in sheet[1]] == list(PUBLIC_COLUMNS)
    assert all(
        not str(c.value).startswith(("=", "+", "-", "@"))
        for row in sheet.iter_rows()
        for c in row
        if c.value is not None
    )
    assert sheet.freeze_panes == "A2"
    with zipfile.ZipFile(ws / "out/publish/2026-05.xlsx") as z:
        text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    assert "13812345678" not in text and "张三丰" not in text
    assert s.late == [] and s.exit_code == 0
    e = ledger.entries(ws)[-1]
    assert (e.kind, e.actor, e.payload["rows"]) == ("publication", "clerk2", 3)
    rep = ledger.audit(ws)
    assert rep.ok and not rep.warnings, rep.lines()


def test_publish_flags_late_results(tmp_path: Path) -> None:
    ws, usccs = _ws_with_results(tmp_path)
    # 2026-05-06 + 20 working days (Saturday 9 May is a make-up working day) is due 2 June
    s = publish(ws, MONTH, on=dt.date(2026, 6, 3))
    assert s.exit_code == 1
    assert s.late == [
        {"uscc": usccs[0], "date": "2026-05-06", "working_days": 21, "due": "2026-06-02"}
    ]
    assert publish(ws, MONTH, on=dt.date(2026, 6, 2)).late == []
    tight = PublishConfig(deadline_working_days=5)
    assert len(publish(ws, MONTH, on=dt.date(2026, 6, 11), config=tight).late) == 2
    assert ledger.audit(ws).ok  # re-publishing supersedes the earlier digests


def test_publish_warns_when_holidays_do_not_cover_the_year(tmp_path: Path) -> None:
    ws, _ = _ws_with_results(tmp_path)
    s = publish(ws, MONTH, on=dt.date(2027, 1, 4))
    assert any("2027" in w for w in s.warnings)


def test_publish_needs_results(tmp_path: Path) -> None:
    ws, _ = drawn_ws(tmp_path)
    with pytest.raises(UsageError, match="tiered results"):
        publish(ws, MONTH)


def test_month_results_and_publication_refuse_an_edited_list(tmp_path: Path) -> None:
    """A month's results import and publication rest on the list its draw wrote and on the
    results its imports recorded: one byte changed in the list (or in its manifest, or in the
    stored results) and they refuse, naming the file (as a task's do)."""
    from tiered.ledger.vouch import UnvouchedFile

    ws, usccs = _ws_with_results(tmp_path)
    lst = ws / "out/draws" / MONTH / "inspection_list.csv"
    good = lst.read_bytes()
    lst.write_bytes(good.replace(b"\n", b"\r\n", 1))
    with pytest.raises(UnvouchedFile, match="inspection_list.csv"):
        publish(ws, MONTH, on=dt.date(2026, 6, 2))
    with pytest.raises(UnvouchedFile, match="inspection_list.csv"):
        import_results(ws, MONTH, tmp_path / "r.csv", today=dt.date(2026, 6, 12))
    lst.write_bytes(good)
    manifest = ws / "out/draws" / MONTH / "manifest.json"
    manifest.write_text(manifest.read_text("utf-8") + " ", "utf-8")
    with pytest.raises(UnvouchedFile, match="manifest.json"):
        publish(ws, MONTH, on=dt.date(2026, 6, 2))
    manifest.write_text(manifest.read_text("utf-8")[:-1], "utf-8")
    stored = ws / "out/results" / f"{MONTH}.csv"  # a result edited after its import
    stored.write_bytes(stored.read_bytes().replace("已整改".encode(), "未整改".encode(), 1))
    with pytest.raises(UnvouchedFile, match=f"{MONTH}.csv"):
        publish(ws, MONTH, on=dt.date(2026, 6, 2))
    assert not (ws / "out/publish" / f"{MONTH}.csv").exists()
