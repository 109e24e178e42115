"""An account removed, or its roles changed, while signed in takes effect at the next page run."""

from __future__ import annotations

from app_support import bootstrap
from app_support.accounts import AccountStore

from .conftest import page_test, texts


def test_removed_account_is_signed_out_and_role_change_applies(app_env) -> None:
    store = AccountStore(bootstrap.accounts_path())
    if store.get("temp-li") is None:
        store.add("temp-li", "li-secret", ("staff", "analyst"), "李")
    at = page_test("app_pages/draw.py", None)
    at.session_state["user"] = {"username": "temp-li", "display": "李", "roles": ["staff"]}
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["user"]["roles"] == ["staff", "analyst"]  # the store's roles

    store.set_roles("temp-li", ("analyst",))  # no longer staff: the draw page refuses at once
    at.run()
    assert at.error and "staff" in at.error[0].value

    store.remove("temp-li")
    at.run()
    assert at.error and "请先登录" in texts(at)
    assert "user" not in at.session_state
