"""Admin: local accounts (add, change roles, reset password, unlock, disable, remove)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import bootstrap, i18n, session
from app_support.accounts import ROLES, AccountStore

me = common.guard(__file__)
lang = common.lang()
store = AccountStore(bootstrap.accounts_path())
with common.errors():
    accounts = store.all()

st.caption(
    T(
        f"账户文件：{store.path}（密码以加盐 scrypt 散列保存）",
        f"Accounts file: {store.path} (passwords kept as salted scrypt hashes)",
    )
)
st.dataframe(
    pd.DataFrame(
        {
            T("用户名", "username"): [a.username for a in accounts],
            T("姓名", "name"): [a.display_name for a in accounts],
            T("角色", "roles"): [
                ", ".join(i18n.role_label(r, lang) for r in a.roles) for a in accounts
            ],
            T("状态", "status"): [
                T("已停用", "disabled")
                if a.disabled
                else T("已锁定", "locked")
                if session.locked_until(a.username)
                else T("启用", "active")
                for a in accounts
            ],
            T("须修改密码", "must change password"): [
                i18n.yes_no(a.must_change, lang) for a in accounts
            ],
        }
    ),
    hide_index=True,
)

fmt = lambda r: i18n.role_label(r, lang)  # noqa: E731
add, edit = st.columns(2)
if st.session_state.pop("_added", False):  # a success empties the form; an error keeps it
    for k in ("new_name", "new_display", "new_pw", "new_roles"):
        st.session_state.pop(k, None)
with add, st.form("add_account"):
    st.subheader(T("新增账户", "Add an account"))
    name = st.text_input(T("用户名", "Username"), key="new_name")
    display = st.text_input(T("姓名", "Display name"), key="new_display")
    pw = st.text_input(T("初始密码", "Initial password"), type="password", key="new_pw")
    roles = st.multiselect(
        T("角色", "Roles"),
        ROLES,
        format_func=fmt,
        key="new_roles",
        placeholder=T("请选择", "Choose"),
    )
    if st.form_submit_button(T("新增", "Add"), type="primary"):
        with common.errors():
            store.add(name.strip(), pw, tuple(roles), display.strip())
        st.session_state["_added"] = True
        common.flash(T(f"已新增账户 {name}", f"Account {name} added"))
        st.rerun()

with edit:
    st.subheader(T("修改账户", "Change an account"))
    who = st.selectbox(T("账户", "Account"), [a.username for a in accounts], key="edit_who")
    acc = next(a for a in accounts if a.username == who)
    new_roles = st.multiselect(
        T("角色", "Roles"),
        ROLES,
        default=list(acc.roles),
        format_func=fmt,
        key=f"roles_{who}",
        placeholder=T("请选择", "Choose"),
    )
    if st.button(T("保存角色", "Save roles"), key="save_roles"):
        with common.errors():
            store.set_roles(who, tuple(new_roles))
        st.success(T("角色已保存", "Roles saved"))
        st.rerun()
    new_pw = st.text_input(T("新密码", "New password"), type="password", key="reset_pw")
    if st.button(T("重设密码（用户下次登录须自行修改）", "Reset password"), key="reset"):
        with common.errors():
            store.set_password(who, new_pw, must_change=True)
        st.success(T("密码已重设", "Password reset"))
    if session.locked_until(who) and st.button(T("解除锁定", "Unlock"), key="unlock"):
        session.clear_failures(who)
        common.flash(T(f"已解除 {who} 的登录锁定", f"{who} unlocked"))
        st.rerun()
    if who != me["username"]:
        label = T("启用账户", "Enable account") if acc.disabled else T("停用账户", "Disable")
        if st.button(label, key="toggle_disabled"):
            with common.errors():
                store.set_disabled(who, not acc.disabled)
            st.rerun()
    if who != me["username"] and st.button(T("删除账户", "Remove account"), key="remove"):
        with common.errors():
            store.remove(who)
        st.rerun()
