"""Today's date in Beijing: the day a bureau's work is dated by (the month drawn, a deadline in
working days, a date that may not lie in the future), whatever the server's time zone. On a
server kept in UTC, `datetime.date.today()` is a day behind from 16:00 to 24:00 UTC; on the
last day of a month the app then offered the month before. Files and the ledger keep UTC times.
China keeps one offset all year (no daylight saving), so a fixed UTC+8 needs no tz database."""

from __future__ import annotations

import datetime as dt

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def today(now: dt.datetime | None = None) -> dt.date:
    """The Beijing date now (or at the aware datetime `now`)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(BEIJING).date()
