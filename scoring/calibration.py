"""How well predicted risks match what inspections found: mean predicted against observed,
expected calibration error and a per-quintile table.

A ranking can be good while the probabilities are off (the issue's June model: 0.301 predicted
against 0.266 found); plans and expected-problem figures use the probabilities themselves, so
they are reported beside the AUC.
"""

from __future__ import annotations

import numpy as np


def calibration_summary(found, risk, bins: int = 10, groups: int = 5) -> dict:
    """Mean predicted vs observed, ECE over `bins` equal-width risk bins (the share-weighted mean
    absolute gap), and the same per risk quintile (`groups` equal-count groups, lowest first).
    Values are rounded to 4 decimals; an empty input gives None figures."""
    y = np.asarray(found, dtype=bool)
    p = np.clip(np.asarray(risk, dtype=np.float64), 0.0, 1.0)
    if not len(y):
        return {"mean_predicted": None, "observed": None, "ece": None, "quintiles": []}
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    gap = np.abs(np.bincount(idx, p, bins) - np.bincount(idx, y.astype(float), bins))
    ece = float(gap.sum() / len(p))  # sum over bins of n_b/N * |mean p_b - mean y_b|
    order = np.argsort(p, kind="stable")
    table = []
    for k, part in enumerate(np.array_split(order, min(groups, len(p)))):
        table.append(
            {
                "quintile": k + 1,
                "n": int(len(part)),
                "predicted": round(float(p[part].mean()), 4),
                "observed": round(float(y[part].mean()), 4),
            }
        )
    return {
        "mean_predicted": round(float(p.mean()), 4),
        "observed": round(float(y.mean()), 4),
        "ece": round(ece, 4),
        "quintiles": table,
    }
