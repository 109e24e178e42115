"""Sessions that survive a reload (signed tokens), their end, and the lockout after repeated
failed sign-ins; account disabling and the forced password change of the demo accounts."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from app_support import session
from app_support.accounts import AccountStore
from tiered.ledger import chain as ledger

from .conftest import ROOT


@pytest.fixture
def own_accounts(app_env, tmp_path, monkeypatch):
    """A separate accounts file (and failures file) so that these tests change no one else's."""
    monkeypatch.setenv("TIERED_ACCOUNTS", str(tmp_path / "accounts.json"))
    store = AccountStore(tmp_path / "accounts.json")
    store.ensure()
    return store


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="signin_name").input(name)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def test_token_round_trip_and_its_ends(own_accounts, monkeypatch):
    acc = own_accounts.get("staff")
    token = session.issue("staff", acc.session_gen)
    assert session.check(token, own_accounts.generations()) == session.TokenCheck("staff", None)
    assert session.check(token[:-2] + "xx", own_accounts.generations()).ended == "invalid"
    assert session.check(None, own_accounts.generations()) == session.TokenCheck(None, None)
    own_accounts.revoke("staff")  # signing out ends every earlier token of the account
    assert session.check(token, own_accounts.generations()).ended == "revoked"
    fresh = session.issue("staff", own_accounts.get("staff").session_gen)
    assert session.check(fresh, own_accounts.generations()).username == "staff"
    own_accounts.set_disabled("staff", True)
    assert session.check(fresh, own_accounts.generations()).ended == "revoked"
    monkeypatch.setattr(session, "lifetime", lambda: -1.0)  # every token is past its time
    assert session.check(fresh, {"staff": 99}).ended == "expired"


def test_session_hours_configurable(monkeypatch):
    monkeypatch.setenv("TIERED_SESSION_HOURS", "2.5")
    assert session.lifetime() == 2.5 * 3600
    monkeypatch.setenv("TIERED_SESSION_HOURS", "nonsense")
    assert session.lifetime() > 0


def test_lockout_grows_and_clears(own_accounts):
    for _ in range(session.FREE_FAILURES - 1):
        assert session.record_failure("Staff")[1] is None
    assert session.locked_until("staff") is None
    n, first = session.record_failure("staff")
    assert n == session.FREE_FAILURES and first is not None
    assert session.locked_until("STAFF ") == first
    _, second = session.record_failure("staff")
    now = dt.datetime.now(dt.UTC)
    assert (second - now).total_seconds() > 1.5 * session.FIRST_LOCK_S  # growing delay
    session.clear_failures("staff")
    assert session.locked_until("staff") is None and session.failures("staff") == 0


def test_app_locks_after_repeated_failures_and_ledgers_it(own_accounts):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    for _ in range(session.FREE_FAILURES):
        _sign_in(at, "leader", "wrong-guess")
    assert any("已被暂时锁定" in e.value and "北京时间" in e.value for e in at.error)
    _sign_in(at, "leader", "leader123")  # the right password during the lock is refused too
    assert "user" not in at.session_state
    assert any("已被暂时锁定" in e.value for e in at.error)
    from app_support import bootstrap

    entries = ledger.entries(bootstrap.workspace_path()[0])
    assert any(e.kind == "sign_in_lockout" and e.payload["username"] == "leader" for e in entries)
    session.clear_failures("leader")


def test_disabled_account_cannot_sign_in(own_accounts):
    own_accounts.add("clerk9", "secret99", ("staff",), "九号")
    own_accounts.set_disabled("clerk9", True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    _sign_in(at, "clerk9", "secret99")
    assert "user" not in at.session_state
    assert any("已停用" in e.value for e in at.error)
    with pytest.raises(Exception, match="管理员"):
        for a in own_accounts.all():
            if "admin" in a.roles:
                own_accounts.set_disabled(a.username, True)  # never the last admin


def test_demo_accounts_change_password_on_a_real_workspace(
    app_env, own_accounts, tmp_path, monkeypatch
):
    real = tmp_path / "real"
    shutil.copytree(app_env, real, ignore=shutil.ignore_patterns("truth.csv", "out"))
    monkeypatch.setenv("TIERED_WORKSPACE", str(real))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    _sign_in(at, "staff", "staff123")
    assert not at.exception, at.exception
    assert at.title[0].value == "请先修改密码"
    save = lambda: next(b for b in at.button if b.label == "保存新密码")  # noqa: E731
    at.text_input[0].input("staff123")
    at.text_input[1].input("staff123")
    save().click().run()
    assert any("不能与原密码相同" in e.value for e in at.error)
    at.text_input[0].input("NewPass-2026")
    at.text_input[1].input("NewPass-2026")
    save().click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "月度抽查"
    acc = AccountStore(tmp_path / "accounts.json").verify("staff", "NewPass-2026")
    assert acc is not None and not acc.must_change


def test_new_account_form_keeps_fields_after_an_error(own_accounts):
    from .conftest import page_test

    at = page_test("app_pages/accounts.py", "admin").run()
    at.text_input(key="new_name").input("clerk7")
    at.text_input(key="new_display").input("七号")
    at.text_input(key="new_pw").input("123")  # too short
    at.multiselect(key="new_roles").select("staff")
    at.button[0].click().run()
    assert any("密码至少" in e.value for e in at.error)
    assert not any("(password" in e.value for e in at.error)  # no English tail on a Chinese page
    assert at.text_input(key="new_name").value == "clerk7"
    assert at.text_input(key="new_display").value == "七号"
    assert at.multiselect(key="new_roles").value == ["staff"]
    at.text_input(key="new_pw").input("secret99")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert own_accounts.get("clerk7") is not None
    assert at.text_input(key="new_name").value == ""  # emptied after the success
    at.selectbox(key="edit_who").select("clerk7").run()
    at.button(key="toggle_disabled").click().run()
    assert own_accounts.get("clerk7").disabled
