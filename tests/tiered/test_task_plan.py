"""The annual plan plans each task with the tiers its own draw will use (as of its start
month), not one set for the year; an imported classification is the newest known on the day
the plan is made."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from tests.tiered.task_fixture import entities, task_ws, tasks
from tiered.tasks.plan import plan_report


def _two_tasks() -> pd.DataFrame:
    t = tasks().iloc[[0, 0]].reset_index(drop=True)  # the food task, in March and in October
    t["task_id"] = ["P03", "P10"]
    t["start"], t["end"] = ["2027-03-01", "2027-10-01"], ["2027-03-31", "2027-10-31"]
    return t


def test_each_task_is_planned_with_the_tiers_of_its_own_month(tmp_path: Path) -> None:
    e = entities()
    food = list(e.loc[e["sector"] == "food_drug", "uscc"])
    # listed as seriously dishonest on 2024-06-01: the listing counts at most 3 years (until
    # 2027-06), so these are tier D in March 2027 and no longer in October
    records = pd.DataFrame(
        {"uscc": food[:3], "kind": ["serious_dishonesty"] * 3, "date": ["2024-06-01"] * 3}
    )
    ws = task_ws(tmp_path, tasks=_two_tasks(), records=records)
    report = plan_report(ws, 2027, today=dt.date(2026, 11, 20))
    rows = {r["task_id"]: r for r in report["tasks"]}
    assert (rows["P03"]["tiers_as_of"], rows["P10"]["tiers_as_of"]) == ("2027-03-01", "2027-10-01")
    assert rows["P03"]["tier_mix"].get("D", 0) == 3
    assert rows["P10"]["tier_mix"].get("D", 0) == 0
    # D's higher rate gives March's task a different spread over the strata, same total
    assert rows["P03"]["expected"] == rows["P10"]["expected"] == 10.0
    assert report["tiers"]["as_of"] == ["2027-03-01", "2027-10-01"]
    assert "start month" in report["tiers"]["rule"]


def test_an_imported_classification_is_the_newest_known_when_planning(tmp_path: Path) -> None:
    e = entities()
    food = list(e.loc[e["sector"] == "food_drug", "uscc"])
    tiers = pd.DataFrame(
        {"uscc": food[:4], "tier": ["D"] * 4, "source": ["SAMR"] * 4, "date": ["2026-11-05"] * 4}
    )
    ws = task_ws(tmp_path, tasks=_two_tasks(), tiers=tiers)
    report = plan_report(ws, 2027, today=dt.date(2026, 11, 20))
    for r in report["tasks"]:  # October is 11 months later: the import would be too old then
        assert r["tier_mix"].get("D", 0) == 4, r
        assert r["imported_tiers_known_on"] == "2026-11-20"
