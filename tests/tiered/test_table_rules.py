"""Issue 17 items 8 and 9: an end date before the record's own date, and real exports' headers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tables.spec import TABLES, rename_headers
from tests.conftest import run_cli, small_tables, write_tables
from tiered.workspace import load_workspace


def test_ended_on_before_the_records_date_is_a_rejected_row(tmp_path: Path) -> None:
    tables = small_tables()
    tables["records"] = tables["records"].assign(ended_on=["2023-12-31", "2024-04-01"])
    ws = write_tables(tmp_path / "ws", tables)
    code, out, _, _ = run_cli("validate", str(ws), "--json")
    assert code == 1
    errs = [e for e in out["errors"] if e["table"] == "records"]
    assert [(e["row"], e["column"]) for e in errs] == [(2, "ended_on")]
    assert "2023-12-31" in errs[0]["message"] and "before" in errs[0]["message"]
    assert out["tables"]["records"] == {"rows": 2, "accepted": 1, "rejected": 1}
    rejected = pd.read_csv(ws / "out" / "rejected" / "records.csv", dtype=str)
    assert rejected["row"].tolist() == ["2"] and "ended_on" in rejected["reason"].iloc[0]


def _export_spellings() -> dict[str, dict[str, str]]:
    """Headers as national and provincial platform exports write them (none is an English name
    or the label the tool writes itself)."""
    return {
        "entities": {
            "uscc": "社会信用代码",
            "name": "主体名称",
            "sector": "行业领域",
            "region": "所属区域",
            "entity_type": "市场主体类型",
            "registered_on": "成立时间",
            "registered_capital": "注册资本(万元)",
            "status": "经营状态",
            "legal_representative": "负责人",
        },
        "records": {
            "uscc": "统一社会信用代码",
            "kind": "信息类别",
            "date": "作出决定日期",
            "severity": "失信程度",
            "amount": "罚款金额",
            "value": "评价结果",
            "ended_on": "修复日期",
            "source": "决定机关",
        },
        "inspections": {
            "uscc": "信用代码",
            "date": "检查时间",
            "found_problem": "是否存在问题",
            "item": "事项名称",
            "result": "检查结论",
            "inspectors": "执法人员",
        },
        "inspectors": {
            "inspector_id": "执法证件号码",
            "name": "执法人员姓名",
            "sectors": "所属领域",
            "department": "所属单位",
            "region": "所属地区",
            "active": "是否在岗",
        },
        "conflicts": {"inspector_id": "执法证号", "uscc": "统一社会信用代码", "reason": "回避事由"},
    }


def test_gbk_export_with_platform_headers_is_read(tmp_path: Path) -> None:
    spellings = _export_spellings()
    tables = {k: v.rename(columns=spellings[k]) for k, v in small_tables().items()}
    ws = write_tables(tmp_path / "ws", tables, encoding="gbk")
    assert "行业领域".encode("gbk") in (ws / "entities.csv").read_bytes()
    w = load_workspace(ws)
    assert w.report.n_rejected == 0, w.report.errors
    assert {k: v["accepted"] for k, v in w.report.counts.items()} == {
        k: len(v) for k, v in small_tables().items()
    }
    ent = w.tables["entities"]
    assert ent["sector"].tolist()[:2] == ["food_drug", "construction"]
    assert set(ent["region"]) == {"乐都区"}


@pytest.mark.parametrize(
    ("column", "spellings"),
    [
        ("uscc", ("统一社会信用代码", "社会信用代码", "信用代码")),
        ("name", ("企业名称", "主体名称", "名称")),
        ("sector", ("所属行业", "行业领域", "行业类别")),
        ("region", ("所属区域", "所属地区", "登记机关")),
        ("status", ("登记状态", "经营状态")),
        ("legal_representative", ("法定代表人", "负责人", "经营者")),
    ],
)
def test_common_entity_spellings(column: str, spellings: tuple[str, ...]) -> None:
    for h in spellings:
        assert rename_headers(TABLES["entities"], [h]) == {h: column}


def test_two_spellings_of_one_column_use_the_better_one() -> None:
    got = rename_headers(TABLES["entities"], ["所属区域", "登记机关", "名称"])
    assert got == {"所属区域": "region", "登记机关": "登记机关", "名称": "name"}


def test_config_maps_any_other_header(tmp_path: Path) -> None:
    tables = small_tables()
    tables["entities"] = tables["entities"].rename(
        columns={"region": "企业所在区县", "sector": "监管行业分类"}
    )
    ws = write_tables(tmp_path / "ws", tables, encoding="gbk")
    code, _, _, err = run_cli("validate", str(ws), "--json")
    assert code == 2 and "sector" in err + _
    (ws / "config.yaml").write_text(
        "headers:\n  entities:\n    企业所在区县: region\n    监管行业分类: sector\n",
        encoding="utf-8",
    )
    code, out, _, _ = run_cli("validate", str(ws), "--json")
    assert code == 0, out
    assert out["tables"]["entities"]["accepted"] == 6


@pytest.mark.parametrize(
    ("yaml_text", "words"),
    [
        ("headers:\n  companies:\n    名: name\n", "headers.companies"),
        ("headers:\n  entities:\n    区县: district\n", "district"),
    ],
)
def test_config_headers_must_name_a_table_and_column(
    tmp_path: Path, yaml_text: str, words: str
) -> None:
    ws = write_tables(tmp_path / "ws", small_tables())
    (ws / "config.yaml").write_text(yaml_text, encoding="utf-8")
    code, _, _, err = run_cli("validate", str(ws))
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1
