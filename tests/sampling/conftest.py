"""Small synthetic frames for the sampling tests (no files, no scoring)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

SECTORS = ["food_drug", "construction", "tax", "other"]


def build_frame(n: int = 400, seed: int = 0, inspected_share: float = 0.4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    last = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1200, n), "D")
    frame = pd.DataFrame(
        {
            "uscc": [f"9163020{seed:02d}MA{i:07d}" for i in range(n)],
            "name": [f"主体{i}" for i in range(n)],
            "sector": rng.choice(SECTORS, n),
            "tier": rng.choice(list("ABCD"), n, p=[0.4, 0.3, 0.2, 0.1]),
            "region": rng.choice(["乐都区", "平安区"], n),
            "status": rng.choice(["active", "deregistered"], n, p=[0.95, 0.05]),
            "last_inspected": pd.Series(last).where(rng.random(n) < inspected_share),
        }
    )
    return frame


def build_inspectors(m: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 100)
    return pd.DataFrame(
        {
            "inspector_id": [f"I{i:03d}" for i in range(m)],
            "name": [f"检查员{i}" for i in range(m)],
            "sectors": [";".join(sorted(set(rng.choice(SECTORS, 3)))) for _ in range(m)],
            "region": rng.choice(["乐都区", "平安区", None], m),
            "active": rng.random(m) < 0.9,
        }
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    return build_frame()


@pytest.fixture
def inspectors() -> pd.DataFrame:
    return build_inspectors()
