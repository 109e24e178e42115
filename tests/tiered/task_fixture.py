"""A small two-county workspace with an item list, tasks and two departments' inspectors.

乐都区 and 民和县 each have 30 entities (food_drug, health, other); each county has market
(市场监督管理局) and health (卫生健康局) inspectors qualified for those sectors. Tasks: an
undirected city task, a directed one, a county one (民和县) and a joint market + health one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import make_uscc, write_tables

REGIONS = {"乐都区": "630202", "民和县": "630222"}
SECTORS = ("food_drug", "health", "other")


def entities() -> pd.DataFrame:
    rows = []
    for r, (region, code) in enumerate(REGIONS.items()):
        for i in range(30):
            rows.append(
                {
                    "uscc": make_uscc(r * 100 + i, code),
                    "name": f"{region}测试商户{i}",
                    "sector": SECTORS[i % 3],
                    "region": region,
                    "entity_type": "enterprise" if i % 2 else "individual",
                    "registered_on": "2015-03-01",
                    "status": "active",
                    "legal_representative": "张三丰",
                }
            )
    return pd.DataFrame(rows)


def inspectors() -> pd.DataFrame:
    rows = []
    for region in REGIONS:
        for dept, prefix in (("市场监督管理局", "M"), ("卫生健康局", "H")):
            for i in range(4):
                rows.append(
                    {
                        "inspector_id": f"{prefix}{REGIONS[region][-2:]}{i}",
                        "name": f"{region}{dept}{i}",
                        "sectors": "food_drug;health;other",
                        "department": f"{region}{dept}",
                        "region": region,
                        "active": "true",
                    }
                )
    return pd.DataFrame(rows)


def items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": ["SJ01", "SJ02", "WJ01"],
            "name": ["食品经营许可情况检查", "企业公示信息情况检查", "公共场所卫生检查"],
            "department": ["市场监督管理局", "市场监督管理局", "卫生健康局"],
            "kind": ["key", "general", "general"],
            "sectors": ["food_drug", "", "health;food_drug"],
            "entity_types": ["", "enterprise", ""],
            "basis": ["《食品安全法》", "《企业信息公示暂行条例》", "《公共场所卫生管理条例》"],
            "method": ["现场检查", "书面检查", "现场检查"],
            "frequency": ["A:1;B:2;C:3;D:4", "", ""],
        }
    )


def tasks() -> pd.DataFrame:
    e = entities()
    targets = ";".join(e["uscc"].iloc[[0, 3, 6, 31, 34]])
    return pd.DataFrame(
        {
            "task_id": ["T01", "T02", "T03", "T04"],
            "name": ["食品经营抽查", "定向检查", "民和县公示信息抽查", "食品与公共卫生联合检查"],
            "start": ["2026-11-01"] * 4,
            "end": ["2026-12-31"] * 4,
            "items": ["SJ01", "SJ01;SJ02", "SJ02", "SJ01;WJ01"],
            "lead_department": ["市场监督管理局"] * 4,
            "departments": ["", "", "", "卫生健康局"],
            "sectors": ["food_drug", "", "", "food_drug;health"],
            "regions": [""] * 4,
            "entity_types": ["", "", "", ""],
            "directed": ["false", "true", "false", "false"],
            "targets": ["", targets, "", ""],
            "ratio": ["0.5", "", "0.2", "0.3"],
            "count": ["", "", "", ""],
            "jurisdiction": ["", "", "民和县", ""],
            "tier_rates": ["", "", "", ""],
        }
    )


def task_ws(tmp_path: Path, **overrides: pd.DataFrame) -> Path:
    tables = {
        "entities": entities(),
        "inspectors": inspectors(),
        "items": items(),
        "tasks": tasks(),
    }
    tables.update(overrides)
    return write_tables(tmp_path / "ws", tables)
