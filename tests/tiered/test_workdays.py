"""Working days from `chinese-calendar`, config for a year it does not know, a clear warning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import run_cli, small_tables, write_tables
from tiered.config import load_config
from tiered.publish.workdays import Calendar, PublishConfig

D = dt.date


def test_default_calendar_knows_years_beyond_a_hand_written_table() -> None:
    cal = PublishConfig().calendar()
    assert cal.is_workday(D(2024, 2, 4))  # Sunday worked in lieu (2024 Spring Festival)
    assert not cal.is_workday(D(2024, 2, 12))  # 春节 2024
    assert not cal.is_workday(D(2023, 10, 2))  # 国庆 2023
    assert cal.is_workday(D(2026, 2, 14)) and not cal.is_workday(D(2026, 2, 16))  # 2026 notice
    assert not cal.is_workday(D(2025, 10, 8))
    assert cal.unknown_years(range(2004, 2027)) == []


def test_a_year_the_package_does_not_know_warns_and_counts_weekends() -> None:
    cal = Calendar()
    assert cal.unknown_years([2026, 2027]) == [2027]
    text = cal.warning([2026, 2027])
    assert "2027" in text and "publish.holidays" in text and "adjusted_workdays" in text
    assert cal.warning([2026]) is None
    assert not cal.is_workday(D(2027, 1, 2)) and cal.is_workday(D(2027, 1, 1))  # weekends only


def test_config_adds_a_new_years_notice(tmp_path: Path) -> None:
    ws = write_tables(tmp_path / "ws", small_tables())
    (ws / "config.yaml").write_text(
        "publish:\n"
        "  holidays: [2027-01-01, 2027-01-02, 2027-01-03]\n"
        "  adjusted_workdays: ['2027-01-09']\n",
        encoding="utf-8",
    )
    cal = load_config(ws).publish.calendar()
    assert cal.unknown_years([2026, 2027]) == []
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.is_workday(D(2027, 1, 9))  # a Saturday worked in lieu
    assert cal.is_workday(D(2026, 2, 14))  # the package's years are kept
    # after 2026-12-31 up to 2027-01-11: Jan 4-8, Jan 9 (Saturday, in lieu), Jan 11
    assert int(cal.count_after([D(2026, 12, 31)], D(2027, 1, 11))[0]) == 7


def test_config_listing_a_known_year_replaces_that_year() -> None:
    cal = Calendar(holidays=["2026-03-02"], adjusted_workdays=[])
    assert not cal.is_workday(D(2026, 3, 2))
    assert cal.is_workday(D(2026, 2, 16))  # the package's 2026 is replaced, not merged
    assert not cal.is_workday(D(2025, 10, 1))  # other years untouched


@pytest.mark.parametrize("value", ["2027-13-01", "tomorrow"])
def test_a_malformed_holiday_is_a_config_error(tmp_path: Path, value: str) -> None:
    ws = write_tables(tmp_path / "ws", small_tables())
    (ws / "config.yaml").write_text(f"publish:\n  holidays: ['{value}']\n", encoding="utf-8")
    code, _, _, err = run_cli("validate", str(ws))
    assert code == 2 and "publish.holidays[0]" in err and "Traceback" not in err
