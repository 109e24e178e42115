"""Joint tasks' inspectors: each department draws its own for the items it owns.

The lead department draws the entities once; then, for every department of the task, the
second random runs over that department's inspectors only (an inspector of department X is
never put on department Y's items), with today's rules: at least two, active, recusal (回避),
rotation (not the previous inspection's inspectors), same region and balanced load. For a task
the qualification is the department: `inspectors.department` names the department whose items
an inspector may inspect (CONTRACT), so a health inspector checks a restaurant's public-hygiene
item although restaurants are not in their sector list, which only the monthly draw uses. Each
department's assignment has its own seed namespace, so adding a department changes no other
department's inspectors. The entity still gets one visit carrying every item.
"""

from __future__ import annotations

import pandas as pd

import sampling
from sampling.config import AssignmentConfig
from tables.tasks import belongs_to
from tiered.errors import UsageError

DETAIL_COLUMNS = ["uscc", "department", "items", "inspectors"]


def department_inspectors(
    inspectors: pd.DataFrame, department: str, jurisdiction: str = ""
) -> pd.DataFrame:
    """The inspectors of `department` (and of the jurisdiction, when the task has one)."""
    mine = inspectors["department"].map(lambda v: belongs_to(v, department))
    if jurisdiction:
        region = inspectors["region"].fillna("").astype(str).str.strip()
        mine &= (region == jurisdiction) | (region == "")
    return inspectors[mine]


def _qualified_for(pool: pd.DataFrame, selected: pd.DataFrame) -> pd.DataFrame:
    """The department's inspectors, qualified for every drawn entity's sector (the items are
    theirs: see the module docstring)."""
    sectors = ";".join(sorted(set(selected["sector"].astype(str))))
    return pool.assign(sectors=sectors)


def assign_teams(
    selected: pd.DataFrame,
    inspectors: pd.DataFrame,
    seed: str,
    config: AssignmentConfig,
    teams: dict[str, list[str]],
    conflicts: pd.DataFrame,
    previous: pd.DataFrame,
    jurisdiction: str = "",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(selected with `inspectors`: every team's ids, lead department first; long detail frame
    uscc, department, items, inspectors)."""
    parts = []
    for department, items in teams.items():
        pool = department_inspectors(inspectors, department, jurisdiction)
        if pool.empty:
            raise UsageError(
                f"{department} 没有执法检查人员 (department {department} has no inspectors)"
            )
        got = sampling.assign_inspectors(
            selected,
            _qualified_for(pool, selected),
            f"{seed}|{department}",
            config,
            conflicts,
            previous,
        )
        parts.append(
            pd.DataFrame(
                {
                    "uscc": got["uscc"].to_numpy(),
                    "department": department,
                    "items": ";".join(items),
                    "inspectors": got["inspectors"].to_numpy(),
                }
            )
        )
    detail = pd.concat(parts, ignore_index=True)[DETAIL_COLUMNS]
    joined = detail.groupby("uscc", sort=False)["inspectors"].agg(";".join)
    out = selected.copy()
    out["inspectors"] = out["uscc"].map(joined)
    order = {u: i for i, u in enumerate(out["uscc"])}
    detail = detail.sort_values(
        ["uscc", "department"],
        key=lambda s: (
            s.map(order) if s.name == "uscc" else s.map({d: i for i, d in enumerate(teams)})
        ),
        kind="stable",
    ).reset_index(drop=True)
    return out, detail
