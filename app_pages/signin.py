"""Signing in and out: the form, the lockout, the cookie that survives a reload, the forced
password change, and the sidebar's "who am I". Used by app.py; not a page of its own.

The cookie is written and removed by a script in a zero-height `components.html` frame (it
sends nothing back, so no rerun follows) and read back from `st.context.cookies` when a browser
session starts (a reload or a reconnect), so the first screen after a reload needs no component
round trip.
What it holds is a signed, time-limited token (`app_support.session`).
"""

from __future__ import annotations

import datetime as dt
import json
import time

import streamlit as st

from app_pages.common import T, errors, lang, user
from app_support import bootstrap, i18n, session
from app_support.accounts import Account, AccountStore

ENDED = {
    "expired": (
        "登录已过期（超过登录保持时间），请重新登录。",
        "Your session has expired; please sign in again.",
    ),
    "revoked": (
        "该登录已结束（已退出登录、修改了密码或账户被停用），请重新登录。",
        "That session has ended (signed out, password changed or account disabled).",
    ),
    "idle": (
        "长时间未操作，登录已结束，请重新登录。",
        "You were inactive for too long and have been signed out; please sign in again.",
    ),
    "signed_out": ("已退出登录。", "Signed out."),
}


def store() -> AccountStore:
    return AccountStore(bootstrap.accounts_path())


def _signed_in(acc: Account) -> None:
    st.session_state.pop("_ended", None)
    st.session_state["user"] = {
        "username": acc.username,
        "display": acc.display_name,
        "roles": list(acc.roles),
        "must_change": acc.must_change,
    }
    st.session_state["_seen"] = time.time()


def restore() -> None:
    """Once per browser session: sign in from the cookie, or say why it no longer signs in;
    afterwards end a session that stayed idle longer than the session lifetime."""
    now = time.time()
    if user() is not None:
        if now - st.session_state.get("_seen", now) > session.lifetime():
            _end("idle")
        else:
            st.session_state["_seen"] = now
        return
    if st.session_state.get("_cookie_checked"):
        return
    st.session_state["_cookie_checked"] = True
    token = st.context.cookies.get(session.COOKIE)
    with errors():
        accounts = store()
        res = session.check(token, accounts.generations())
        acc = accounts.usable(res.username) if res.username else None
    if acc is not None:
        _signed_in(acc)
    elif res.ended or res.username:
        st.session_state["_ended"] = res.ended or "revoked"


def _end(why: str) -> None:
    u = st.session_state.pop("user", None)
    if u and why == "signed_out":
        store().revoke(u["username"])
    st.session_state["_ended"] = why
    st.session_state["_cookie"] = cookie_text("")


def cookie_text(token: str) -> str:
    """The `document.cookie` assignment that stores `token` for the session's lifetime, or
    (empty token) removes the cookie."""
    if token:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=session.lifetime())
    else:
        expires = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    when = expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return f"{session.COOKIE}={token}; path=/; expires={when}; SameSite=Strict"


def write_cookie() -> None:
    """Keep the browser's cookie as this session left it: the token after a sign-in, none
    after a sign-out or an ended session.

    The same frame is rendered on every run, so Streamlit keeps it (its script ran once) and a
    rerun cannot remove it before the script has run. It answers nothing: the cookie manager
    component used before answered with every cookie and so reran the page, and a sidebar click
    made during that rerun was lost (the page clicked did not open)."""
    text = st.session_state.get("_cookie")
    if not text:
        return
    from streamlit.components.v1 import html

    with st.sidebar:
        script = json.dumps(text).replace("<", "\\u003c")  # no "</script>" can end it early
        html(f"<script>window.parent.document.cookie = {script};</script>", height=0)


def sign_in_page() -> None:
    st.title(T("分级分类“双随机、一公开”监管", "Credit-tiered random inspections"))
    # Kept until the next sign-in, not popped: the cookie component's answer reruns the page
    # right after a sign-out, and a popped message would flash and vanish.
    ended = st.session_state.get("_ended")
    if ended in ENDED:
        (st.success if ended == "signed_out" else st.warning)(T(*ENDED[ended]))
    hours = session.lifetime() / 3600
    with st.form("sign_in"):
        name = st.text_input(T("用户名", "Username"), key="signin_name")
        password = st.text_input(T("密码", "Password"), type="password")
        ok = st.form_submit_button(T("登录", "Sign in"), type="primary")
    st.caption(
        T(
            f"登录后 {hours:g} 小时内刷新或重新打开页面无需再次登录；"
            f"连续 {session.FREE_FAILURES} 次密码错误将暂时锁定该账户。",
            f"After signing in, reloading within {hours:g} hours keeps you signed in; "
            f"{session.FREE_FAILURES} wrong passwords in a row lock the account for a while.",
        )
    )
    if ok:
        with errors():
            _try_sign_in(name.strip(), password)


def _locked_text(until: dt.datetime) -> str:
    return T(
        f"该账户因连续登录失败已被暂时锁定，请于 {i18n.beijing(until)}（北京时间）后再试，"
        "或请管理员解锁。",
        f"This account is locked after repeated failed sign-ins; try again after "
        f"{i18n.beijing(until)} (Beijing time) or ask an admin to unlock it.",
    )


def _try_sign_in(name: str, password: str) -> None:
    until = session.locked_until(name)
    if until is not None:
        st.error(_locked_text(until))
        return
    accounts = store()
    acc = accounts.verify(name, password)
    if acc is not None and acc.disabled:
        st.error(T("该账户已停用，请联系管理员。", "This account is disabled; ask an admin."))
        return
    if acc is None:
        count, lock = session.record_failure(name)
        if lock is not None:
            _ledger_lockout(name, count, lock)
            st.error(_locked_text(lock))
        else:
            left = session.FREE_FAILURES - count
            st.error(
                T("用户名或密码错误。", "Wrong username or password.")
                + (
                    T(f"再错 {left} 次将暂时锁定。", f" {left} more and it is locked.")
                    if left <= 2
                    else ""
                )
            )
        return
    session.clear_failures(name)
    _signed_in(acc)
    st.session_state["_cookie"] = cookie_text(session.issue(acc.username, acc.session_gen))
    st.rerun()


def _ledger_lockout(name: str, count: int, until: dt.datetime) -> None:
    """A lockout is a ledger entry of the workspace in use (when it has one)."""
    from tiered.errors import TieredError
    from tiered.ledger import chain as ledger

    ws, _ = bootstrap.workspace_path()
    if not ws.is_dir():
        return
    payload = {
        "username": name,
        "failures": count,
        "locked_until": until.isoformat(timespec="seconds"),
    }
    try:
        ledger.append(ws, "sign_in_lockout", payload, actor=name or "?")
    except (OSError, TieredError):
        pass  # the lock holds even where the ledger cannot be written


def must_change_password(ws_is_demo: bool) -> bool:
    u = user()
    return bool(u and u.get("must_change") and not ws_is_demo)


def change_password_page() -> None:
    u = user()
    st.title(T("请先修改密码", "Choose a new password"))
    st.warning(
        T(
            "此账户仍在使用初始（演示）密码。在正式工作区中使用前，请设置新密码。",
            "This account still has its initial (demo) password. Choose a new one before "
            "working on a real workspace.",
        )
    )
    with st.form("change_pw"):
        new = st.text_input(T("新密码", "New password"), type="password")
        again = st.text_input(T("再次输入新密码", "New password again"), type="password")
        ok = st.form_submit_button(T("保存新密码", "Save the new password"), type="primary")
    if ok:
        if new != again:
            st.error(T("两次输入的密码不一致。", "The two passwords differ."))
            return
        with errors():
            store().set_password(u["username"], new)
        acc = store().get(u["username"])
        _signed_in(acc)
        st.session_state["_cookie"] = cookie_text(session.issue(acc.username, acc.session_gen))
        st.rerun()


def sidebar(u: dict) -> None:
    roles = ", ".join(i18n.role_label(r, lang()) for r in u["roles"])
    st.sidebar.markdown(f"**{u['display']}** ({u['username']}) · {roles}")
    if st.sidebar.button(T("退出登录", "Sign out")):
        _end("signed_out")
        st.rerun()
