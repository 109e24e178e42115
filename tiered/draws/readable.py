"""The inspection list for people: Chinese headers, sector and region names, each inspector's name
with the unit they belong to, the inclusion probability as a percentage, and a view per
inspector (who goes where, with which items) that prints one inspector to a page.

A draw's own `inspection_list.csv`/`.xlsx` keep the contract's columns, for machines and for
`tiered verify` (their digests are in the manifest). This module makes the human list from such
a list and the workspace's tables, so it can be re-made at any time without touching a draw; its
last columns repeat the machine codes (sector code, tier letter, inspector ids, the probability
as a number), so a reader can still match it with the machine file.
"""

from __future__ import annotations

import io

import pandas as pd

from scoring.tiers import TIER_LABELS
from tables.spec import SECTOR_LABELS

# Haidong's county-level division codes (DOMAIN.md), for lists whose `region` holds a code.
REGION_NAMES = {
    "630202": "乐都区",
    "630203": "平安区",
    "630222": "民和县",
    "630223": "互助县",
    "630224": "化隆县",
    "630225": "循化县",
}
LIST_HEADERS = {
    "no": "序号",
    "uscc": "统一社会信用代码",
    "name": "名称",
    "sector_label": "行业领域",
    "region_label": "所属区域",
    "tier_label": "信用风险等级",
    "probability": "入选概率",
    "inspector_names": "执法检查人员（所属单位）",
    "task": "抽查任务",
    "item_names": "检查事项",
    "ticket": "抽签号",
    "sector": "行业代码 sector",
    "tier": "等级代码 tier",
    "inspectors": "检查人员编号 inspectors",
    "inclusion_probability": "入选概率（小数）inclusion_probability",
}
BY_INSPECTOR_HEADERS = {
    "inspector": "执法检查人员",
    "inspector_id": "人员编号",
    "department": "所属单位",
    "partners": "同组检查人员",
    "no": "序号",
    "name": "检查对象名称",
    "uscc": "统一社会信用代码",
    "region_label": "所属区域",
    "sector_label": "行业领域",
    "tier_label": "信用风险等级",
    "item_names": "检查事项",
}


def percent(p: float) -> str:
    """0.0018416 -> "0.184%" (small ones keep three decimals, so none shows as 0.00%)."""
    if p != p:  # NaN
        return ""
    if p == 0:
        return "0%"
    return f"{p * 100:.3f}%" if p < 0.01 else f"{p * 100:.2f}%"


def _ids(text: str) -> list[str]:
    return [t.strip() for t in str(text or "").split(";") if t.strip()]


def _people(inspectors: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """inspector_id -> (name, unit) from the inspectors table."""
    if inspectors is None or inspectors.empty:
        return {}
    dept = (
        inspectors["department"] if "department" in inspectors else pd.Series("", inspectors.index)
    )
    out = {}
    for i, n, d in zip(
        inspectors["inspector_id"], inspectors["name"], dept.fillna(""), strict=True
    ):
        out[str(i)] = (str(n), str(d))
    return out


def _item_names(items: pd.DataFrame | None) -> dict[str, str]:
    if items is None or items.empty or "item_id" not in items:
        return {}
    return dict(zip(items["item_id"].astype(str), items["name"].astype(str), strict=True))


def readable_list(
    lst: pd.DataFrame,
    inspectors: pd.DataFrame | None,
    items: pd.DataFrame | None = None,
    sector_labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The list with Chinese values, keyed by LIST_HEADERS (rename with it to show or write)."""
    people = _people(inspectors)
    names = _item_names(items)
    labels = {**(sector_labels or {}), **SECTOR_LABELS}
    out = pd.DataFrame({"no": range(1, len(lst) + 1)})
    out["uscc"] = lst["uscc"].to_numpy()
    out["name"] = lst["name"].to_numpy()
    out["sector_label"] = [labels.get(s, s) for s in lst["sector"]]
    out["region_label"] = [REGION_NAMES.get(str(r), r) for r in lst["region"]]
    out["tier_label"] = [f"{t} {TIER_LABELS[t]}" if t in TIER_LABELS else t for t in lst["tier"]]
    prob = pd.to_numeric(lst["inclusion_probability"], errors="coerce")
    out["probability"] = [percent(float(p)) for p in prob]
    out["inspector_names"] = [
        "；".join(_person(i, people) for i in _ids(v)) for v in lst["inspectors"]
    ]
    if "task_id" in lst:
        out["task"] = lst["task_id"].to_numpy()
    if "items" in lst:
        out["item_names"] = ["；".join(names.get(i, i) for i in _ids(v)) for v in lst["items"]]
    out["ticket"] = lst["ticket"].to_numpy()
    for c in ("sector", "tier", "inspectors"):
        out[c] = lst[c].to_numpy()
    out["inclusion_probability"] = prob.to_numpy()
    return out


def _person(inspector_id: str, people: dict[str, tuple[str, str]]) -> str:
    name, unit = people.get(inspector_id, (inspector_id, ""))
    return f"{name}（{unit}）" if unit else name


def by_inspector(readable: pd.DataFrame, inspectors: pd.DataFrame | None) -> pd.DataFrame:
    """One row per inspector and entity, sorted by inspector, region and name: what an
    inspector takes on the road. Keyed by BY_INSPECTOR_HEADERS."""
    people = _people(inspectors)
    rows = []
    for r in readable.itertuples(index=False):
        ids = _ids(r.inspectors)
        for i in ids:
            name, unit = people.get(i, (i, ""))
            rows.append(
                {
                    "inspector": name,
                    "inspector_id": i,
                    "department": unit,
                    "partners": "；".join(people.get(j, (j, ""))[0] for j in ids if j != i),
                    "name": r.name,
                    "uscc": r.uscc,
                    "region_label": r.region_label,
                    "sector_label": r.sector_label,
                    "tier_label": r.tier_label,
                    "item_names": getattr(r, "item_names", ""),
                }
            )
    cols = [c for c in BY_INSPECTOR_HEADERS if c != "no"]
    df = pd.DataFrame(rows, columns=cols)
    df = df.sort_values(["inspector_id", "region_label", "name"], kind="stable", ignore_index=True)
    df.insert(4, "no", df.groupby("inspector_id").cumcount() + 1)
    if "item_names" not in readable:
        df = df.drop(columns="item_names")
    return df


def csv_bytes(readable: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel opens it as Chinese), Chinese headers."""
    from tiered.files import csv_bom_bytes

    return csv_bom_bytes(readable.rename(columns=LIST_HEADERS))


def workbook_bytes(readable: pd.DataFrame, per_inspector: pd.DataFrame, title: str) -> bytes:
    """Two sheets: 检查名单 (the list) and 按检查人员 (one inspector per printed page: landscape,
    fitted to the page width, the header row repeated, a page break after each inspector)."""
    from openpyxl import load_workbook
    from openpyxl.worksheet.pagebreak import Break

    from tiered.files import xlsx_bytes

    first = xlsx_bytes(readable, LIST_HEADERS, sheet="检查名单")
    second = xlsx_bytes(per_inspector, BY_INSPECTOR_HEADERS, sheet="按检查人员")
    wb = load_workbook(io.BytesIO(first))
    other = load_workbook(io.BytesIO(second)).active
    sheet = wb.create_sheet("按检查人员")
    for row in other.iter_rows(values_only=True):
        sheet.append(list(row))
    for key, dim in other.column_dimensions.items():
        sheet.column_dimensions[key].width = dim.width
    sheet.freeze_panes = "A2"
    ids = per_inspector["inspector_id"].tolist()
    for k in range(1, len(ids)):
        if ids[k] != ids[k - 1]:
            sheet.row_breaks.append(Break(id=k + 1))  # after the last row of an inspector
    for ws in wb.worksheets:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
        ws.oddHeader.center.text = title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
