"""The analyst page's target mix: a mix not summing to 100% or all zero is one error line."""

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
