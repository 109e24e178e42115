"""Today is Beijing's date, whatever the server's time zone (`tables.clock`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tables import clock

UTC = dt.UTC


def test_a_utc_evening_is_the_next_day_in_beijing() -> None:
    assert clock.today(dt.datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == dt.date(2026, 12, 31)
    assert clock.today(dt.datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == dt.date(2027, 1, 1)
    assert clock.today(dt.datetime(2026, 6, 30, 23, 0, tzinfo=UTC)) == dt.date(2026, 7, 1)


def test_now_agrees_with_the_tz_database() -> None:
    before = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    got = clock.today()
    after = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert got in (before, after)


def test_no_module_asks_the_server_for_its_own_date() -> None:
    """Every business date goes through `clock.today()`: `date.today()` is the server's zone."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = []
    for folder in ("tiered", "tables", "scoring", "sampling", "app_support", "app_pages"):
        for f in (root / folder).rglob("*.py"):
            if f.name == "clock.py" and f.parent.name == "tables":
                continue  # says what it replaces
            text = f.read_text(encoding="utf-8")
            for bad in ("date.today()", "Timestamp.today()", "Timestamp.now()"):
                if bad in text:
                    found.append(f"{f.relative_to(root)}: {bad}")
    assert (root / "app.py").read_text(encoding="utf-8").count("date.today()") == 0
    assert not found, found
