"""The inspection list for people: Chinese values and headers, inspector names with their unit,
percentages, the machine codes kept, and a printable page per inspector."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from tiered.draws import readable

LIST = pd.DataFrame(
    {
        "uscc": ["91630202AAAAAAAAAA", "92630203BBBBBBBBBB", "92630222CCCCCCCCCC"],
        "name": ["甲公司", "乙商店", "丙超市"],
        "sector": ["construction", "food_drug", "custom_code"],
        "region": ["乐都区", "630203", "民和县"],
        "tier": ["C", "A", "D"],
        "ticket": ["0.01", "0.02", "0.03"],
        "inclusion_probability": ["0.0018416206", "0.25", "1"],
        "inspectors": ["HD0002;HD0144", "HD0144;HD0003", "HD0002;HD9999"],
    }
)
PEOPLE = pd.DataFrame(
    {
        "inspector_id": ["HD0002", "HD0144", "HD0003"],
        "name": ["冯财", "李梅", "王平"],
        "department": ["乐都区市场监督管理局", "平安区住房和城乡建设局", ""],
    }
)


def test_readable_list_speaks_chinese_and_keeps_codes():
    df = readable.readable_list(LIST, PEOPLE, sector_labels={"custom_code": "自定义行业"})
    row = df.iloc[0]
    assert (row["sector_label"], row["region_label"], row["tier_label"]) == (
        "建筑市场",
        "乐都区",
        "C 信用风险较高",
    )
    assert row["probability"] == "0.184%" and df.iloc[1]["probability"] == "25.00%"
    assert row["inspector_names"] == "冯财（乐都区市场监督管理局）；李梅（平安区住房和城乡建设局）"
    assert df.iloc[1]["region_label"] == "平安区"  # a division code becomes its name
    assert df.iloc[2]["sector_label"] == "自定义行业"
    assert "HD9999" in df.iloc[2]["inspector_names"]  # unknown id shown, never dropped
    assert df["inspectors"].tolist() == LIST["inspectors"].tolist()  # codes kept for machines
    assert df["inclusion_probability"].iloc[0] == 0.0018416206
    text = readable.csv_bytes(df).decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:8] == [
        "序号",
        "统一社会信用代码",
        "名称",
        "行业领域",
        "所属区域",
        "信用风险等级",
        "入选概率",
        "执法检查人员（所属单位）",
    ]
    assert "行业代码 sector" in header and "construction" in text


def test_per_inspector_sheet_one_page_each():
    df = readable.readable_list(LIST, PEOPLE)
    per = readable.by_inspector(df, PEOPLE)
    assert len(per) == 6  # two inspectors per entity
    feng = per[per["inspector_id"] == "HD0002"]
    assert feng["name"].tolist() == ["甲公司", "丙超市"]  # by region, then name
    assert feng["no"].tolist() == [1, 2]
    assert feng.iloc[0]["department"] == "乐都区市场监督管理局"
    wb = load_workbook(io.BytesIO(readable.workbook_bytes(df, per, "2026-12 抽查名单")))
    assert wb.sheetnames == ["检查名单", "按检查人员"]
    sheet = wb["按检查人员"]
    assert [c.value for c in sheet[1]][:4] == [
        "执法检查人员",
        "人员编号",
        "所属单位",
        "同组检查人员",
    ]
    assert len(sheet.row_breaks.brk) == per["inspector_id"].nunique() - 1
    assert sheet.page_setup.orientation == "landscape"
    first = [c.value for c in wb["检查名单"][2]]
    assert "冯财（乐都区市场监督管理局）；李梅（平安区住房和城乡建设局）" in first
