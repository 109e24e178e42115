"""Working days in mainland China: weekends off, public holidays off, make-up days (调休) on.

Results must be public within 20 working days of the inspection. The State Council publishes
each year's holidays and the weekend days worked in exchange (国务院办公厅关于部分节假日安排的
通知) in November of the year before. The maintained `chinese-calendar` package carries every
year's notice (2004-2026 in the pinned 1.11.0); a year it does not know yet is given in config
(`publish.holidays`, `publish.adjusted_workdays`), and a year neither knows falls back to
weekends only, with a warning that says how to add it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import chinese_calendar
import numpy as np


def package_days() -> tuple[set[dt.date], set[dt.date], set[int]]:
    """(holidays, weekend working days, years covered) from `chinese-calendar`."""
    holidays = set(chinese_calendar.holidays)
    adjusted = {d for d in chinese_calendar.workdays if d.weekday() >= 5}
    return holidays, adjusted, {d.year for d in holidays | set(chinese_calendar.workdays)}


class Calendar:
    """Which days are working days: `chinese-calendar`'s years, then config's lists.

    A year that config lists any date of is taken from config alone (so a wrong or missing
    package year can be corrected in full); other years come from the package.
    """

    def __init__(self, holidays: Iterable[str] = (), adjusted_workdays: Iterable[str] = ()) -> None:
        own_h = {dt.date.fromisoformat(str(d)) for d in holidays}
        own_a = {dt.date.fromisoformat(str(d)) for d in adjusted_workdays}
        own_years = {d.year for d in own_h | own_a}
        pkg_h, pkg_a, pkg_years = package_days()
        keep = lambda days: {d for d in days if d.year not in own_years}  # noqa: E731
        self.holidays = np.array(sorted(keep(pkg_h) | own_h), dtype="datetime64[D]")
        self.adjusted = np.array(sorted(keep(pkg_a) | own_a), dtype="datetime64[D]")
        self.package_years = pkg_years
        self.config_years = own_years
        self.years = pkg_years | own_years

    def unknown_years(self, years: Iterable[int]) -> list[int]:
        """The years among `years` with no holiday data (counted as weekends only)."""
        return sorted({int(y) for y in years} - self.years)

    def warning(self, years: Iterable[int]) -> str | None:
        """One line for a clerk when some of `years` have no holiday data, else None."""
        missing = self.unknown_years(years)
        if not missing:
            return None
        span = f"{min(self.package_years)}–{max(self.package_years)}"
        text = "、".join(map(str, missing))
        return (
            f"节假日数据未包含 {text} 年（chinese-calendar {chinese_calendar.__version__} 覆盖 "
            f"{span} 年），暂按周末计算；请把国务院办公厅当年节假日安排通知的放假日期和调休上班日期"
            f"填入 config.yaml 的 publish.holidays 与 publish.adjusted_workdays (no holiday data "
            f"for {', '.join(map(str, missing))}: weekends only; add the State Council notice's "
            "days to publish.holidays and publish.adjusted_workdays)"
        )

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
    # Days off (ISO dates, weekend days inside a holiday included) for a year chinese-calendar
    # does not know yet; listing any date of a year replaces the package's days for that year.
    holidays: tuple[str, ...] = ()
    # Weekend days that are working days (调休上班) for such a year (ISO dates).
    adjusted_workdays: tuple[str, ...] = ()

    def calendar(self) -> Calendar:
        return Calendar(self.holidays, self.adjusted_workdays)
