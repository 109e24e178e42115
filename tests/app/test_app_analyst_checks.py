"""Analyst pages: a target mix not summing to 100% (or all zero) is one error line; the backtest
page shows the calibration of the predicted risk."""

from __future__ import annotations

import pytest

from .conftest import page_test


@pytest.mark.parametrize(
    ("shares", "words"), [((60.0, 40.0, 6.0, 4.0), "110.0%"), ((0.0, 0.0, 0.0, 0.0), "全为零")]
)
def test_target_mix_errors_are_one_line_not_a_traceback(app_env, shares, words):
    at = page_test("app_pages/analyst.py", "analyst").run()
    assert not at.exception, at.exception
    before = at.session_state["th_a"]
    for tier, v in zip("ABCD", shares, strict=True):
        at.number_input(key=f"mix_{tier}").set_value(v)
    at.button(key="fit_mix").click().run()
    assert not at.exception, at.exception
    assert any(words in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["th_a"] == before  # thresholds untouched


def test_target_mix_of_100_percent_sets_thresholds(app_env):
    at = page_test("app_pages/analyst.py", "analyst").run()
    for tier, v in zip("ABCD", (50.0, 38.0, 8.0, 4.0), strict=True):
        at.number_input(key=f"mix_{tier}").set_value(v)
    at.button(key="fit_mix").click().run()
    assert not at.exception, at.exception
    assert not at.error
    assert at.session_state["th_a"] >= at.session_state["th_b"] >= at.session_state["th_c"]


def test_backtest_page_shows_calibration(app_env):
    at = page_test("app_pages/backtest.py", "analyst").run()
    at.text_input(key="bt_from").input("2026-08")
    at.text_input(key="bt_to").input("2026-10")
    at.button(key="bt_run").click().run()
    assert not at.exception, at.exception
    line = next(c.value for c in at.caption if c.value.startswith("校准"))
    assert "ECE" in line and "Q5" in line and "实际发现率" in line
