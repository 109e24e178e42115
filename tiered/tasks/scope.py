"""Who a task may draw: its scope and jurisdiction, and how often its items allow a visit.

Only entities in the task's scope are in its frame: the sectors, regions and entity types it
names (empty = all), its jurisdiction (县抽县查: the county that draws and inspects), and for a
directed task (定向) only its list. An item's own frequency rule (e.g. food production and trade
risk grades: A at least once a year, D three to four times) shortens the cooldown of that tier
for a task carrying the item, so that the rule can be met.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tables.tasks import parse_rates
from tiered.tasks.model import Task


def scope_mask(frame: pd.DataFrame, entities: pd.DataFrame, task: Task) -> np.ndarray:
    """Rows of `frame` (uscc, sector, region) inside the task's scope and jurisdiction."""
    keep = np.ones(len(frame), dtype=bool)
    if task.sectors:
        keep &= frame["sector"].isin(task.sectors).to_numpy()
    regions = frame["region"].astype(str).str.strip()
    if task.regions:
        keep &= regions.isin(task.regions).to_numpy()
    if task.jurisdiction:
        keep &= (regions == task.jurisdiction).to_numpy()
    if task.entity_types:
        kinds = entities.set_index("uscc")["entity_type"] if "entity_type" in entities else None
        types = frame["uscc"].map(kinds) if kinds is not None else pd.Series(None, frame.index)
        keep &= types.isin(task.entity_types).to_numpy()
    if task.directed:
        keep &= frame["uscc"].isin(task.targets).to_numpy()
    return keep


def visits_required(task: Task, items: pd.DataFrame) -> dict[str, int]:
    """Tier -> the most visits a year any of the task's items asks for (its `frequency`)."""
    if "frequency" not in items.columns:
        return {}
    mine = items[items["item_id"].astype(str).isin(task.items)]
    out: dict[str, int] = {}
    for text in mine["frequency"].dropna():
        for tier, visits in parse_rates_as_counts(text).items():
            out[tier] = max(out.get(tier, 0), visits)
    return out


def parse_rates_as_counts(text: object) -> dict[str, int]:
    """'A:1;B:2;C:3;D:4' (visits a year per tier) -> {'A': 1, ...}."""
    from tables.tasks import split_list

    out = {}
    for part in split_list(text):
        tier, _, n = part.replace("：", ":").partition(":")
        out[tier.strip().upper()] = int(float(n))
    return out


def cooldowns_for(visits: dict[str, int], cooldown: dict[str, int]) -> dict[str, int]:
    """The cooldown per tier, shortened to 12 / visits months where an item needs more visits
    a year than the cooldown allows."""
    out = dict(cooldown)
    for tier, n in visits.items():
        if n > 1:
            out[tier] = min(out.get(tier, 12), 12 // n)
    return out


__all__ = ["cooldowns_for", "parse_rates", "scope_mask", "visits_required"]
