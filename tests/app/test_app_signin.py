"""Sign-in, role-based navigation and refusal of pages opened without the right role."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.common import PAGES, pages_for

from .conftest import ROOT, page_test, texts


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.run()
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def test_wrong_password_is_refused(app_env):
    at = _sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=90), "staff", "nope")
    assert not at.exception
    assert "user" not in at.session_state
    assert any("密码错误" in e.value for e in at.error)


@pytest.mark.parametrize(
    "role,title", [("staff", "月度抽查"), ("leader", "全局概览"), ("admin", "数据管理")]
)
def test_sign_in_lands_on_first_page_of_role(app_env, role, title):
    at = _sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=90), role, role + "123")
    assert not at.exception, at.exception
    assert at.session_state["user"]["roles"] == [role]
    assert at.title[0].value == title


def test_navigation_lists_only_own_pages():
    assert [p.path for p in pages_for(["staff"])] == [
        "app_pages/draw.py",
        "app_pages/results.py",
        "app_pages/data.py",
        "app_pages/tasks.py",
    ]
    assert [p.path for p in pages_for(["leader"])] == [
        "app_pages/leader.py",
        "app_pages/settings.py",
    ]
    assert "app_pages/accounts.py" not in [p.path for p in pages_for(["staff", "analyst"])]


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.path)
def test_every_page_refuses_other_roles(app_env, spec):
    outsider = next(r for r in ("staff", "analyst", "leader", "admin") if r not in spec.roles)
    at = page_test(spec.path, outsider).run()
    assert not at.exception
    assert any("无权访问" in e.value for e in at.error)
    assert not at.title  # nothing of the page was drawn


@pytest.mark.parametrize("spec", PAGES[:2], ids=lambda p: p.path)
def test_page_refuses_anonymous_and_speaks_english(app_env, spec):
    at = page_test(spec.path, None, lang="en").run()
    assert any("Please sign in" in e.value for e in at.error)
    assert "登录" not in texts(at)


def test_signed_out_message_survives_the_cookie_components_rerun(app_env):
    """Signing out reruns the page and then the cookie component's answer reruns it again:
    the "signed out" notice must still be there after the second run, and gone after a sign-in."""
    at = _sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=90), "staff", "staff123")
    next(b for b in at.sidebar.button if b.label == "退出登录").click()
    at.run()
    assert "user" not in at.session_state
    assert any("已退出登录" in s.value for s in at.success)
    at.run()  # the component's answer
    assert any("已退出登录" in s.value for s in at.success)
    at.text_input[0].input("staff")
    at.text_input[1].input("staff123")
    at.button[0].click()
    at.run()
    assert "_ended" not in at.session_state
