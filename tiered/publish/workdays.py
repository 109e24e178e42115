"""Working days in mainland China: weekends off, public holidays off, make-up days (调休) on.

Results must be public within 20 working days of the inspection. The State Council publishes
each year's holidays and the weekend days worked in exchange (国务院办公厅关于部分节假日安排的
通知) in November of the year before, so the lists live in config; the defaults below are 2025
(国办发明电〔2024〕12号) and 2026 (notice of 2025-11-04).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


def _span(first: str, last: str) -> tuple[str, ...]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return tuple((a + dt.timedelta(days=i)).isoformat() for i in range((b - a).days + 1))


CN_HOLIDAYS_2025_2026: tuple[str, ...] = (
    # 2025: 元旦, 春节, 清明, 劳动节, 端午, 国庆+中秋
    *_span("2025-01-01", "2025-01-01"),
    *_span("2025-01-28", "2025-02-04"),
    *_span("2025-04-04", "2025-04-06"),
    *_span("2025-05-01", "2025-05-05"),
    *_span("2025-05-31", "2025-06-02"),
    *_span("2025-10-01", "2025-10-08"),
    # 2026: 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆
    *_span("2026-01-01", "2026-01-03"),
    *_span("2026-02-15", "2026-02-23"),
    *_span("2026-04-04", "2026-04-06"),
    *_span("2026-05-01", "2026-05-05"),
    *_span("2026-06-19", "2026-06-21"),
    *_span("2026-09-25", "2026-09-27"),
    *_span("2026-10-01", "2026-10-07"),
)

CN_ADJUSTED_WORKDAYS_2025_2026: tuple[str, ...] = (
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
)  # fmt: skip


class Calendar:
    """Which days are working days, from a holiday list and a make-up working day list."""

    def __init__(self, holidays: Iterable[str], adjusted_workdays: Iterable[str]) -> None:
        self.holidays = np.array(sorted(set(holidays)), dtype="datetime64[D]")
        self.adjusted = np.array(sorted(set(adjusted_workdays)), dtype="datetime64[D]")
        self.years = {int(str(d)[:4]) for d in (*self.holidays, *self.adjusted)}

    def is_workday(self, day: dt.date) -> bool:
        d = np.datetime64(day, "D")
        if d in self.adjusted:
            return True
        return bool(np.is_busday(d, holidays=self.holidays))

    def count_after(self, start: np.ndarray, end: dt.date) -> np.ndarray:
        """Working days d with start < d <= end, for each start (vectorised)."""
        s = np.asarray(start, dtype="datetime64[D]") + 1
        e = np.datetime64(end, "D") + 1
        n = np.busday_count(np.minimum(s, e), e, holidays=self.holidays)
        adj = np.searchsorted(self.adjusted, e) - np.searchsorted(self.adjusted, np.minimum(s, e))
        return (n + adj).astype(int)

    def add(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start`."""
        d = start
        while n > 0:
            d += dt.timedelta(days=1)
            n -= self.is_workday(d)
        return d


@dataclass(frozen=True)
class PublishConfig:
    # Working days allowed between an inspection and the publication of its result.
    deadline_working_days: int = 20
    # Public holidays (ISO dates) not counted as working days; default: State Council 2025–2026.
    holidays: tuple[str, ...] = CN_HOLIDAYS_2025_2026
    # Weekend days that are working days (调休上班); default: State Council 2025–2026.
    adjusted_workdays: tuple[str, ...] = CN_ADJUSTED_WORKDAYS_2025_2026
