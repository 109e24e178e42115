"""The demo's plan side: item list, annual plan of tasks, imported tiers, and what past
inspections carry (task id, type, result category).

Everything here draws from its own random stream (`np.random.default_rng([seed, STREAM])`),
so adding it changed none of the demo's other tables.
"""

from __future__ import annotations

import numpy as np

from tiered.demo import names as nm

STREAM = 12
# RESULTS_FOUND in names.py, in order: 责令整改, 责令改正并处罚款, 移送处理, 无法联系
RESULT_CATEGORY = np.array(["normal", "corrected", "corrected", "pending", "unreachable"], object)
COMPLAINT_SHARE = 6 / 7  # the hazard after a complaint is 7x: 6 of 7 such checks answer it


def side_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, STREAM])


def inspection_columns(ins, sector: np.ndarray, year: np.ndarray, seed: int):
    """(type, category, task_id) arrays for the demo's past inspections.

    Most checks in the two months after a complaint answer it (type complaint); a few others
    are referrals (3%) or data-monitoring hits (2%); the rest are planned and carry the task
    id of that year's sector task (e.g. HDSJ-2025-07).
    """
    rng = side_rng(seed)
    n = ins.ent.size
    u = rng.random(n)
    kind = np.full(n, "planned", dtype=object)
    kind[(u < 0.03)] = "referral"
    kind[(u >= 0.03) & (u < 0.05)] = "monitoring"
    kind[ins.after_complaint & (rng.random(n) < COMPLAINT_SHARE)] = "complaint"
    category = RESULT_CATEGORY[ins.result]
    task = np.array(
        [f"HDSJ-{y}-{s + 1:02d}" for y, s in zip(year.tolist(), sector.tolist(), strict=True)],
        dtype=object,
    )
    task[kind != "planned"] = None
    return kind, category, task


__all__ = ["inspection_columns", "nm"]
